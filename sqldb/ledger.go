package sqldb

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/ledger"
)

// post records a posting and queues its lines for the cached balances
// (flushBalances applies them), in the caller's transaction. A posting whose
// source key was already recorded is skipped: recording the same event twice
// posts once. It reports whether the posting was new.
func (tx *Tx) post(ctx context.Context, p tandem.Posting) (bool, error) {
	if err := ledger.Validate(p); err != nil {
		return false, err
	}
	n, err := tx.insertPostings(ctx, []tandem.Posting{p}, `ON CONFLICT (source_key) DO NOTHING`)
	return n == 1, err
}

// postAll records validated postings (see ledger.Validate) with multi-row
// statements, for the conversion batches. Their source keys must be new:
// one recorded already (by a concurrent writer) fails it with a unique
// violation (see insertAll), and the caller's transaction or savepoint
// must be rolled back.
func (tx *Tx) postAll(ctx context.Context, ps []tandem.Posting) error {
	_, err := tx.insertPostings(ctx, ps, "")
	return err
}

// insertPostings inserts the postings, with their lines, queues their
// balance changes and returns how many were inserted: fewer than len(ps)
// only when tail (what follows the VALUES) skipped some. An error may
// leave some written: the caller's transaction or savepoint must then be
// rolled back.
func (tx *Tx) insertPostings(ctx context.Context, ps []tandem.Posting, tail string) (int, error) {
	rows := make([][]any, len(ps))
	for i := range ps {
		p := &ps[i]
		p.ID = newTimeID(tandem.PrefixPosting, tx.now)
		if p.OccurredAt.IsZero() {
			p.OccurredAt = tx.now
		}
		rows[i] = []any{p.ID, p.Kind, p.SourceKey, nullable(p.CommissionID), p.Memo, ms(p.OccurredAt), ms(tx.now)}
	}
	const head = `INSERT INTO ledger_postings (id, kind, source_key, commission_id, memo, occurred_at, created_at)`
	n, err := tx.insertRows(ctx, head, tail, rows)
	if err != nil {
		return 0, fmt.Errorf("insert posting: %w", err)
	}
	if n != int64(len(ps)) {
		return int(n), nil // which ones tail skipped is unknown; only post, of one posting, passes a tail
	}
	var lines [][]any
	for _, p := range ps {
		for i, l := range p.Lines {
			lines = append(lines, []any{p.ID, i + 1, l.Account.PartnerID, l.Account.Type, l.Account.Currency, l.Amount})
		}
	}
	const linesHead = `INSERT INTO ledger_lines (posting_id, line_no, partner_id, account_type, currency, amount)`
	if _, err := tx.insertRows(ctx, linesHead, "", lines); err != nil {
		return 0, fmt.Errorf("insert posting line: %w", err)
	}
	if tx.deltas == nil {
		tx.deltas = map[tandem.Account]int64{}
	}
	for _, p := range ps {
		for _, l := range p.Lines {
			tx.deltas[l.Account] += l.Amount
		}
	}
	return len(ps), nil
}

// flushBalances adds the transaction's queued balance changes to the cached
// balances, with multi-row upserts of the accounts in order: concurrent
// transactions (PostgreSQL) then lock balance rows in the same order and
// cannot deadlock on them. inTx calls it before every commit.
func (tx *Tx) flushBalances(ctx context.Context) error {
	accounts := make([]tandem.Account, 0, len(tx.deltas))
	for a, v := range tx.deltas {
		if v != 0 {
			accounts = append(accounts, a)
		}
	}
	slices.SortFunc(accounts, func(x, y tandem.Account) int {
		return cmp.Or(cmp.Compare(x.PartnerID, y.PartnerID), cmp.Compare(x.Type, y.Type), cmp.Compare(x.Currency, y.Currency))
	})
	rows := make([][]any, len(accounts))
	for i, a := range accounts {
		rows[i] = []any{a.PartnerID, a.Type, a.Currency, tx.deltas[a]}
	}
	if _, err := tx.insertRows(ctx, `INSERT INTO ledger_balances (partner_id, account_type, currency, balance)`,
		`ON CONFLICT (partner_id, account_type, currency) DO UPDATE SET balance = ledger_balances.balance + excluded.balance`, rows); err != nil {
		return fmt.Errorf("update balance: %w", err)
	}
	tx.deltas = nil
	return nil
}

// LedgerService reads the ledger.
type LedgerService struct{ db *DB }

var _ tandem.LedgerService = (*LedgerService)(nil)

// NewLedgerService returns the ledger of db.
func NewLedgerService(db *DB) *LedgerService { return &LedgerService{db: db} }

// Balances returns a partner's balances (every account with a non-zero
// balance, in every currency); an empty partner ID returns the business's.
func (s *LedgerService) Balances(ctx context.Context, partnerID string) ([]tandem.Balance, error) {
	var out []tandem.Balance
	err := s.db.inReadTx(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `
			SELECT account_type, currency, balance FROM ledger_balances
			WHERE partner_id = $1 AND balance <> 0 ORDER BY currency, account_type`, partnerID)
		if err != nil {
			return fmt.Errorf("balances: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			b := tandem.Balance{Account: tandem.Account{PartnerID: partnerID}}
			if err := rows.Scan(&b.Type, &b.Currency, &b.Amount); err != nil {
				return fmt.Errorf("balances: %w", err)
			}
			out = append(out, b)
		}
		return rows.Err()
	})
	return out, err
}

