package sqldb

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tandem-prm/tandem"
)

// PayoutStatement lists what one payout line paid: each commission's net
// amount, the clawbacks it netted, and the total. A partner sees only their
// own (partnerID must match; ENOTFOUND otherwise).
func (s *PayoutService) PayoutStatement(ctx context.Context, partnerID, lineID string) (*tandem.Statement, error) {
	var st *tandem.Statement
	err := s.db.inReadTx(ctx, func(tx *Tx) error {
		l, err := tx.line(ctx, lineID)
		if err != nil {
			return err
		}
		if l.PartnerID != partnerID {
			return tandem.Errorf(tandem.ENOTFOUND, "Payout line not found.")
		}
		st = &tandem.Statement{PartnerID: l.PartnerID, PartnerName: l.PartnerName, Currency: l.Currency,
			Title: fmt.Sprintf("Payout %s (%s)", l.ID, l.Status)}
		rows, err := tx.QueryContext(ctx, `SELECT k.id, k.explanation, k.amount - k.reversed_amount, k.approved_at FROM commissions k
			WHERE k.payout_id = $1 AND k.status IN ('approved', 'in_payout', 'paid') ORDER BY k.approved_at, k.id`, l.ID)
		if err != nil {
			return fmt.Errorf("statement commissions: %w", err)
		}
		defer rows.Close()
		var sum int64
		for rows.Next() {
			r := tandem.StatementRow{Kind: "commission"}
			if err := rows.Scan(&r.Reference, &r.Description, &r.Amount, timeCol(&r.Date)); err != nil {
				return fmt.Errorf("statement commissions: %w", err)
			}
			sum += r.Amount
			st.Rows = append(st.Rows, r)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		at := l.CreatedAt
		if !l.PaidAt.IsZero() {
			at = l.PaidAt
		}
		if d := l.Amount - sum; d != 0 {
			st.Rows = append(st.Rows, tandem.StatementRow{Date: at, Kind: "netted", Reference: l.ID, Amount: d,
				Description: "Refunds of commissions paid earlier (clawbacks), netted from this payout"})
		}
		st.Rows = append(st.Rows, tandem.StatementRow{Date: at, Kind: "payout", Reference: l.ExternalRef, Amount: -l.Amount,
			Description: fmt.Sprintf("Payout %s by %s", l.ID, l.MethodKind.Name())})
		// What the line paid less what it was paid for: zero.
		st.Opening, st.Closing = 0, 0
		return nil
	})
	return st, err
}

// PeriodStatement lists the postings to a partner's payable account in
// [from, to): commissions approved, clawbacks and payouts, with the opening
// and closing balances.
func (s *PayoutService) PeriodStatement(ctx context.Context, partnerID, currency string, from, to time.Time) (*tandem.Statement, error) {
	st := &tandem.Statement{PartnerID: partnerID, Currency: currency, From: from, To: to,
		Title: fmt.Sprintf("%s – %s", from.Format("2 Jan 2006"), to.Add(-time.Millisecond).Format("2 Jan 2006"))}
	err := s.db.inReadTx(ctx, func(tx *Tx) error {
		p, err := findPartnerByID(ctx, tx, partnerID)
		if err != nil {
			return err
		}
		st.PartnerName = p.Name
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(CAST(SUM(l.amount) AS BIGINT), 0) FROM ledger_lines l
			JOIN ledger_postings p ON p.id = l.posting_id
			WHERE l.partner_id = $1 AND l.account_type = 'payable' AND l.currency = $2 AND p.occurred_at < $3`,
			partnerID, currency, ms(from)).Scan(&st.Opening); err != nil {
			return fmt.Errorf("opening balance: %w", err)
		}
		rows, err := tx.QueryContext(ctx, `SELECT p.occurred_at, p.kind, p.source_key, COALESCE(p.commission_id, ''), p.memo, l.amount
			FROM ledger_lines l JOIN ledger_postings p ON p.id = l.posting_id
			WHERE l.partner_id = $1 AND l.account_type = 'payable' AND l.currency = $2 AND p.occurred_at >= $3 AND p.occurred_at < $4
			ORDER BY p.occurred_at, CASE p.kind WHEN 'commission_approved' THEN 0 WHEN 'payout_paid' THEN 1 ELSE 2 END, p.id`, partnerID, currency, ms(from), ms(to))
		if err != nil {
			return fmt.Errorf("statement: %w", err)
		}
		defer rows.Close()
		st.Closing = st.Opening
		for rows.Next() {
			var r tandem.StatementRow
			var kind tandem.PostingKind
			var key, commission string
			if err := rows.Scan(timeCol(&r.Date), &kind, &key, &commission, &r.Description, &r.Amount); err != nil {
				return fmt.Errorf("statement: %w", err)
			}
			switch kind {
			case tandem.PostingPaid:
				r.Kind, r.Reference = "payout", strings.TrimPrefix(key, "paid:")
			case tandem.PostingReversed:
				r.Kind, r.Reference = "clawback", commission
			default:
				r.Kind, r.Reference = "commission", commission
			}
			st.Closing += r.Amount
			st.Rows = append(st.Rows, r)
		}
		return rows.Err()
	})
	return st, err
}
