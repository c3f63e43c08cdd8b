package sqldb

import (
	"context"
	"fmt"
	"strings"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/ledger"
)

// CommissionService moves commissions through their lifecycle: approval at
// the end of the hold (or by a finance user), rejection, and the release of
// commissions held for the agreement.
type CommissionService struct{ db *DB }

var _ tandem.CommissionService = (*CommissionService)(nil)

// NewCommissionService returns the commissions of db.
func NewCommissionService(db *DB) *CommissionService { return &CommissionService{db: db} }

// Commissions lists commissions, newest first.
func (s *CommissionService) Commissions(ctx context.Context, f tandem.CommissionFilter) ([]*tandem.Commission, error) {
	var out []*tandem.Commission
	err := s.db.inReadTx(ctx, func(tx *Tx) error {
		var err error
		out, err = findCommissions(ctx, tx, f)
		return err
	})
	return out, err
}

// ApproveDue approves up to limit pending commissions whose hold has ended
// and which nothing blocks, moving their amount from pending to payable. It
// returns how many it approved; the periodic job calls it until it returns 0.
func (s *CommissionService) ApproveDue(ctx context.Context, limit int) (int, error) {
	n := 0
	err := s.db.inWriteTx(ctx, func(tx *Tx) error {
		n = 0
		due, err := tx.dueCommissions(ctx, limit)
		if err != nil {
			return err
		}
		for _, k := range due {
			ok, err := tx.approveCommission(ctx, k, "")
			if err != nil {
				return err
			}
			if ok {
				n++
			}
		}
		return nil
	})
	return n, err
}

func (tx *Tx) dueCommissions(ctx context.Context, limit int) ([]*tandem.Commission, error) {
	return queryCommissions(ctx, tx, `SELECT `+commissionColumns+` FROM commissions k
		WHERE k.status = 'pending' AND k.blocked_by = '' AND k.hold_until <= $1 AND k.reversed_amount < k.amount
		ORDER BY k.hold_until, k.id LIMIT $2`, ms(tx.now), limit)
}

