package http

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tandem-prm/tandem"
)

// Referral is a lead a partner brought, as the API shows it.
type Referral struct {
	ID             string                  `json:"id" example:"ref_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	ProgramID      string                  `json:"program_id" example:"prg_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	PartnerID      string                  `json:"partner_id" example:"prt_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	LinkID         *string                 `json:"link_id" doc:"The link whose referral page the lead came through; null otherwise."`
	Source         tandem.ReferralSource   `json:"source" enum:"lead_form,partner_registered,api,conversion"`
	Email          string                  `json:"email" doc:"Normalised to lower case; empty only for referrals made by a conversion." example:"jane@buyer.example"`
	Name           string                  `json:"name" example:"Jane Doe"`
	Company        string                  `json:"company" example:"Buyer Inc"`
	Domain         string                  `json:"domain" doc:"The company domain of the email; empty for free-mail addresses." example:"buyer.example"`
	Notes          string                  `json:"notes"`
	ExpectedValue  int64                   `json:"expected_value" doc:"In minor units of currency (cents for USD); 0 when not given." example:"150000"`
	Currency       string                  `json:"currency" doc:"The program's currency." example:"USD"`
	Status         tandem.ReferralStatus   `json:"status" enum:"new,qualified,customer,rejected,duplicate,lost"`
	Reason         string                  `json:"reason" doc:"Why the referral has its status (rejected, lost, duplicate); the partner sees it."`
	Conflict       tandem.ReferralConflict `json:"conflict" enum:"none,existing_customer,protected_by_other,possible_duplicate" doc:"What the conflict check found at creation."`
	ConflictWithID *string                 `json:"conflict_with_id" doc:"The customer (cus_) or referral (ref_) the conflict is with."`
	CustomerID     *string                 `json:"customer_id" doc:"The customer it became; null until then."`
	ProtectedUntil time.Time               `json:"protected_until" doc:"Until when the email is this partner's: another partner's referral of it is a duplicate (RFC 3339, UTC)."`
	QualifiedAt    *time.Time              `json:"qualified_at" doc:"RFC 3339, UTC; null until qualified."`
	ConvertedAt    *time.Time              `json:"converted_at" doc:"When the first sale happened; null until then."`
	CreatedAt      time.Time               `json:"created_at" doc:"RFC 3339, UTC."`
	UpdatedAt      time.Time               `json:"updated_at" doc:"RFC 3339, UTC."`
}

func apiReferral(r *tandem.Referral) Referral {
	return Referral{ID: r.ID, ProgramID: r.ProgramID, PartnerID: r.PartnerID, LinkID: apiOptional(r.LinkID), Source: r.Source,
		Email: r.Email, Name: r.Name, Company: r.Company, Domain: r.Domain, Notes: r.Notes, ExpectedValue: r.ExpectedValue,
		Currency: r.Currency, Status: r.Status, Reason: r.Reason, Conflict: r.Conflict, ConflictWithID: apiOptional(r.ConflictWithID),
		CustomerID: apiOptional(r.CustomerID), ProtectedUntil: apiTime(r.ProtectedUntil), QualifiedAt: apiOptionalTime(r.QualifiedAt),
		ConvertedAt: apiOptionalTime(r.ConvertedAt), CreatedAt: apiTime(r.CreatedAt), UpdatedAt: apiTime(r.UpdatedAt)}
}

func referralKey(r *tandem.Referral) listKey { return createdKey(r.CreatedAt, r.ID) }

// ReferralEvent is one status change of a referral.
type ReferralEvent struct {
	From       string           `json:"from" doc:"The status before; empty for the referral's creation."`
	To         string           `json:"to"`
	Reason     string           `json:"reason"`
	ActorKind  tandem.ActorKind `json:"actor_kind" enum:"system,user,partner,api_key" doc:"Who made the change."`
	ActorID    string           `json:"actor_id" doc:"The user, partner user or API key; empty for the system."`
	OccurredAt time.Time        `json:"occurred_at" doc:"RFC 3339, UTC."`
}

// ReferralWithHistory is a referral and its status history.
type ReferralWithHistory struct {
	Referral
	History []ReferralEvent `json:"history" nullable:"false" doc:"Every status the referral has had, oldest first."`
}

// ReferralOutput is one referral with its history.
type ReferralOutput struct {
	Body ReferralWithHistory
}

// ReferralCreated is a new referral and where it lives.
type ReferralCreated struct {
	Location string `header:"Location" doc:"The new referral's URL."`
	Body     Referral
}

// NewReferral is a referral registered on a partner's behalf.
type NewReferral struct {
	ProgramID     string `json:"program_id" example:"prg_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	PartnerID     string `json:"partner_id" doc:"The partner: approved in the program." example:"prt_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	Email         string `json:"email" example:"jane@buyer.example"`
	Name          string `json:"name,omitempty" maxLength:"200" example:"Jane Doe"`
	Company       string `json:"company,omitempty" maxLength:"200" example:"Buyer Inc"`
	Notes         string `json:"notes,omitempty" maxLength:"5000"`
	ExpectedValue int64  `json:"expected_value,omitempty" minimum:"0" doc:"In minor units of the program's currency." example:"150000"`
}

