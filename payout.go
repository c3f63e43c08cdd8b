package tandem

import (
	"context"
	"time"
)

// PayoutSchedule is how often a program's payout batches are proposed.
type PayoutSchedule string

// Payout schedules. Manual proposes nothing by itself: finance (or a
// partner's request) starts a batch.
const (
	ScheduleManual       PayoutSchedule = "manual"
	ScheduleMonthly      PayoutSchedule = "monthly"       // on DayOfMonth
	ScheduleTwiceMonthly PayoutSchedule = "twice_monthly" // on the 1st and the 16th
	ScheduleWeekly       PayoutSchedule = "weekly"        // on Weekday
)

// PayoutMethodKind is how a partner is paid.
type PayoutMethodKind string

// Payout method kinds. PayPal and Wise are paid by exporting a file that
// finance uploads, Stripe Connect through Stripe's API, product credit by
// recording it for the merchant to apply.
const (
	MethodPayPal        PayoutMethodKind = "paypal"
	MethodWise          PayoutMethodKind = "wise"
	MethodStripeConnect PayoutMethodKind = "stripe_connect"
	MethodProductCredit PayoutMethodKind = "product_credit"
)

// Name is the method kind as people say it ("bank transfer (Wise)").
func (k PayoutMethodKind) Name() string {
	switch k {
	case MethodPayPal:
		return "PayPal"
	case MethodWise:
		return "bank transfer (Wise)"
	case MethodStripeConnect:
		return "Stripe Connect"
	case MethodProductCredit:
		return "product credit"
	}
	return string(k)
}

// PayoutSettings are a program's payout rules.
type PayoutSettings struct {
	ProgramID  string         `json:"program_id" required:"false"`
	Schedule   PayoutSchedule `json:"schedule" required:"false"`
	DayOfMonth int            `json:"day_of_month,omitempty" required:"false" doc:"1–28, for monthly."`
	Weekday    time.Weekday   `json:"weekday,omitempty" required:"false" doc:"0 (Sunday) – 6, for weekly."`
	// NetDays: a commission is paid once it has been approved this long.
	NetDays int `json:"net_days" required:"false"`
	// Currency is what the program pays in: its own currency (Tandem
	// converts no currencies).
	Currency string `json:"currency" required:"false"`
	// Minimums is the smallest payout per currency, in minor units.
	Minimums map[string]int64   `json:"minimums" required:"false"`
	Methods  []PayoutMethodKind `json:"methods" required:"false"`
	TimeZone string             `json:"time_zone" required:"false"`
}

// Accepts reports whether the program pays through the method kind.
func (s *PayoutSettings) Accepts(k PayoutMethodKind) bool {
	for _, m := range s.Methods {
		if m == k {
			return true
		}
	}
	return false
}

// PayoutMethod is where a partner wants to be paid. Details hold the
// method's fields (see payout.ValidateMethod); lists show only Display.
type PayoutMethod struct {
	ID        string            `json:"id"`
	PartnerID string            `json:"partner_id"`
	Kind      PayoutMethodKind  `json:"kind"`
	Details   map[string]string `json:"details"`
	Display   string            `json:"display"`
	CreatedAt time.Time         `json:"created_at"`
}

// TaxInfo is a partner's tax status: whether their W-9 or W-8 form was
// received (the form is a stored file) and their VAT ID.
type TaxInfo struct {
	PartnerID  string    `json:"partner_id"`
	FormKind   string    `json:"form_kind,omitempty"`
	FormFileID string    `json:"form_file_id,omitempty"`
	ReceivedAt time.Time `json:"received_at,omitzero"`
	VATID      string    `json:"vat_id,omitempty"`
}

// BatchStatus is where a payout batch stands.
type BatchStatus string

// Batch statuses.
const (
	BatchProposed  BatchStatus = "proposed"
	BatchApproved  BatchStatus = "approved"
	BatchPaid      BatchStatus = "paid"
	BatchFailed    BatchStatus = "failed" // every line settled, at least one failed
	BatchCancelled BatchStatus = "cancelled"
)

