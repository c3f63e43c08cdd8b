package sqldb

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/ledger"
	"github.com/tandem-prm/tandem/payout"
)

// StartSending moves an approved line to sending and returns it with the
// method details frozen at approval. A line already sending is returned as
// it is (a send interrupted by a crash is sent again with the same key);
// a settled or cancelled line is returned too, and the caller leaves it.
func (s *PayoutService) StartSending(ctx context.Context, lineID string) (*tandem.PayoutLine, error) {
	var l *tandem.PayoutLine
	err := s.db.inWriteTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE payouts SET status = 'sending', sent_at = $1 WHERE id = $2 AND status = 'approved'`,
			ms(tx.now), lineID); err != nil {
			return fmt.Errorf("start sending: %w", err)
		}
		var err error
		l, err = tx.line(ctx, lineID)
		return err
	})
	return l, err
}

// SettleLine records a provider's answer for a sending line: paid with the
// provider's reference, or failed with the reason. Settling a line that is
// no longer sending changes nothing and is not an error, so a repeated
// confirmation is harmless.
func (s *PayoutService) SettleLine(ctx context.Context, lineID string, r payout.Result) error {
	return s.db.inWriteTx(ctx, func(tx *Tx) error {
		l, err := tx.line(ctx, lineID)
		if err != nil || l.Status != tandem.LineSending {
			return err
		}
		if r.Failed {
			return tx.failLine(ctx, l, r.Reason)
		}
		return tx.payLine(ctx, l, r.Reference)
	})
}

// MarkPaid settles sending lines of file-exported methods (PayPal, Wise)
// with finance's reference: the given lines, or every such line of the
// batch. A line that is not waiting (already paid, or sent through an API)
// is refused and nothing changes.
func (s *PayoutService) MarkPaid(ctx context.Context, batchID string, lineIDs []string, reference string) (int, error) {
	if err := tandem.RequireText("reference", "Reference", &reference, 200); err != nil {
		return 0, err
	}
	n := 0
	err := s.db.inWriteTx(ctx, func(tx *Tx) error {
		if len(lineIDs) == 0 {
			var err error
			lineIDs, err = queryStrings(ctx, tx, `SELECT id FROM payouts WHERE batch_id = $1 AND status = 'sending'
				AND method_kind IN ('paypal', 'wise') ORDER BY id`, batchID)
			if err != nil {
				return err
			}
			if len(lineIDs) == 0 {
				return tandem.Invalidf("lines", "No line of this batch is waiting to be marked paid.")
			}
		}
		for _, id := range lineIDs {
			l, err := tx.line(ctx, id)
			if err != nil {
				return err
			}
			switch {
			case l.BatchID != batchID:
				return tandem.Invalidf("lines", "Line %s is not in this batch.", id)
			case l.Status == tandem.LinePaid:
				return tandem.Errorf(tandem.ECONFLICT, "Line %s (%s) is already paid; nothing was changed.", id, l.PartnerName)
			case l.Status != tandem.LineSending:
				return tandem.Invalidf("lines", "Line %s is %s: only an exported line can be marked paid.", id, l.Status)
			case l.MethodKind != tandem.MethodPayPal && l.MethodKind != tandem.MethodWise:
				return tandem.Invalidf("lines", "Line %s is paid through %s, which confirms it itself.", id, l.MethodKind.Name())
			}
			if err := tx.payLine(ctx, l, reference); err != nil {
				return err
			}
			n++
		}
		return tx.audit(ctx, "payout.marked_paid", batchID, map[string]any{"lines": lineIDs, "reference": reference})
	})
	return n, err
}

// payLine settles a sending line as paid: its commissions are paid, the
// ledger moves its amount from payable to paid (once, by the line's key),
// and the partner is emailed.
func (tx *Tx) payLine(ctx context.Context, l *tandem.PayoutLine, ref string) error {
	res, err := tx.ExecContext(ctx, `UPDATE payouts SET status = 'paid', paid_at = $1, external_ref = $2 WHERE id = $3 AND status = 'sending'`,
		ms(tx.now), ref, l.ID)
	if err != nil {
		return fmt.Errorf("pay line: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err // settled meanwhile
	}
	if _, err := tx.ExecContext(ctx, `UPDATE commissions SET status = 'paid', paid_at = $1 WHERE payout_id = $2 AND status = 'in_payout'`,
		ms(tx.now), l.ID); err != nil {
		return fmt.Errorf("pay commissions: %w", err)
	}
	if _, err := tx.post(ctx, ledger.Paid(l, tx.now)); err != nil {
		return err
	}
	p, err := findPartnerByID(ctx, tx, l.PartnerID)
	if err != nil {
		return err
	}
	detail := fmt.Sprintf("%s by %s (reference %s)", tandem.FormatAmount(l.Amount, l.Currency), l.MethodKind.Name(), ref)
	if err := tx.queueEmail(ctx, p.Email, p.Name, "payout_paid", emailData{RecipientName: p.Name, LinkPath: "/portal/payouts", Reason: detail}); err != nil {
		return err
	}
	if err := tx.audit(ctx, "payout.line_paid", l.ID, map[string]any{"amount": l.Amount, "reference": ref}); err != nil {
		return err
	}
	return tx.finishBatch(ctx, l.BatchID)
}

// failLine settles a sending line as failed: its commissions are payable
// again, for the next batch, and the reason is kept on the line.
func (tx *Tx) failLine(ctx context.Context, l *tandem.PayoutLine, reason string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE payouts SET status = 'failed', failure_reason = $1 WHERE id = $2 AND status = 'sending'`,
		reason, l.ID); err != nil {
		return fmt.Errorf("fail line: %w", err)
	}
	if err := tx.releaseCommissions(ctx, l.ID); err != nil {
		return err
	}
	if err := tx.audit(ctx, "payout.line_failed", l.ID, map[string]string{"reason": reason}); err != nil {
		return err
	}
	return tx.finishBatch(ctx, l.BatchID)
}

