package sqldb

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/payout"
)

// openLineStatuses are the lines that still hold money for a partner: their
// amounts are subtracted from the payable balance before a new line.
const openLineStatuses = `('proposed', 'approved', 'sending')`

// Propose adds a line for every eligible partner of the program to its open
// batch (creating the batch) and records who was skipped and why. Partners
// already in the open batch keep their line.
func (s *PayoutService) Propose(ctx context.Context, programID string) (*tandem.PayoutBatch, error) {
	var batchID string
	err := s.db.inWriteTx(ctx, func(tx *Tx) error {
		st, err := tx.payoutSettings(ctx, programID)
		if err != nil {
			return err
		}
		if batchID, err = tx.openBatch(ctx, st); err != nil {
			return err
		}
		cands, err := tx.candidates(ctx, st, "")
		if err != nil {
			return err
		}
		skipped := []tandem.SkippedLine{}
		for _, c := range cands {
			if c.inBatch {
				continue
			}
			d := payout.Decide(st, c.Candidate, tx.now)
			if d.Skip != "" {
				skipped = append(skipped, tandem.SkippedLine{PartnerID: c.PartnerID, Name: c.Name, Amount: d.Amount, Reason: d.Skip})
				continue
			}
			if _, err := tx.addLine(ctx, batchID, st, c.Candidate, d); err != nil {
				return err
			}
		}
		b, err := json.Marshal(skipped)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE payout_batches SET skipped = $1 WHERE id = $2`, string(b), batchID); err != nil {
			return fmt.Errorf("record skipped partners: %w", err)
		}
		return tx.audit(ctx, "payout.propose", batchID, nil)
	})
	if err != nil {
		return nil, err
	}
	return s.Batch(ctx, batchID)
}

// RequestPayout puts one partner's eligible balance in the program's open
// batch. The line claims its commissions with a conditional update, so of
// many simultaneous requests for the same balance exactly one succeeds.
func (s *PayoutService) RequestPayout(ctx context.Context, programID, partnerID string) (*tandem.PayoutLine, error) {
	var line *tandem.PayoutLine
	err := s.db.inWriteTx(ctx, func(tx *Tx) error {
		st, err := tx.payoutSettings(ctx, programID)
		if err != nil {
			return err
		}
		cands, err := tx.candidates(ctx, st, partnerID)
		if err != nil {
			return err
		}
		for _, c := range cands {
			if c.Credit {
				continue // credit rewards go with the scheduled batches
			}
			if c.inBatch {
				return tandem.Errorf(tandem.ECONFLICT, "A payout is already waiting for finance's approval.")
			}
			d := payout.Decide(st, c.Candidate, tx.now)
			if d.Skip != "" {
				return tandem.Invalidf("partner_id", "Nothing can be paid now: %s", d.Skip)
			}
			batchID, err := tx.openBatch(ctx, st)
			if err != nil {
				return err
			}
			if line, err = tx.addLine(ctx, batchID, st, c.Candidate, d); err != nil {
				return err
			}
			return tx.audit(ctx, "payout.request", line.ID, map[string]any{"amount": line.Amount, "currency": line.Currency})
		}
		return tandem.Invalidf("partner_id", "Nothing can be paid now: no approved commissions are waiting.")
	})
	return line, err
}

// openBatch returns the program's proposed batch, creating it if none.
func (tx *Tx) openBatch(ctx context.Context, st *tandem.PayoutSettings) (string, error) {
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO payout_batches (id, program_id, currency, status, proposed_at) VALUES ($1, $2, $3, 'proposed', $4)
		ON CONFLICT (program_id) WHERE status = 'proposed' DO NOTHING`,
		tandem.NewID(tandem.PrefixBatch), st.ProgramID, st.Currency, ms(tx.now)); err != nil {
		return "", fmt.Errorf("open payout batch: %w", err)
	}
	var id string
	if err := tx.QueryRowContext(ctx, `SELECT id FROM payout_batches WHERE program_id = $1 AND status = 'proposed'`, st.ProgramID).Scan(&id); err != nil {
		return "", fmt.Errorf("open payout batch: %w", err)
	}
	return id, nil
}

// candidate is a partner's payout position in one program and family.
type candidate struct {
	payout.Candidate
	inBatch bool // already has a proposed line in the program
}

// candidates reads, for the program (and one partner, if given), every
// partner with approved commissions in no line: the commissions, the
// partner's method, agreement and debt.
func (tx *Tx) candidates(ctx context.Context, st *tandem.PayoutSettings, partnerID string) ([]*candidate, error) {
	q := `SELECT k.id, k.partner_id, p.name, k.reward_kind, k.amount - k.reversed_amount, k.approved_at, k.payout_hold
		FROM commissions k JOIN partners p ON p.id = k.partner_id
		WHERE k.program_id = $1 AND k.currency = $2 AND k.status = 'approved' AND k.payout_id IS NULL AND k.reward_kind IN ('cash', 'credit')`
	args := []any{st.ProgramID, st.Currency}
	if partnerID != "" {
		q += ` AND k.partner_id = $3`
		args = append(args, partnerID)
	}
	rows, err := tx.QueryContext(ctx, q+` ORDER BY k.partner_id, k.reward_kind, k.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("payout candidates: %w", err)
	}
	var out []*candidate
	for rows.Next() {
		var k payout.Commission
		var pid, name, reward, hold string
		if err := rows.Scan(&k.ID, &pid, &name, &reward, &k.Net, timeCol(&k.ApprovedAt), &hold); err != nil {
			rows.Close()
			return nil, fmt.Errorf("payout candidates: %w", err)
		}
		k.Held = hold != ""
		credit := reward == string(tandem.RewardCredit)
		if n := len(out); n == 0 || out[n-1].PartnerID != pid || out[n-1].Credit != credit {
			out = append(out, &candidate{Candidate: payout.Candidate{PartnerID: pid, Name: name, Currency: st.Currency, Credit: credit}})
		}
		c := out[len(out)-1]
		c.Commissions = append(c.Commissions, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, c := range out {
		if err := tx.fillCandidate(ctx, st, c); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (tx *Tx) fillCandidate(ctx context.Context, st *tandem.PayoutSettings, c *candidate) error {
	m, err := tx.activeMethod(ctx, c.PartnerID)
	if err != nil && tandem.ErrorCode(err) != tandem.ENOTFOUND {
		return err
	}
	c.Method = m
	if c.AgreementAccepted, err = tx.queryAgreementAccepted(ctx, st.ProgramID, c.PartnerID); err != nil {
		return err
	}
	if c.Debt, err = tx.available(ctx, c.PartnerID, c.Currency, c.Credit, ""); err != nil {
		return err
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM payouts WHERE program_id = $1 AND partner_id = $2 AND credit = $3 AND status = 'proposed'`,
		st.ProgramID, c.PartnerID, c.Credit).Scan(&n); err != nil {
		return fmt.Errorf("open payout line: %w", err)
	}
	c.inBatch = n > 0
	return nil
}

// available is what a partner may still be paid in a currency and family
// beyond the commissions no line claims: the payable balance less the open
// lines (but the line except) and the unclaimed approved commissions of
// every program. It is negative while clawbacks after a payout are owed
// (the debt), and a line's commissions count in it once claimed.
func (tx *Tx) available(ctx context.Context, partnerID, currency string, credit bool, except string) (int64, error) {
	acct, reward := tandem.AccountPayable, tandem.RewardCash
	if credit {
		acct, reward = tandem.AccountCreditPayable, tandem.RewardCredit
	}
	var v int64
	err := tx.QueryRowContext(ctx, `SELECT
		COALESCE((SELECT balance FROM ledger_balances WHERE partner_id = $1 AND account_type = $2 AND currency = $3), 0)
		- COALESCE((SELECT CAST(SUM(amount) AS BIGINT) FROM payouts WHERE partner_id = $1 AND currency = $3 AND credit = $4
			AND status IN `+openLineStatuses+` AND id <> $5), 0)
		- COALESCE((SELECT CAST(SUM(amount - reversed_amount) AS BIGINT) FROM commissions WHERE partner_id = $1 AND currency = $3
			AND reward_kind = $6 AND status = 'approved' AND payout_id IS NULL), 0)`,
		partnerID, acct, currency, credit, except, reward).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("payable balance: %w", err)
	}
	return v, nil
}

