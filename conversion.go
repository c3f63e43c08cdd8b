package tandem

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// ConversionKind is the kind of event a merchant reports.
type ConversionKind string

// Conversion kinds. A refund and a cancellation point at the sale they undo
// (Parent); a renewal is a recurring payment of a subscription.
const (
	ConversionLeadQualified ConversionKind = "lead_qualified"
	ConversionSale          ConversionKind = "sale"
	ConversionRenewal       ConversionKind = "renewal"
	ConversionRefund        ConversionKind = "refund"
	ConversionCancellation  ConversionKind = "cancellation"
)

// ConversionSource is how an event reached Tandem.
type ConversionSource string

// Conversion sources.
const (
	SourceAPI    ConversionSource = "api"
	SourceStripe ConversionSource = "stripe"
	SourceManual ConversionSource = "manual"
	SourceDemo   ConversionSource = "demo"
)

// Limits on a conversion's fields.
const (
	MaxExternalID = 255
	MaxProduct    = 200
	MaxMetadata   = 8 << 10
	// MaxFuture is how far in the future an event may be dated (clock skew).
	MaxFuture = 24 * time.Hour
	// MaxBulkEvents is the most events one bulk request takes.
	MaxBulkEvents = 1000
)

// ConversionInput is an event as the merchant reports it.
type ConversionInput struct {
	ProgramID string
	Kind      ConversionKind
	Source    ConversionSource
	// EventID is the merchant's ID of the event: the same ID never makes a
	// second conversion.
	EventID string
	// The customer: the merchant's ID and/or email; one is required for
	// sales, renewals and refunds.
	CustomerID    string
	CustomerEmail string
	// Attribution hints.
	ClickID    string
	Coupon     string
	ReferralID string
	// Amount in minor units of Currency (sales, renewals, refunds). A refund
	// without an amount refunds what is left of its sale.
	Amount   int64
	Currency string
	// Parent is the EventID of the sale a refund reverses.
	Parent     string
	OccurredAt time.Time
	Product    string
	Metadata   json.RawMessage
}

// Normalize trims the input and fills the source (api) if empty. It leaves
// OccurredAt alone: an event without a time is dated when it is recorded.
func (in *ConversionInput) Normalize() {
	in.EventID = strings.TrimSpace(in.EventID)
	in.CustomerID = strings.TrimSpace(in.CustomerID)
	in.CustomerEmail = strings.ToLower(strings.TrimSpace(in.CustomerEmail))
	in.ClickID = strings.TrimSpace(in.ClickID)
	in.Coupon = strings.ToUpper(strings.TrimSpace(in.Coupon))
	in.ReferralID = strings.TrimSpace(in.ReferralID)
	in.Currency = strings.ToUpper(strings.TrimSpace(in.Currency))
	in.Parent = strings.TrimSpace(in.Parent)
	in.Product = strings.TrimSpace(in.Product)
	in.OccurredAt = in.OccurredAt.UTC().Truncate(time.Millisecond)
	if in.Source == "" {
		in.Source = SourceAPI
	}
}

// Validate checks what can be checked without the database: kinds, amounts,
// currency, time and field sizes. Errors name the API's field.
func (in *ConversionInput) Validate(now time.Time) error {
	switch in.Kind {
	case ConversionLeadQualified, ConversionSale, ConversionRenewal, ConversionRefund, ConversionCancellation:
	default:
		return Invalidf("type", "Type must be lead_qualified, sale, renewal, refund or cancellation.")
	}
	if in.EventID == "" {
		return Invalidf("event_id", "The event ID is required: it is what makes a retry safe.")
	}
	if len(in.EventID) > MaxExternalID || len(in.CustomerID) > MaxExternalID || len(in.Parent) > MaxExternalID ||
		len(in.ClickID) > MaxExternalID || len(in.ReferralID) > MaxExternalID || len(in.Coupon) > 64 {
		return Invalidf("event_id", "IDs are at most %d characters.", MaxExternalID)
	}
	if in.CustomerEmail != "" {
		if _, err := NormalizeEmail(in.CustomerEmail); err != nil {
			return Invalidf("customer.email", "The customer's email is not a valid address.")
		}
	}
	needsCustomer := in.Kind != ConversionLeadQualified
	if needsCustomer && in.CustomerID == "" && in.CustomerEmail == "" && in.Parent == "" {
		return Invalidf("customer", "A %s needs the customer's ID or email.", in.Kind)
	}
	if in.OccurredAt.After(now.Add(MaxFuture)) {
		return Invalidf("occurred_at", "The event is dated more than a day in the future.")
	}
	if in.OccurredAt.Before(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)) {
		return Invalidf("occurred_at", "The event is dated before 2000.")
	}
	if len(in.Product) > MaxProduct {
		return Invalidf("product", "The product is at most %d characters.", MaxProduct)
	}
	if len(in.Metadata) > MaxMetadata {
		return Invalidf("metadata", "Metadata is at most %d bytes.", MaxMetadata)
	}
	if in.Amount < 0 {
		return Invalidf("amount", "The amount cannot be negative: report a refund as type refund.")
	}
	if in.Amount > MaxAmount {
		return Invalidf("amount", "The amount is larger than %s: amounts are in minor units (cents).", FormatDecimal(MaxAmount, "USD"))
	}
	switch in.Kind {
	case ConversionSale, ConversionRenewal:
		if in.Amount == 0 {
			return Invalidf("amount", "A %s needs an amount above zero, in minor units.", in.Kind)
		}
	case ConversionRefund:
		if in.Parent == "" {
			return Invalidf("refund_of", "A refund names the event ID of the sale it refunds.")
		}
	}
	if in.Kind == ConversionSale || in.Kind == ConversionRenewal || in.Currency != "" {
		if err := ValidateCurrency("currency", in.Currency); err != nil {
			return err
		}
	}
	return nil
}

