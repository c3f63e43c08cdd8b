package sqldb

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/payout"
)

// RemoveLine takes a proposed line out of its batch: its commissions go
// back to approved and unclaimed, for the next batch.
func (s *PayoutService) RemoveLine(ctx context.Context, lineID string) error {
	return s.db.inWriteTx(ctx, func(tx *Tx) error {
		if err := tx.closeProposedLine(ctx, lineID, tandem.LineCancelled, ""); err != nil {
			return err
		}
		return tx.audit(ctx, "payout.line_removed", lineID, nil)
	})
}

// HoldLine takes a proposed line out of its batch and holds its
// commissions with the reason: no batch takes them until ReleaseHolds.
func (s *PayoutService) HoldLine(ctx context.Context, lineID, reason string) error {
	if err := tandem.RequireText("reason", "Reason", &reason, 500); err != nil {
		return err
	}
	return s.db.inWriteTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE commissions SET payout_hold = $1 WHERE payout_id = $2`, reason, lineID); err != nil {
			return fmt.Errorf("hold commissions: %w", err)
		}
		if err := tx.closeProposedLine(ctx, lineID, tandem.LineHeld, reason); err != nil {
			return err
		}
		return tx.audit(ctx, "payout.line_held", lineID, map[string]string{"reason": reason})
	})
}

// ReleaseHolds releases a partner's held commissions for the next batch.
func (s *PayoutService) ReleaseHolds(ctx context.Context, partnerID string) (int, error) {
	var n int64
	err := s.db.inWriteTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE commissions SET payout_hold = '' WHERE partner_id = $1 AND payout_hold <> ''`, partnerID)
		if err != nil {
			return fmt.Errorf("release holds: %w", err)
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		return tx.audit(ctx, "payout.holds_released", partnerID, map[string]int64{"commissions": n})
	})
	return int(n), err
}

// closeProposedLine moves a proposed line to cancelled or held and
// unclaims its commissions.
func (tx *Tx) closeProposedLine(ctx context.Context, lineID string, to tandem.LineStatus, reason string) error {
	res, err := tx.ExecContext(ctx, `UPDATE payouts SET status = $1, hold_reason = $2 WHERE id = $3 AND status = 'proposed'`, to, reason, lineID)
	if err != nil {
		return fmt.Errorf("close payout line: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		l, err := tx.line(ctx, lineID)
		if err != nil {
			return err
		}
		return tandem.Errorf(tandem.ECONFLICT, "Only a proposed line can be removed or held; this one is %s.", l.Status)
	}
	return tx.releaseCommissions(ctx, lineID)
}

// releaseCommissions returns a line's commissions to approved and unclaimed.
func (tx *Tx) releaseCommissions(ctx context.Context, lineID string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE commissions SET payout_id = NULL,
		status = CASE WHEN status = 'in_payout' THEN 'approved' ELSE status END WHERE payout_id = $1`, lineID); err != nil {
		return fmt.Errorf("release commissions: %w", err)
	}
	return nil
}

// ApproveBatch approves a proposed batch. Each line is recomputed from the
// commissions it claimed (a refund meanwhile lowers it; a commission
// reversed in full leaves it) less any debt, and checked against the
// partner's current method and the minimum; lines that no longer qualify
// are cancelled. The claimed commissions become in_payout, so nothing
// approved later slips in, and a send job per line is enqueued in the same
// transaction. A batch with nothing left to pay is refused and nothing
// changes.
func (s *PayoutService) ApproveBatch(ctx context.Context, batchID string) (*tandem.PayoutBatch, error) {
	err := s.db.inWriteTx(ctx, func(tx *Tx) error {
		b, err := tx.batch(ctx, batchID)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE payout_batches SET status = 'approved', approved_by = $1, approved_at = $2
			WHERE id = $3 AND status = 'proposed'`, tandem.ActorFrom(ctx).ID, ms(tx.now), batchID)
		if err != nil {
			return fmt.Errorf("approve batch: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return tandem.Errorf(tandem.ECONFLICT, "This batch is %s: only a proposed batch can be approved.", b.Status)
		}
		st, err := tx.payoutSettings(ctx, b.ProgramID)
		if err != nil {
			return err
		}
		lines, err := findLines(ctx, tx, tandem.LineFilter{BatchID: batchID, Status: tandem.LineProposed, Limit: 1 << 30})
		if err != nil {
			return err
		}
		var total int64
		var sent []string
		for _, l := range lines {
			ok, err := tx.approveLine(ctx, st, l)
			if err != nil {
				return err
			}
			if ok {
				total += l.Amount
				sent = append(sent, l.ID)
			}
		}
		if total <= 0 {
			return tandem.Invalidf("batch", "Nothing in this batch can be paid now (the total would be %s); nothing was approved.",
				tandem.FormatAmount(total, b.Currency))
		}
		for _, id := range sent {
			if err := Enqueue(ctx, tx.db, tx.Tx, tandem.SendPayoutJob{PayoutID: id}); err != nil {
				return err
			}
		}
		return tx.audit(ctx, "payout.batch_approved", batchID, map[string]any{"total": total, "lines": len(sent)})
	})
	if err != nil {
		return nil, err
	}
	return s.Batch(ctx, batchID)
}