// addLine inserts a proposed line for the decision and claims its
// commissions; a commission claimed meanwhile by another line is ECONFLICT.
func (tx *Tx) addLine(ctx context.Context, batchID string, st *tandem.PayoutSettings, c payout.Candidate, d payout.Decision) (*tandem.PayoutLine, error) {
	l := &tandem.PayoutLine{ID: tandem.NewID(tandem.PrefixPayout), BatchID: batchID, ProgramID: st.ProgramID, PartnerID: c.PartnerID,
		PartnerName: c.Name, MethodKind: d.Method, Credit: c.Credit, Amount: d.Amount, Currency: c.Currency, Status: tandem.LineProposed,
		Commissions: len(d.Commissions), CreatedAt: tx.now}
	var methodID any
	if c.Method != nil {
		methodID = c.Method.ID
		l.MethodID = c.Method.ID
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO payouts (id, batch_id, program_id, partner_id, method_id, method_kind, credit, amount, currency, status, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'proposed', $10)`,
		l.ID, batchID, l.ProgramID, l.PartnerID, methodID, l.MethodKind, l.Credit, l.Amount, l.Currency, ms(tx.now)); err != nil {
		if isUniqueViolation(err) {
			return nil, tandem.Errorf(tandem.ECONFLICT, "A payout is already waiting for finance's approval.")
		}
		return nil, fmt.Errorf("insert payout line: %w", err)
	}
	args := []any{l.ID}
	for _, id := range d.Commissions {
		args = append(args, id)
	}
	res, err := tx.ExecContext(ctx, `UPDATE commissions SET payout_id = $1
		WHERE id IN (`+placeholders(2, len(d.Commissions))+`) AND status = 'approved' AND payout_id IS NULL AND payout_hold = ''`, args...)
	if err != nil {
		return nil, fmt.Errorf("claim commissions: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, fmt.Errorf("claim commissions: %w", err)
	} else if n != int64(len(d.Commissions)) {
		return nil, tandem.Errorf(tandem.ECONFLICT, "These commissions were claimed by another payout meanwhile; nothing was changed.")
	}
	return l, nil
}