// LineStatus is where one payout line stands.
type LineStatus string

// Payout line statuses. A paid line never leaves paid.
const (
	LineProposed  LineStatus = "proposed"
	LineHeld      LineStatus = "held"      // finance held it: its commissions wait for a release
	LineCancelled LineStatus = "cancelled" // removed: its commissions return to the next batch
	LineApproved  LineStatus = "approved"
	LineSending   LineStatus = "sending"
	LinePaid      LineStatus = "paid"
	LineFailed    LineStatus = "failed" // its commissions are payable again; the reason says why
)

// PayoutBatch is a set of payout lines finance approves together, in one
// program and currency.
type PayoutBatch struct {
	ID          string        `json:"id"`
	ProgramID   string        `json:"program_id"`
	Currency    string        `json:"currency"`
	Status      BatchStatus   `json:"status"`
	Total       int64         `json:"total_amount"`
	LineCount   int           `json:"line_count"`
	ProposedAt  time.Time     `json:"proposed_at"`
	ApprovedBy  string        `json:"approved_by,omitempty"`
	ApprovedAt  time.Time     `json:"approved_at,omitzero"`
	CompletedAt time.Time     `json:"completed_at,omitzero"`
	Skipped     []SkippedLine `json:"skipped"`
	Lines       []*PayoutLine `json:"lines,omitempty"`
}

// SkippedLine is a partner the proposal left out, and why.
type SkippedLine struct {
	PartnerID string `json:"partner_id"`
	Name      string `json:"name"`
	Amount    int64  `json:"amount"`
	Reason    string `json:"reason"`
}

// PayoutLine pays one partner in one batch. Its ID is the idempotency key
// every provider sees, so a retry never pays twice.
type PayoutLine struct {
	ID            string           `json:"id"`
	BatchID       string           `json:"batch_id"`
	ProgramID     string           `json:"program_id"`
	PartnerID     string           `json:"partner_id"`
	PartnerName   string           `json:"partner_name"`
	PartnerEmail  string           `json:"-"`
	MethodID      string           `json:"payout_method_id"`
	MethodKind    PayoutMethodKind `json:"method_kind"`
	Method        PayoutMethod     `json:"-"` // the details at approval
	Credit        bool             `json:"credit" doc:"Pays product-credit rewards (the credit accounts)."`
	Amount        int64            `json:"amount"`
	Currency      string           `json:"currency"`
	Status        LineStatus       `json:"status"`
	Commissions   int              `json:"commission_count"`
	ExternalRef   string           `json:"external_ref,omitempty"`
	FailureReason string           `json:"failure_reason,omitempty"`
	HoldReason    string           `json:"hold_reason,omitempty"`
	SentAt        time.Time        `json:"sent_at,omitzero"`
	PaidAt        time.Time        `json:"paid_at,omitzero"`
	CreatedAt     time.Time        `json:"created_at"`
}

// PartnerBalance is what a partner may be paid in one currency, and why
// not yet when they may not.
type PartnerBalance struct {
	PartnerID   string `json:"partner_id"`
	PartnerName string `json:"partner_name"`
	Currency    string `json:"currency"`
	Payable     int64  `json:"payable" doc:"The payable ledger balance; negative is a debt from clawbacks."`
	InPayout    int64  `json:"in_payout" doc:"In open payout lines."`
	Eligible    int64  `json:"eligible" doc:"What the next batch would pay."`
	NotPayable  string `json:"not_payable_reason,omitempty"`
	ProgramID   string `json:"program_id,omitempty"`
	// NextPayout is the next scheduled proposal (zero for manual schedules).
	NextPayout time.Time `json:"next_payout_at,omitzero"`
}

// LineFilter selects payout lines. Zero fields match everything.
type LineFilter struct {
	ID        string
	BatchID   string
	PartnerID string
	Status    LineStatus
	Method    PayoutMethodKind
	Limit     int
}

