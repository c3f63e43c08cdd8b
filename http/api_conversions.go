package http

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tandem-prm/tandem"
)

// ConversionEvent is one event a merchant reports.
type ConversionEvent struct {
	ProgramID string                `json:"program_id" doc:"The program the event belongs to." example:"prg_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	Type      tandem.ConversionKind `json:"type" enum:"lead_qualified,sale,renewal,refund,cancellation" doc:"What happened."`
	EventID   string                `json:"event_id" doc:"Your ID of the event (an invoice or charge ID, say), unique per program: the same ID is never recorded twice, so retries are safe." example:"in_1PqR2s"`
	Customer  *EventCustomer        `json:"customer,omitempty" doc:"The customer; required for sales and renewals. A lead_qualified event stores no customer (a lead is not one): its email goes on the partner's referral."`
	ClickID   string                `json:"click_id,omitempty" doc:"The click ID from tandem.clickId() or the tandem_click parameter." example:"clk_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	Coupon    string                `json:"coupon,omitempty" doc:"A coupon code used for the sale; codes mapped to a partner attribute the sale to them." example:"JANE20"`
	Referral  string                `json:"referral_id,omitempty" doc:"A referral (lead) ID: a sale makes it a customer; a lead_qualified event qualifies it (a referral earns its lead fee once, however it is qualified)." example:"ref_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	Amount    int64                 `json:"amount,omitempty" doc:"In minor units (cents), after discounts and tax: what commissions are computed on. A refund without an amount refunds what is left of its sale." example:"14900"`
	Currency  string                `json:"currency,omitempty" doc:"ISO 4217 code; required with an amount." example:"USD"`
	RefundOf  string                `json:"refund_of,omitempty" doc:"For a refund: the event_id of the sale or renewal refunded." example:"in_1PqR2s"`
	// OccurredAt is a pointer so that "left out" (now) differs from a time.
	OccurredAt *time.Time     `json:"occurred_at,omitempty" doc:"When it happened (RFC 3339); now if left out. At most a day ahead."`
	Product    string         `json:"product,omitempty" doc:"The product or plan, for product filters." example:"pro"`
	Metadata   map[string]any `json:"metadata,omitempty" doc:"Anything else to keep with the event (at most 8 KiB)."`
}

// EventCustomer identifies the merchant's customer.
type EventCustomer struct {
	ID    string `json:"id,omitempty" doc:"Your customer ID (a Stripe customer ID, say)." example:"cus_Q1w2E3"`
	Email string `json:"email,omitempty" doc:"The customer's email, used when there is no ID." example:"buyer@example.com"`
}

func (e ConversionEvent) input() tandem.ConversionInput {
	in := tandem.ConversionInput{ProgramID: e.ProgramID, Kind: e.Type, Source: tandem.SourceAPI, EventID: e.EventID,
		ClickID: e.ClickID, Coupon: e.Coupon, ReferralID: e.Referral, Amount: e.Amount, Currency: e.Currency,
		Parent: e.RefundOf, Product: e.Product}
	if e.Customer != nil {
		in.CustomerID, in.CustomerEmail = e.Customer.ID, e.Customer.Email
	}
	if e.OccurredAt != nil {
		in.OccurredAt = *e.OccurredAt
	}
	if len(e.Metadata) > 0 {
		in.Metadata, _ = json.Marshal(e.Metadata) // maps marshal in key order: a stable form for retries
	}
	return in
}

// Conversion is a recorded event with what it earned.
type Conversion struct {
	ID           string                  `json:"id" example:"cnv_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	ProgramID    string                  `json:"program_id"`
	Type         tandem.ConversionKind   `json:"type"`
	EventID      string                  `json:"event_id"`
	OccurredAt   time.Time               `json:"occurred_at"`
	ReceivedAt   time.Time               `json:"received_at"`
	Amount       int64                   `json:"amount" doc:"Minor units."`
	Currency     string                  `json:"currency"`
	Refunded     int64                   `json:"refunded" doc:"How much of a sale has been refunded (minor units)."`
	CustomerID   string                  `json:"customer_id" doc:"Tandem's customer ID; empty for a lead without customer."`
	PartnerID    string                  `json:"partner_id" doc:"The partner it is attributed to; empty when unattributed."`
	ParentID     string                  `json:"parent_id" doc:"For a refund: the refunded conversion."`
	ReferralID   string                  `json:"referral_id" doc:"The referral the event named; for a lead_qualified event, also the referral it qualified or made (a referral earns its lead fee once)."`
	Attribution  string                  `json:"attribution" enum:"customer_lock,referral,coupon,first_click,last_click,none" doc:"The rule that attributed it."`
	Explanation  string                  `json:"attribution_explanation" doc:"Why, in words."`
	NoCommission string                  `json:"no_commission_reason" doc:"Why it earned nothing; empty when it earned."`
	Commissions  []CommissionOut         `json:"commissions"`
	Source       tandem.ConversionSource `json:"source"`
}