// finishBatch completes a batch whose lines are all settled: paid, or
// failed when any line failed.
func (tx *Tx) finishBatch(ctx context.Context, batchID string) error {
	var open, failed int
	if err := tx.QueryRowContext(ctx, `SELECT
		COUNT(CASE WHEN status IN ('approved', 'sending') THEN 1 END), COUNT(CASE WHEN status = 'failed' THEN 1 END)
		FROM payouts WHERE batch_id = $1`, batchID).Scan(&open, &failed); err != nil {
		return fmt.Errorf("batch progress: %w", err)
	}
	if open > 0 {
		return nil
	}
	status := tandem.BatchPaid
	if failed > 0 {
		status = tandem.BatchFailed
	}
	if _, err := tx.ExecContext(ctx, `UPDATE payout_batches SET status = $1, completed_at = $2 WHERE id = $3 AND status = 'approved'`,
		status, ms(tx.now), batchID); err != nil {
		return fmt.Errorf("finish batch: %w", err)
	}
	return nil
}

// DuePrograms returns the programs whose scheduled payout day has come
// since their last batch was proposed.
func (s *PayoutService) DuePrograms(ctx context.Context) ([]string, error) {
	var out []string
	err := s.db.inReadTx(ctx, func(tx *Tx) error {
		ids, err := queryStrings(ctx, tx, `SELECT program_id FROM payout_settings WHERE schedule <> 'manual' ORDER BY program_id`)
		if err != nil {
			return err
		}
		for _, id := range ids {
			st, err := tx.payoutSettings(ctx, id)
			if err != nil {
				return err
			}
			var last time.Time
			if err := tx.QueryRowContext(ctx, `SELECT MAX(proposed_at) FROM payout_batches WHERE program_id = $1`, id).Scan(timeCol(&last)); err != nil {
				return fmt.Errorf("last batch: %w", err)
			}
			if day := payout.Previous(st, tx.now); !day.IsZero() && last.Before(day) {
				out = append(out, id)
			}
		}
		return nil
	})
	return out, err
}

// Unsent returns lines an interrupted send left behind, in batches approved
// before the cutoff: every line still approved (a file line too: its send
// only marks it exported), and lines sending through an API (a file line
// that is sending waits for finance to mark it paid).
func (s *PayoutService) Unsent(ctx context.Context, before time.Time) ([]string, error) {
	var out []string
	err := s.db.inReadTx(ctx, func(tx *Tx) (err error) {
		out, err = queryStrings(ctx, tx, `SELECT p.id FROM payouts p JOIN payout_batches b ON b.id = p.batch_id
			WHERE (p.status = 'approved' OR p.status = 'sending' AND p.method_kind NOT IN ('paypal', 'wise'))
			  AND b.approved_at < $1 ORDER BY p.id`, ms(before))
		return err
	})
	return out, err
}

// line returns one payout line with its partner and frozen method.
func (tx *Tx) line(ctx context.Context, id string) (*tandem.PayoutLine, error) {
	ls, err := findLines(ctx, tx, tandem.LineFilter{ID: id, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(ls) == 0 {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "Payout line not found.")
	}
	return ls[0], nil
}

const lineColumns = `l.id, l.batch_id, l.program_id, l.partner_id, p.name, p.email, COALESCE(l.method_id, ''), l.method_kind, l.method_snapshot,
	l.credit, l.amount, l.currency, l.status, l.external_ref, l.failure_reason, l.hold_reason, l.sent_at, l.paid_at, l.created_at,
	(SELECT COUNT(*) FROM commissions k WHERE k.payout_id = l.id)`

// findLines returns payout lines matching the filter, by partner name.
func findLines(ctx context.Context, tx *Tx, f tandem.LineFilter) ([]*tandem.PayoutLine, error) {
	var w where
	w.eq("l.id", f.ID)
	w.eq("l.batch_id", f.BatchID)
	w.eq("l.partner_id", f.PartnerID)
	w.eq("l.status", string(f.Status))
	w.eq("l.method_kind", string(f.Method))
	n := f.Limit
	if n <= 0 {
		n = 100
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+lineColumns+` FROM payouts l JOIN partners p ON p.id = l.partner_id `+w.String()+
		fmt.Sprintf(` ORDER BY l.created_at DESC, p.name, l.id LIMIT %d`, n), w.args...)
	if err != nil {
		return nil, fmt.Errorf("find payout lines: %w", err)
	}
	defer rows.Close()
	var out []*tandem.PayoutLine
	for rows.Next() {
		l := &tandem.PayoutLine{}
		var snapshot string
		if err := rows.Scan(&l.ID, &l.BatchID, &l.ProgramID, &l.PartnerID, &l.PartnerName, &l.PartnerEmail, &l.MethodID, &l.MethodKind, &snapshot,
			&l.Credit, &l.Amount, &l.Currency, &l.Status, &l.ExternalRef, &l.FailureReason, &l.HoldReason,
			timeCol(&l.SentAt), timeCol(&l.PaidAt), timeCol(&l.CreatedAt), &l.Commissions); err != nil {
			return nil, fmt.Errorf("scan payout line: %w", err)
		}
		l.Method = tandem.PayoutMethod{ID: l.MethodID, PartnerID: l.PartnerID, Kind: l.MethodKind, Details: map[string]string{}}
		if snapshot != "" {
			if err := json.Unmarshal([]byte(snapshot), &l.Method.Details); err != nil {
				return nil, fmt.Errorf("payout method snapshot: %w", err)
			}
		}
		out = append(out, l)
	}
	return out, rows.Err()
}