// Postings returns a partner's postings, newest first, at most limit, each
// with all of its lines.
func (s *LedgerService) Postings(ctx context.Context, partnerID string, limit int) ([]*tandem.Posting, error) {
	var out []*tandem.Posting
	err := s.db.inReadTx(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `
			SELECT p.id, p.kind, p.source_key, COALESCE(p.commission_id, ''), p.memo, p.occurred_at
			FROM ledger_postings p
			WHERE p.id IN (SELECT posting_id FROM ledger_lines WHERE partner_id = $1)
			ORDER BY p.created_at DESC, p.id DESC LIMIT $2`, partnerID, limit)
		if err != nil {
			return fmt.Errorf("postings: %w", err)
		}
		byID := map[string]*tandem.Posting{}
		var ids []any
		for rows.Next() {
			p := &tandem.Posting{}
			if err := rows.Scan(&p.ID, &p.Kind, &p.SourceKey, &p.CommissionID, &p.Memo, timeCol(&p.OccurredAt)); err != nil {
				rows.Close()
				return fmt.Errorf("postings: %w", err)
			}
			out = append(out, p)
			byID[p.ID] = p
			ids = append(ids, p.ID)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(ids) == 0 {
			return err
		}
		lines, err := tx.QueryContext(ctx, `
			SELECT posting_id, partner_id, account_type, currency, amount FROM ledger_lines
			WHERE posting_id IN (`+placeholders(1, len(ids))+`) ORDER BY posting_id, line_no`, ids...)
		if err != nil {
			return fmt.Errorf("posting lines: %w", err)
		}
		defer lines.Close()
		for lines.Next() {
			var id string
			var l tandem.Line
			if err := lines.Scan(&id, &l.Account.PartnerID, &l.Account.Type, &l.Account.Currency, &l.Amount); err != nil {
				return fmt.Errorf("posting lines: %w", err)
			}
			byID[id].Lines = append(byID[id].Lines, l)
		}
		return lines.Err()
	})
	return out, err
}

// VerifyLedger checks the ledger's invariants over every posting: each
// posting sums to zero per currency, and every cached balance equals the sum
// of its account's lines. It returns the first problem found.
func (s *LedgerService) VerifyLedger(ctx context.Context) error {
	return s.db.inReadTx(ctx, func(tx *Tx) error {
		var id, cur string
		var sum int64
		err := tx.QueryRowContext(ctx, `
			SELECT posting_id, currency, CAST(SUM(amount) AS BIGINT) FROM ledger_lines
			GROUP BY posting_id, currency HAVING SUM(amount) <> 0 LIMIT 1`).Scan(&id, &cur, &sum)
		if err == nil {
			return fmt.Errorf("ledger: posting %s is off by %d %s", id, sum, cur)
		} else if !isNoRows(err) {
			return fmt.Errorf("verify postings: %w", err)
		}
		var partner, typ string
		var cached, actual int64
		err = tx.QueryRowContext(ctx, `
			SELECT b.partner_id, b.account_type, b.currency, b.balance, COALESCE(s.total, 0)
			FROM ledger_balances b
			LEFT JOIN (SELECT partner_id, account_type, currency, CAST(SUM(amount) AS BIGINT) AS total
			           FROM ledger_lines GROUP BY partner_id, account_type, currency) s
			  ON s.partner_id = b.partner_id AND s.account_type = b.account_type AND s.currency = b.currency
			WHERE b.balance <> COALESCE(s.total, 0) LIMIT 1`).Scan(&partner, &typ, &cur, &cached, &actual)
		if err == nil {
			return fmt.Errorf("ledger: cached balance of %q %s %s is %d, its lines sum to %d", partner, typ, cur, cached, actual)
		} else if !isNoRows(err) {
			return fmt.Errorf("verify balances: %w", err)
		}
		var missing int
		if err := tx.QueryRowContext(ctx, `
			SELECT COUNT(*) FROM (SELECT partner_id, account_type, currency, CAST(SUM(amount) AS BIGINT) AS total
			                      FROM ledger_lines GROUP BY partner_id, account_type, currency) l
			WHERE l.total <> COALESCE((SELECT b.balance FROM ledger_balances b WHERE b.partner_id = l.partner_id
			  AND b.account_type = l.account_type AND b.currency = l.currency), 0)`).Scan(&missing); err != nil {
			return fmt.Errorf("verify balances: %w", err)
		}
		if missing > 0 {
			return fmt.Errorf("ledger: %d accounts have lines that do not sum to their cached balance", missing)
		}
		return nil
	})
}

// placeholders returns "$from, $from+1, …" for n arguments.
func placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d", from+i)
	}
	return b.String()
}