// approveCommission approves one pending commission if it is still pending
// (a concurrent approval or refund wins otherwise) and posts the move to
// payable. by is the approving user, "" for the hold job.
func (tx *Tx) approveCommission(ctx context.Context, k *tandem.Commission, by string) (bool, error) {
	res, err := tx.ExecContext(ctx, `
		UPDATE commissions SET status = 'approved', approved_at = $1, approved_by = $2, blocked_by = ''
		WHERE id = $3 AND status = 'pending' AND reversed_amount = $4`, ms(tx.now), by, k.ID, k.Reversed)
	if err != nil {
		return false, fmt.Errorf("approve commission: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	if k.MovesMoney() && k.Net() > 0 {
		if _, err := tx.post(ctx, ledger.Approved(k, tx.now)); err != nil {
			return false, err
		}
	}
	k.Status, k.ApprovedAt = tandem.CommissionApproved, tx.now
	return true, nil
}

// Approve approves pending commissions now, hold or manual review
// notwithstanding (a finance user's decision; a refund after it is a
// clawback). A commission held for the agreement cannot be approved until the
// partner accepts it. It returns how many it approved; the others are
// left as they are and listed in the error.
func (s *CommissionService) Approve(ctx context.Context, ids []string) (int, error) {
	return s.decide(ctx, ids, "commission.approve", func(tx *Tx, k *tandem.Commission) (string, error) {
		if k.BlockedBy == tandem.BlockedAgreement {
			return "held until the partner accepts the agreement", nil
		}
		ok, err := tx.approveCommission(ctx, k, tandem.ActorFrom(ctx).ID)
		if err != nil || ok {
			return "", err
		}
		return "changed meanwhile", nil
	})
}

// Reject rejects pending commissions with a reason that the partner sees,
// taking what is left of them back from the partner's pending balance.
func (s *CommissionService) Reject(ctx context.Context, ids []string, reason string) (int, error) {
	if err := tandem.RequireText("reason", "Reason", &reason, 500); err != nil {
		return 0, err
	}
	return s.decide(ctx, ids, "commission.reject", func(tx *Tx, k *tandem.Commission) (string, error) {
		res, err := tx.ExecContext(ctx, `UPDATE commissions SET status = 'rejected', reason = $1 WHERE id = $2 AND status = 'pending' AND reversed_amount = $3`,
			reason, k.ID, k.Reversed)
		if err != nil {
			return "", fmt.Errorf("reject commission: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return "changed meanwhile", err
		}
		if k.MovesMoney() && k.Net() > 0 {
			if _, err := tx.post(ctx, ledger.Rejected(k, tx.now, reason)); err != nil {
				return "", err
			}
		}
		return "", nil
	})
}

// decide applies a finance decision to each pending commission of ids in one
// transaction, audited. Commissions that are not pending are skipped and
// named in the returned error (EINVALID), after the others are done.
func (s *CommissionService) decide(ctx context.Context, ids []string, action string, fn func(*Tx, *tandem.Commission) (string, error)) (int, error) {
	if len(ids) == 0 || len(ids) > 1000 {
		return 0, tandem.Invalidf("ids", "Choose 1 to 1000 commissions.")
	}
	done := 0
	var skipped []string
	err := s.db.inWriteTx(ctx, func(tx *Tx) error {
		done, skipped = 0, nil
		for _, id := range ids {
			rows, err := tx.QueryContext(ctx, `SELECT `+commissionColumns+` FROM commissions k WHERE k.id = $1`, id)
			if err != nil {
				return fmt.Errorf("find commission: %w", err)
			}
			var k *tandem.Commission
			if rows.Next() {
				k, err = scanCommission(rows)
			}
			rows.Close()
			if err != nil {
				return err
			}
			if k == nil {
				skipped = append(skipped, id+": not found")
				continue
			}
			if k.Status != tandem.CommissionPending {
				skipped = append(skipped, fmt.Sprintf("%s: %s, not pending", id, k.Status))
				continue
			}
			why, err := fn(tx, k)
			if err != nil {
				return err
			}
			if why != "" {
				skipped = append(skipped, id+": "+why)
				continue
			}
			done++
			if err := tx.audit(ctx, action, id, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if len(skipped) > 0 {
		return done, tandem.Invalidf("ids", "%d done; skipped %s.", done, strings.Join(skipped, "; "))
	}
	return done, nil
}

// releaseAgreementHolds clears the agreement hold of a partner's pending
// commissions in a program once they accept its current agreement: those
// above a manual approval limit then wait for finance, the others for the
// end of their hold.
func (tx *Tx) releaseAgreementHolds(ctx context.Context, programID, partnerID string) error {
	_, err := tx.ExecContext(ctx, `
		UPDATE commissions SET blocked_by = CASE WHEN manual_review THEN 'manual_approval' ELSE '' END
		WHERE program_id = $1 AND partner_id = $2 AND status = 'pending' AND blocked_by = 'agreement'`, programID, partnerID)
	if err != nil {
		return fmt.Errorf("release agreement holds: %w", err)
	}
	return nil
}

type scanner interface{ Scan(dest ...any) error }

func scanCommission(row scanner) (*tandem.Commission, error) {
	k := &tandem.Commission{}
	if err := row.Scan(&k.ID, &k.ProgramID, &k.PartnerID, &k.ConversionID, &k.CustomerID, &k.PlanVersionID, &k.RuleKey,
		&k.Kind, &k.RewardKind, &k.Amount, &k.Currency, &k.Reversed, &k.Status, &k.BlockedBy, &k.ManualReview, &k.Explanation,
		timeCol(&k.OccurredAt), timeCol(&k.HoldUntil), timeCol(&k.ApprovedAt), &k.Reason, timeCol(&k.PaidAt), timeCol(&k.CreatedAt)); err != nil {
		return nil, fmt.Errorf("scan commission: %w", err)
	}
	return k, nil
}