// approveLine recomputes and freezes one proposed line, or cancels it with
// the reason it no longer qualifies.
func (tx *Tx) approveLine(ctx context.Context, st *tandem.PayoutSettings, l *tandem.PayoutLine) (bool, error) {
	var claimed int64
	var count int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(CAST(SUM(amount - reversed_amount) AS BIGINT), 0), COUNT(*) FROM commissions
		WHERE payout_id = $1 AND status = 'approved'`, l.ID).Scan(&claimed, &count); err != nil {
		return false, fmt.Errorf("line commissions: %w", err)
	}
	available, err := tx.available(ctx, l.PartnerID, l.Currency, l.Credit, l.ID)
	if err != nil {
		return false, err
	}
	l.Amount = payout.LineAmount(claimed, available)
	reason := ""
	m, err := tx.activeMethod(ctx, l.PartnerID)
	switch {
	case err != nil && tandem.ErrorCode(err) != tandem.ENOTFOUND:
		return false, err
	case !l.Credit && m == nil:
		reason = "The partner removed their payout method."
	case !l.Credit && !st.Accepts(m.Kind):
		reason = fmt.Sprintf("The program does not pay through %s.", m.Kind.Name())
	case !l.Credit && payout.CanPay(m.Kind, l.Currency) != nil:
		reason = tandem.ErrorMessage(payout.CanPay(m.Kind, l.Currency))
	case l.Amount <= 0:
		reason = "Refunds meanwhile left nothing to pay."
	case l.Amount < st.Minimums[l.Currency]:
		reason = fmt.Sprintf("Refunds meanwhile took it below the minimum of %s.", tandem.FormatAmount(st.Minimums[l.Currency], l.Currency))
	}
	if reason != "" {
		if _, err := tx.ExecContext(ctx, `UPDATE payouts SET status = 'cancelled', failure_reason = $1 WHERE id = $2`, reason, l.ID); err != nil {
			return false, fmt.Errorf("cancel payout line: %w", err)
		}
		return false, tx.releaseCommissions(ctx, l.ID)
	}
	if l.Credit {
		m = &tandem.PayoutMethod{Kind: tandem.MethodProductCredit, Details: map[string]string{}}
		if pm, _ := tx.activeMethod(ctx, l.PartnerID); pm != nil && pm.Kind == tandem.MethodProductCredit {
			m = pm
		}
	}
	snapshot, err := json.Marshal(m.Details)
	if err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE payouts SET status = 'approved', amount = $1, method_id = $2, method_kind = $3, method_snapshot = $4
		WHERE id = $5`, l.Amount, nullable(m.ID), m.Kind, string(snapshot), l.ID); err != nil {
		return false, fmt.Errorf("approve payout line: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE commissions SET status = 'in_payout' WHERE payout_id = $1 AND status = 'approved'`, l.ID); err != nil {
		return false, fmt.Errorf("commissions in payout: %w", err)
	}
	return true, nil
}

// CancelBatch cancels a proposed or approved batch before any of its lines
// is sent: its commissions return to approved and unclaimed.
func (s *PayoutService) CancelBatch(ctx context.Context, batchID string) error {
	return s.db.inWriteTx(ctx, func(tx *Tx) error {
		b, err := tx.batch(ctx, batchID)
		if err != nil {
			return err
		}
		var started int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM payouts WHERE batch_id = $1 AND status IN ('sending', 'paid', 'failed')`,
			batchID).Scan(&started); err != nil {
			return fmt.Errorf("cancel batch: %w", err)
		}
		if started > 0 || (b.Status != tandem.BatchProposed && b.Status != tandem.BatchApproved) {
			return tandem.Errorf(tandem.ECONFLICT, "This batch is %s and sending has started: it can no longer be cancelled.", b.Status)
		}
		ids, err := queryStrings(ctx, tx, `SELECT id FROM payouts WHERE batch_id = $1 AND status IN ('proposed', 'approved')`, batchID)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `UPDATE payouts SET status = 'cancelled' WHERE id = $1`, id); err != nil {
				return fmt.Errorf("cancel line: %w", err)
			}
			if err := tx.releaseCommissions(ctx, id); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE payout_batches SET status = 'cancelled', completed_at = $1 WHERE id = $2`, ms(tx.now), batchID); err != nil {
			return fmt.Errorf("cancel batch: %w", err)
		}
		return tx.audit(ctx, "payout.batch_cancelled", batchID, nil)
	})
}

func queryStrings(ctx context.Context, tx *Tx, q string, args ...any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
