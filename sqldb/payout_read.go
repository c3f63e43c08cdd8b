package sqldb

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/payout"
)

const batchColumns = `b.id, b.program_id, b.currency, b.status, b.skipped, b.proposed_at, b.approved_by, b.approved_at, b.completed_at,
	COALESCE((SELECT CAST(SUM(amount) AS BIGINT) FROM payouts l WHERE l.batch_id = b.id AND l.status NOT IN ('held', 'cancelled')), 0),
	(SELECT COUNT(*) FROM payouts l WHERE l.batch_id = b.id AND l.status NOT IN ('held', 'cancelled'))`

// Batch returns a batch with all of its lines.
func (s *PayoutService) Batch(ctx context.Context, id string) (*tandem.PayoutBatch, error) {
	var b *tandem.PayoutBatch
	err := s.db.inReadTx(ctx, func(tx *Tx) (err error) {
		if b, err = tx.batch(ctx, id); err != nil {
			return err
		}
		b.Lines, err = findLines(ctx, tx, tandem.LineFilter{BatchID: id, Limit: 1 << 30})
		return err
	})
	return b, err
}

func (tx *Tx) batch(ctx context.Context, id string) (*tandem.PayoutBatch, error) {
	bs, err := findBatches(ctx, tx, "b.id = $1", id)
	if err != nil {
		return nil, err
	}
	if len(bs) == 0 {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "Payout batch not found.")
	}
	return bs[0], nil
}

// Batches returns a program's batches (every program's when programID is
// empty), newest first.
func (s *PayoutService) Batches(ctx context.Context, programID string, limit int) ([]*tandem.PayoutBatch, error) {
	var out []*tandem.PayoutBatch
	err := s.db.inReadTx(ctx, func(tx *Tx) (err error) {
		cond := "b.program_id = $1 OR $1 = ''"
		out, err = findBatches(ctx, tx, cond+fmt.Sprintf(" ORDER BY b.proposed_at DESC, b.id DESC LIMIT %d", max(1, min(limit, 500))), programID)
		return err
	})
	return out, err
}

func findBatches(ctx context.Context, tx *Tx, cond string, args ...any) ([]*tandem.PayoutBatch, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+batchColumns+` FROM payout_batches b WHERE `+cond, args...)
	if err != nil {
		return nil, fmt.Errorf("find batches: %w", err)
	}
	defer rows.Close()
	var out []*tandem.PayoutBatch
	for rows.Next() {
		b := &tandem.PayoutBatch{Skipped: []tandem.SkippedLine{}}
		var skipped string
		if err := rows.Scan(&b.ID, &b.ProgramID, &b.Currency, &b.Status, &skipped, timeCol(&b.ProposedAt), &b.ApprovedBy,
			timeCol(&b.ApprovedAt), timeCol(&b.CompletedAt), &b.Total, &b.LineCount); err != nil {
			return nil, fmt.Errorf("scan batch: %w", err)
		}
		if skipped != "" {
			if err := json.Unmarshal([]byte(skipped), &b.Skipped); err != nil {
				return nil, fmt.Errorf("skipped partners: %w", err)
			}
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// Lines returns payout lines matching the filter.
func (s *PayoutService) Lines(ctx context.Context, f tandem.LineFilter) ([]*tandem.PayoutLine, error) {
	var out []*tandem.PayoutLine
	err := s.db.inReadTx(ctx, func(tx *Tx) (err error) {
		out, err = findLines(ctx, tx, f)
		return err
	})
	return out, err
}

// Balances returns payable balances per partner and currency with what
// open lines hold. For one partner it also says, per program, what the next
// batch would pay, when, and why not when it would not.
func (s *PayoutService) Balances(ctx context.Context, partnerID string) ([]*tandem.PartnerBalance, error) {
	var out []*tandem.PartnerBalance
	err := s.db.inReadTx(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT b.partner_id, p.name, b.currency, b.balance,
			COALESCE((SELECT CAST(SUM(amount) AS BIGINT) FROM payouts l WHERE l.partner_id = b.partner_id AND l.currency = b.currency
				AND l.credit = FALSE AND l.status IN `+openLineStatuses+`), 0)
			FROM ledger_balances b JOIN partners p ON p.id = b.partner_id
			WHERE b.account_type = 'payable' AND (b.partner_id = $1 OR $1 = '') AND (b.balance <> 0 OR $1 <> '')
			ORDER BY p.name, b.partner_id, b.currency`, partnerID)
		if err != nil {
			return fmt.Errorf("payable balances: %w", err)
		}
		for rows.Next() {
			b := &tandem.PartnerBalance{}
			if err := rows.Scan(&b.PartnerID, &b.PartnerName, &b.Currency, &b.Payable, &b.InPayout); err != nil {
				rows.Close()
				return fmt.Errorf("payable balances: %w", err)
			}
			out = append(out, b)
		}
		rows.Close()
		if err := rows.Err(); err != nil || partnerID == "" {
			return err
		}
		return tx.outlook(ctx, partnerID, out)
	})
	return out, err
}

// outlook fills in, for each of the partner's programs in a balance's
// currency, what the next batch would pay and when, or why not.
func (tx *Tx) outlook(ctx context.Context, partnerID string, balances []*tandem.PartnerBalance) error {
	programs, err := queryStrings(ctx, tx, `SELECT program_id FROM memberships WHERE partner_id = $1 AND status = 'approved' ORDER BY program_id`, partnerID)
	if err != nil {
		return err
	}
	for _, b := range balances {
		for _, pid := range programs {
			st, err := tx.payoutSettings(ctx, pid)
			if err != nil {
				return err
			}
			if st.Currency != b.Currency {
				continue
			}
			cands, err := tx.candidates(ctx, st, partnerID)
			if err != nil {
				return err
			}
			b.ProgramID, b.NextPayout = pid, payout.Next(st, tx.now)
			b.NotPayable = "Nothing approved is waiting to be paid."
			for _, c := range cands {
				if c.Credit {
					continue
				}
				d := payout.Decide(st, c.Candidate, tx.now)
				b.Eligible, b.NotPayable = max(d.Amount, 0), d.Skip
				if c.inBatch {
					b.NotPayable = "A payout is waiting for finance's approval."
				}
			}
			if b.Eligible == 0 && b.InPayout > 0 && len(cands) == 0 {
				b.NotPayable = fmt.Sprintf("%s is in a payout finance is approving or sending.", tandem.FormatAmount(b.InPayout, b.Currency))
			}
			if b.Payable < 0 {
				b.NotPayable = fmt.Sprintf("Refunds after earlier payouts left %s owed; it is netted from later commissions.", tandem.FormatAmount(-b.Payable, b.Currency))
			}
		}
	}
	return nil
}
