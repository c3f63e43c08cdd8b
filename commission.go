package tandem

import (
	"time"
)

// CommissionStatus is where a commission stands on its way to being paid.
type CommissionStatus string

// Commission statuses. A commission is pending while it is held (the refund
// window, an agreement not yet accepted, a manual approval), approved when
// payable, in_payout while a payout batch holds it, and paid. A refund may
// reverse it in any of these; a finance user may reject a pending one.
const (
	CommissionPending  CommissionStatus = "pending"
	CommissionApproved CommissionStatus = "approved"
	CommissionInPayout CommissionStatus = "in_payout"
	CommissionPaid     CommissionStatus = "paid"
	CommissionRejected CommissionStatus = "rejected"
	CommissionReversed CommissionStatus = "reversed"
)

// Blocker is what keeps a pending commission from approval beyond its hold.
type Blocker string

// Blockers. The agreement blocker clears when the partner accepts the
// program's current agreement; manual approval needs a finance user.
const (
	BlockedNone      Blocker = ""
	BlockedAgreement Blocker = "agreement"
	BlockedManual    Blocker = "manual_approval"
)

// CommissionKind separates a rule's commission from a milestone's one-off
// bonus.
type CommissionKind string

// Commission kinds.
const (
	CommissionBase      CommissionKind = "base"
	CommissionBonus     CommissionKind = "bonus"
	CommissionMilestone CommissionKind = "milestone"
)

// Commission is what a partner earns from one conversion under one rule.
type Commission struct {
	ID            string           `json:"id"`
	ProgramID     string           `json:"program_id"`
	PartnerID     string           `json:"partner_id"`
	ConversionID  string           `json:"conversion_id"`
	CustomerID    string           `json:"customer_id,omitempty"`
	PlanVersionID string           `json:"plan_version_id"`
	RuleKey       string           `json:"rule_key"`
	Kind          CommissionKind   `json:"kind"`
	RewardKind    RewardKind       `json:"reward_kind"`
	Amount        int64            `json:"amount"`
	Currency      string           `json:"currency"`
	Reversed      int64            `json:"reversed_amount"`
	Status        CommissionStatus `json:"status"`
	BlockedBy     Blocker          `json:"blocked_by,omitempty"`
	// ManualReview is set when the amount is above the rule's manual
	// approval limit: once the agreement is accepted, a finance user still
	// has to approve it.
	ManualReview bool `json:"manual_review,omitempty"`
	// Explanation says in words how the amount was computed ("20% of 149.00
	// USD, Pro plan, tier 2: 12 customers this quarter").
	Explanation string    `json:"explanation"`
	OccurredAt  time.Time `json:"occurred_at"`
	HoldUntil   time.Time `json:"hold_until"`
	ApprovedAt  time.Time `json:"approved_at,omitzero"`
	Reason      string    `json:"reason,omitempty"`
	PaidAt      time.Time `json:"paid_at,omitzero"`
	CreatedAt   time.Time `json:"created_at"`
}

// Net is what the commission is worth after reversals.
func (c *Commission) Net() int64 { return c.Amount - c.Reversed }

// Moves money reports whether the commission posts to the ledger: gifts are
// tracked but never paid in money.
func (c *Commission) MovesMoney() bool { return c.RewardKind != RewardGift }

// ApprovableAt reports whether the commission may be approved at now: it is
// pending, its hold has ended and nothing blocks it.
func (c *Commission) ApprovableAt(now time.Time) bool {
	return c.Status == CommissionPending && c.BlockedBy == BlockedNone && !now.Before(c.HoldUntil) && c.Net() > 0
}

// ExpectedApproval is when the commission should be approved if nothing
// changes: the end of its hold. It is zero when the commission is not
// pending or waits for someone (the agreement, a finance user).
func (c *Commission) ExpectedApproval() time.Time {
	if c.Status != CommissionPending || c.BlockedBy != BlockedNone {
		return time.Time{}
	}
	return c.HoldUntil
}

// CommissionFilter selects commissions. Zero fields match everything.
type CommissionFilter struct {
	ProgramID    string
	PartnerID    string
	ConversionID string
	Status       CommissionStatus
	Limit        int
}

// ConversionFilter selects conversions. Zero fields match everything.
type ConversionFilter struct {
	ProgramID string
	PartnerID string
	Kind      ConversionKind
	Limit     int
}