// PayoutService proposes, approves and settles payouts.
type PayoutService interface {
	Settings(ctx context.Context, programID string) (*PayoutSettings, error)
	SaveSettings(ctx context.Context, s *PayoutSettings) error
	// SetMethod replaces the partner's payout method after checking its
	// fields; the caller has re-authenticated the partner.
	SetMethod(ctx context.Context, partnerID string, kind PayoutMethodKind, details map[string]string) (*PayoutMethod, error)
	Method(ctx context.Context, partnerID string) (*PayoutMethod, error)
	SaveTaxInfo(ctx context.Context, t *TaxInfo, form *Upload) error
	TaxInfo(ctx context.Context, partnerID string) (*TaxInfo, error)

	// Propose adds every eligible partner to the program's open batch
	// (creating it) and records who was skipped and why.
	Propose(ctx context.Context, programID string) (*PayoutBatch, error)
	// RequestPayout puts one partner's eligible balance in the open batch.
	RequestPayout(ctx context.Context, programID, partnerID string) (*PayoutLine, error)
	Batch(ctx context.Context, id string) (*PayoutBatch, error)
	Batches(ctx context.Context, programID string, limit int) ([]*PayoutBatch, error)
	Lines(ctx context.Context, f LineFilter) ([]*PayoutLine, error)
	// RemoveLine and HoldLine take a proposed line out of its batch; a
	// held line's commissions wait until ReleaseHolds.
	RemoveLine(ctx context.Context, lineID string) error
	HoldLine(ctx context.Context, lineID, reason string) error
	ReleaseHolds(ctx context.Context, partnerID string) (int, error)
	// ApproveBatch freezes the batch's lines and enqueues their sending.
	ApproveBatch(ctx context.Context, batchID string) (*PayoutBatch, error)
	CancelBatch(ctx context.Context, batchID string) error
	// StartSending moves an approved line to sending (what the send job
	// does first) and returns it.
	StartSending(ctx context.Context, lineID string) (*PayoutLine, error)
	// MarkPaid settles sending lines of a file-exported method (all of the
	// batch's when lineIDs is empty) with the finance user's reference.
	MarkPaid(ctx context.Context, batchID string, lineIDs []string, reference string) (int, error)
	// Balances returns payable balances (one partner's, or every one's).
	Balances(ctx context.Context, partnerID string) ([]*PartnerBalance, error)
	// PayoutStatement lists what a partner's payout line paid.
	PayoutStatement(ctx context.Context, partnerID, lineID string) (*Statement, error)
	// PeriodStatement lists what moved a partner's payable balance in
	// [from, to).
	PeriodStatement(ctx context.Context, partnerID, currency string, from, to time.Time) (*Statement, error)
}

// SendPayoutJob sends one approved payout line through its method's
// provider. It is enqueued in the transaction that approves the batch, and
// may run more than once: the line's ID is the provider's idempotency key.
type SendPayoutJob struct {
	PayoutID string `json:"payout_id"`
}

// Kind implements Job.
func (SendPayoutJob) Kind() string { return "send_payout" }

// PayoutScheduleJob proposes the batches of programs whose payout day has
// come, and sends again the lines a crash left approved or sending. It runs
// every few minutes.
type PayoutScheduleJob struct{}

// Kind implements Job.
func (PayoutScheduleJob) Kind() string { return "payout_schedule" }

// Statement lists what moved a partner's payable balance in one currency:
// for a period (commissions approved, clawbacks, payouts) or for one payout
// (the commissions it paid and the debt it netted).
type Statement struct {
	PartnerID   string         `json:"partner_id"`
	PartnerName string         `json:"partner_name"`
	Currency    string         `json:"currency"`
	Title       string         `json:"title"`
	From        time.Time      `json:"from,omitzero"`
	To          time.Time      `json:"to,omitzero"`
	Opening     int64          `json:"opening_balance"`
	Closing     int64          `json:"closing_balance"`
	Rows        []StatementRow `json:"rows"`
}

// StatementRow is one line of a statement.
type StatementRow struct {
	Date        time.Time `json:"date"`
	Kind        string    `json:"kind"` // commission, clawback, payout, netted
	Reference   string    `json:"reference"`
	Description string    `json:"description"`
	Amount      int64     `json:"amount"`
}