// Conversion is an event that may earn a commission, as recorded. It is
// immutable.
type Conversion struct {
	ID         string           `json:"id"`
	ProgramID  string           `json:"program_id"`
	Kind       ConversionKind   `json:"type"`
	Source     ConversionSource `json:"source"`
	EventID    string           `json:"event_id"`
	OccurredAt time.Time        `json:"occurred_at"`
	ReceivedAt time.Time        `json:"received_at"`
	Amount     int64            `json:"amount"`
	Currency   string           `json:"currency"`
	CustomerID string           `json:"customer_id,omitempty"` // cus_…
	PartnerID  string           `json:"partner_id,omitempty"`
	ParentID   string           `json:"parent_id,omitempty"` // the sale a refund reverses (cnv_…)
	ClickID    string           `json:"click_id,omitempty"`
	Coupon     string           `json:"coupon,omitempty"`
	ReferralID string           `json:"referral_id,omitempty"`
	Product    string           `json:"product,omitempty"`
	Metadata   json.RawMessage  `json:"metadata,omitempty"`
	// Attribution says which rule attributed the conversion (customer_lock,
	// referral, coupon, first_click, last_click, none) and why, in words.
	Attribution string `json:"attribution"`
	Explanation string `json:"attribution_explanation"`
	// NoCommission says why the conversion earned nothing, if it did not.
	NoCommission string `json:"no_commission_reason,omitempty"`
	// Refunded is how much of a sale has been refunded so far.
	Refunded    int64         `json:"refunded,omitempty"`
	Commissions []*Commission `json:"commissions"`
}

// Customer is a buyer of the merchant in one program, attributed to at most
// one partner for life (the lifetime lock).
type Customer struct {
	ID          string    `json:"id"`
	ProgramID   string    `json:"program_id"`
	ExternalID  string    `json:"external_id"`
	Email       string    `json:"email,omitempty"`
	PartnerID   string    `json:"partner_id,omitempty"`
	Attribution string    `json:"attribution,omitempty"`
	FirstSaleAt time.Time `json:"first_sale_at,omitzero"`
	Cancelled   bool      `json:"cancelled"`
	CreatedAt   time.Time `json:"created_at"`
}

// ConversionResult is the answer to one reported event. Replayed is true when
// the event had been recorded before: the answer is the conversion recorded
// then. Err is the event's own error in a bulk request.
type ConversionResult struct {
	Conversion *Conversion
	Replayed   bool
	Err        error
}

// ConversionService records merchants' events and lists them.
type ConversionService interface {
	// RecordConversion records one event idempotently: the same event ID
	// or idempotency key with the same content answers the conversion
	// recorded before; with other content it is ECONFLICT.
	RecordConversion(ctx context.Context, in ConversionInput, idempotencyKey string) (ConversionResult, error)
	// RecordConversions records up to MaxBulkEvents events, each atomically.
	RecordConversions(ctx context.Context, ins []ConversionInput) ([]ConversionResult, error)
	Conversions(ctx context.Context, f ConversionFilter) ([]*Conversion, error)
	Conversion(ctx context.Context, id string) (*Conversion, error)
}

// CommissionService moves commissions through their lifecycle.
type CommissionService interface {
	Commissions(ctx context.Context, f CommissionFilter) ([]*Commission, error)
	// Approve and Reject apply a finance decision to pending commissions and
	// return how many they changed.
	Approve(ctx context.Context, ids []string) (int, error)
	Reject(ctx context.Context, ids []string, reason string) (int, error)
	// ApproveDue approves commissions whose hold has ended (the job).
	ApproveDue(ctx context.Context, limit int) (int, error)
}

// PlanService stores commission plans.
type PlanService interface {
	CreatePlan(ctx context.Context, programID, name string, rules []Rule, effectiveFrom time.Time) (*Plan, error)
	PublishVersion(ctx context.Context, planID string, rules []Rule, effectiveFrom time.Time) (*PlanVersion, error)
	Plans(ctx context.Context, programID string) ([]*Plan, error)
	AssignPlan(ctx context.Context, programID, groupID, partnerID, planID string) error
	// Assignments lists the program's groups and partners that have a plan
	// of their own, groups first, each by name.
	Assignments(ctx context.Context, programID string) ([]PlanAssignment, error)
	// PartnerPlan returns the plan a partner earns under in a program now,
	// with its current version; ENOTFOUND if there is none.
	PartnerPlan(ctx context.Context, programID, partnerID string) (*Plan, error)
}

// PlanAssignment is a plan given to a partner group or to one partner,
// overriding the program's default (a partner's own plan overrides its
// group's).
type PlanAssignment struct {
	GroupID   string `json:"group_id,omitempty"`
	PartnerID string `json:"partner_id,omitempty"`
	Name      string `json:"name"` // the group's or the partner's
	PlanID    string `json:"plan_id"`
}

// LedgerService reads the ledger.
type LedgerService interface {
	// Balances returns a partner's non-zero balances ("" for the business).
	Balances(ctx context.Context, partnerID string) ([]Balance, error)
	Postings(ctx context.Context, partnerID string, limit int) ([]*Posting, error)
	VerifyLedger(ctx context.Context) error
}
