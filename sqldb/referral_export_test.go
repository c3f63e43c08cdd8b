package sqldb

import (
	"context"
	"time"
)

// MarkReferralCustomer runs markReferralCustomer in a transaction of its
// own, so the external tests can reach the conversion engine's hook.
func (s *ReferralService) MarkReferralCustomer(ctx context.Context, referralID, customerID string, at time.Time) error {
	return s.db.inWriteTx(ctx, func(tx *Tx) error { return tx.markReferralCustomer(ctx, referralID, customerID, at) })
}