type createReferralInput struct {
	Body NewReferral
}

type referralIDInput struct {
	ID string `path:"id" doc:"The referral's ID." example:"ref_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
}

type listReferralsInput struct {
	ListParams
	ProgramID string `query:"program_id" doc:"Only referrals in this program." example:"prg_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	PartnerID string `query:"partner_id" doc:"Only referrals of this partner." example:"prt_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	Status    string `query:"status" enum:"new,qualified,customer,rejected,duplicate,lost" doc:"Only referrals in this status."`
}

// StatusChange moves a referral along the pipeline.
type StatusChange struct {
	To     tandem.ReferralStatus `json:"to" enum:"new,qualified,rejected,duplicate,lost" doc:"new reopens a rejected or lost referral; customer is reached only by a sale."`
	Reason string                `json:"reason,omitempty" maxLength:"2000" doc:"Required for rejected, lost and duplicate; the partner sees it and is emailed."`
}

type changeReferralStatusInput struct {
	ID   string `path:"id" doc:"The referral's ID." example:"ref_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	Body StatusChange
}

func (s *Server) apiReferralRoutes(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "list-referrals", Method: http.MethodGet, Path: "/referrals", Tags: []string{"Referrals"},
		Summary: "List referrals", Description: "Referrals (leads), oldest first.",
	}, s.apiListReferrals)
	huma.Register(api, huma.Operation{
		OperationID: "get-referral", Method: http.MethodGet, Path: "/referrals/{id}", Tags: []string{"Referrals"},
		Summary: "Get a referral with its history",
	}, s.apiGetReferral)
	huma.Register(api, huma.Operation{
		OperationID: "create-referral", Method: http.MethodPost, Path: "/referrals", Tags: []string{"Referrals"},
		Summary: "Register a referral for a partner",
		Description: "Needs a write key. Conflicts are checked at once: an email that is already a customer's, or another partner's " +
			"inside the program's protection window, makes it a duplicate (201, with the reason); the same partner registering " +
			"the same email twice is 409.",
		DefaultStatus: http.StatusCreated,
	}, s.apiCreateReferral)
	huma.Register(api, huma.Operation{
		OperationID: "change-referral-status", Method: http.MethodPost, Path: "/referrals/{id}/status", Tags: []string{"Referrals"},
		Summary:     "Change a referral's status",
		Description: "Needs a write key. Allowed: new → qualified, rejected, lost or duplicate; qualified → rejected or lost; rejected or lost → new. Anything else is 400. The partner is emailed.",
	}, s.apiChangeReferralStatus)
}

func (s *Server) apiListReferrals(ctx context.Context, in *listReferralsInput) (*PageOutput[Referral], error) {
	from, err := decodeCursor(in.Cursor, 1, tandem.PrefixReferral)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	rs, err := s.services.Referrals.FindReferrals(ctx, tandem.ReferralFilter{ProgramID: in.ProgramID, PartnerID: in.PartnerID,
		Status: tandem.ReferralStatus(in.Status), After: from.String(), Limit: in.Limit + 1})
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	return pageOf(rs, in.Limit, referralKey, apiReferral), nil
}

func (s *Server) apiGetReferral(ctx context.Context, in *referralIDInput) (*ReferralOutput, error) {
	r, err := s.services.Referrals.FindReferralByID(ctx, in.ID)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	return s.referralWithHistory(ctx, r)
}

func (s *Server) referralWithHistory(ctx context.Context, r *tandem.Referral) (*ReferralOutput, error) {
	events, err := s.services.Referrals.FindReferralEvents(ctx, r.ID)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	out := &ReferralOutput{Body: ReferralWithHistory{Referral: apiReferral(r), History: make([]ReferralEvent, 0, len(events))}}
	for _, e := range events {
		out.Body.History = append(out.Body.History, ReferralEvent{From: string(e.From), To: string(e.To), Reason: e.Reason,
			ActorKind: e.ActorKind, ActorID: e.ActorID, OccurredAt: apiTime(e.OccurredAt)})
	}
	return out, nil
}

func (s *Server) apiCreateReferral(ctx context.Context, in *createReferralInput) (*ReferralCreated, error) {
	b := in.Body
	r, err := s.services.Referrals.CreateReferral(ctx, tandem.ReferralInput{ProgramID: b.ProgramID, PartnerID: b.PartnerID,
		Source: tandem.ReferralFromAPI, Email: b.Email, Name: b.Name, Company: b.Company, Notes: b.Notes, ExpectedValue: b.ExpectedValue})
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	return &ReferralCreated{Location: s.apiURL("/referrals/" + r.ID), Body: apiReferral(r)}, nil
}

func (s *Server) apiChangeReferralStatus(ctx context.Context, in *changeReferralStatusInput) (*ReferralOutput, error) {
	r, err := s.services.Referrals.ChangeReferralStatus(ctx, in.ID, in.Body.To, in.Body.Reason)
	if tandem.ErrorField(err) == "status" { // the API calls it "to"
		err = tandem.Invalidf("to", "%s", tandem.ErrorMessage(err))
	}
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	return s.referralWithHistory(ctx, r)
}