// CommissionOut is a commission as the API shows it.
type CommissionOut struct {
	ID               string                  `json:"id" example:"com_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	PartnerID        string                  `json:"partner_id"`
	ConversionID     string                  `json:"conversion_id"`
	RuleKey          string                  `json:"rule_key"`
	Kind             tandem.CommissionKind   `json:"kind" enum:"base,bonus,milestone"`
	RewardKind       tandem.RewardKind       `json:"reward_kind" enum:"cash,credit,gift"`
	Amount           int64                   `json:"amount" doc:"Minor units."`
	Reversed         int64                   `json:"reversed_amount" doc:"Taken back by refunds (minor units)."`
	Currency         string                  `json:"currency"`
	Status           tandem.CommissionStatus `json:"status" enum:"pending,approved,in_payout,paid,rejected,reversed"`
	BlockedBy        tandem.Blocker          `json:"blocked_by" enum:",agreement,manual_approval" doc:"What keeps a pending commission from approval beyond its hold."`
	Explanation      string                  `json:"explanation" example:"29.80 USD: 20% of 149.00 USD, Standard v1, rule \"Sales\""`
	HoldUntil        time.Time               `json:"hold_until"`
	ExpectedApproval *time.Time              `json:"expected_approval" doc:"When the hold job should approve it; null when not pending or waiting for someone."`
	Reason           string                  `json:"reason" doc:"Why it was rejected."`
	CreatedAt        time.Time               `json:"created_at"`
}

func apiCommission(k *tandem.Commission) CommissionOut {
	return CommissionOut{ID: k.ID, PartnerID: k.PartnerID, ConversionID: k.ConversionID, RuleKey: k.RuleKey, Kind: k.Kind,
		RewardKind: k.RewardKind, Amount: k.Amount, Reversed: k.Reversed, Currency: k.Currency, Status: k.Status,
		BlockedBy: k.BlockedBy, Explanation: k.Explanation, HoldUntil: apiTime(k.HoldUntil),
		ExpectedApproval: apiOptionalTime(k.ExpectedApproval()), Reason: k.Reason, CreatedAt: apiTime(k.CreatedAt)}
}

func apiConversion(c *tandem.Conversion) Conversion {
	out := Conversion{ID: c.ID, ProgramID: c.ProgramID, Type: c.Kind, EventID: c.EventID, OccurredAt: apiTime(c.OccurredAt),
		ReceivedAt: apiTime(c.ReceivedAt), Amount: c.Amount, Currency: c.Currency, Refunded: c.Refunded, CustomerID: c.CustomerID,
		PartnerID: c.PartnerID, ParentID: c.ParentID, ReferralID: c.ReferralID, Attribution: c.Attribution, Explanation: c.Explanation,
		NoCommission: c.NoCommission, Source: c.Source, Commissions: make([]CommissionOut, 0, len(c.Commissions))}
	for _, k := range c.Commissions {
		out.Commissions = append(out.Commissions, apiCommission(k))
	}
	return out
}

type recordConversionInput struct {
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Optional: a retry with the same key and body answers the first result; the same key with another body is refused (409)."`
	Body           ConversionEvent
}

// ConversionRecorded is the answer to a reported event.
type ConversionRecorded struct {
	Status   int
	Location string `header:"Location"`
	Replayed bool   `header:"Idempotent-Replayed" doc:"true when the event had been recorded before and this is the same answer again."`
	Body     Conversion
}

type bulkInput struct {
	Body struct {
		Events []ConversionEvent `json:"events" minItems:"1" maxItems:"1000" doc:"1 to 1,000 events."`
	}
}

// BulkResult is the result of one event of a bulk request.
type BulkResult struct {
	Index      int         `json:"index" doc:"The event's position in the request, from 0."`
	Status     string      `json:"status" enum:"created,replayed,error"`
	Conversion *Conversion `json:"conversion,omitempty"`
	Error      *Problem    `json:"error,omitempty"`
}

// BulkOutput holds a bulk request's results, in request order.
type BulkOutput struct {
	Body struct {
		Results []BulkResult `json:"results"`
	}
}

type listConversionsInput struct {
	ProgramID string                `query:"program_id"`
	PartnerID string                `query:"partner_id"`
	Type      tandem.ConversionKind `query:"type" enum:"lead_qualified,sale,renewal,refund,cancellation"`
	Limit     int                   `query:"limit" minimum:"1" maximum:"500" default:"100"`
}

// ConversionsOutput is a list of conversions, newest first.
type ConversionsOutput struct {
	Body struct {
		Data []Conversion `json:"data"`
	}
}

type conversionIDInput struct {
	ID string `path:"id" example:"cnv_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
}

// ConversionOutput is one conversion.
type ConversionOutput struct {
	Body Conversion
}

func (s *Server) apiConversionRoutes(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "record-conversion", Method: http.MethodPost, Path: "/conversions", Tags: []string{"Conversions"},
		Summary: "Report a conversion (lead qualified, sale, renewal, refund, cancellation)",
		Description: "Attributes the event, computes its commissions and posts them to the ledger, atomically. " +
			"Idempotent: the same event_id (per program) or Idempotency-Key with the same body answers the first result again " +
			"(with Idempotent-Replayed: true); with another body it is 409 and nothing is written. Needs a write key.",
		DefaultStatus: http.StatusCreated,
	}, s.apiRecordConversion)
	huma.Register(api, huma.Operation{
		OperationID: "record-conversions-bulk", Method: http.MethodPost, Path: "/conversions/bulk", Tags: []string{"Conversions"},
		Summary:     "Report up to 1,000 conversions at once",
		Description: "Each event is recorded atomically on its own, with its own result; one bad event does not fail the others.",
	}, s.apiRecordConversions)
	huma.Register(api, huma.Operation{
		OperationID: "list-conversions", Method: http.MethodGet, Path: "/conversions", Tags: []string{"Conversions"},
		Summary: "List conversions, newest first",
	}, s.apiListConversions)
	huma.Register(api, huma.Operation{
		OperationID: "get-conversion", Method: http.MethodGet, Path: "/conversions/{id}", Tags: []string{"Conversions"},
		Summary: "Get a conversion and its commissions",
	}, s.apiGetConversion)
}

func (s *Server) apiRecordConversion(ctx context.Context, in *recordConversionInput) (*ConversionRecorded, error) {
	res, err := s.services.Conversions.RecordConversion(ctx, in.Body.input(), in.IdempotencyKey)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	// A replay answers exactly as the first time, status included.
	return &ConversionRecorded{Status: http.StatusCreated, Location: s.apiURL("/conversions/" + res.Conversion.ID),
		Replayed: res.Replayed, Body: apiConversion(res.Conversion)}, nil
}

func (s *Server) apiRecordConversions(ctx context.Context, in *bulkInput) (*BulkOutput, error) {
	ins := make([]tandem.ConversionInput, len(in.Body.Events))
	for i, e := range in.Body.Events {
		ins[i] = e.input()
	}
	results, err := s.services.Conversions.RecordConversions(ctx, ins)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	out := &BulkOutput{}
	out.Body.Results = make([]BulkResult, len(results))
	for i, r := range results {
		br := BulkResult{Index: i}
		switch {
		case r.Err != nil:
			br.Status, br.Error = "error", s.problem(ctx, r.Err, "")
		case r.Replayed:
			c := apiConversion(r.Conversion)
			br.Status, br.Conversion = "replayed", &c
		default:
			c := apiConversion(r.Conversion)
			br.Status, br.Conversion = "created", &c
		}
		out.Body.Results[i] = br
	}
	return out, nil
}

func (s *Server) apiListConversions(ctx context.Context, in *listConversionsInput) (*ConversionsOutput, error) {
	cs, err := s.services.Conversions.Conversions(ctx, tandem.ConversionFilter{ProgramID: in.ProgramID, PartnerID: in.PartnerID, Kind: in.Type, Limit: in.Limit})
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	out := &ConversionsOutput{}
	out.Body.Data = make([]Conversion, 0, len(cs))
	for _, c := range cs {
		out.Body.Data = append(out.Body.Data, apiConversion(c))
	}
	return out, nil
}

func (s *Server) apiGetConversion(ctx context.Context, in *conversionIDInput) (*ConversionOutput, error) {
	c, err := s.services.Conversions.Conversion(ctx, in.ID)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	return &ConversionOutput{Body: apiConversion(c)}, nil
}
