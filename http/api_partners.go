package http

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tandem-prm/tandem"
)

// Partner is a partner account as the API shows it: a person or a company,
// in any number of programs through memberships.
type Partner struct {
	ID          string               `json:"id" example:"prt_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	Name        string               `json:"name" example:"Jane Doe"`
	Email       string               `json:"email" doc:"Lower case; unique across partners." example:"jane@example.com"`
	Kind        tandem.PartnerKind   `json:"kind" enum:"person,company"`
	Type        tandem.PartnerType   `json:"type" enum:"referral_partner,affiliate,strategic,agent" doc:"The role the partner plays for the business."`
	Company     string               `json:"company" doc:"Empty if not given."`
	Website     string               `json:"website" doc:"Empty if not given." example:"https://jane.example.com"`
	SocialLinks []string             `json:"social_links" nullable:"false" doc:"The partner's profiles."`
	Audience    string               `json:"audience" doc:"Who the partner reaches, in their own words."`
	Tags        []string             `json:"tags" nullable:"false" doc:"The program manager's labels."`
	Source      tandem.PartnerSource `json:"source" enum:"applied,invited,imported" doc:"How the partner came to the business."`
	CreatedAt   time.Time            `json:"created_at" doc:"RFC 3339, UTC."`
	UpdatedAt   time.Time            `json:"updated_at" doc:"RFC 3339, UTC."`
}

func apiPartner(p *tandem.Partner) Partner {
	return Partner{ID: p.ID, Name: p.Name, Email: p.Email, Kind: p.Kind, Type: p.Type, Company: p.Company, Website: p.Website,
		SocialLinks: nonNil(p.SocialLinks), Audience: p.Audience, Tags: nonNil(p.Tags), Source: p.Source,
		CreatedAt: apiTime(p.CreatedAt), UpdatedAt: apiTime(p.UpdatedAt)}
}

func partnerKey(p *tandem.Partner) listKey { return createdKey(p.CreatedAt, p.ID) }

// Membership is a partner's place in one program. A pending membership is
// an application waiting for review.
type Membership struct {
	ID        string                  `json:"id" example:"mem_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	ProgramID string                  `json:"program_id" example:"prg_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	PartnerID string                  `json:"partner_id" example:"prt_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	Status    tandem.MembershipStatus `json:"status" enum:"pending,approved,rejected,suspended" doc:"pending: an application waiting for review."`
	Reason    string                  `json:"reason" doc:"Why it was rejected or suspended, or the question asked of a pending applicant; empty otherwise."`
	GroupID   *string                 `json:"group_id" doc:"The partner group, if any." example:"grp_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	Answers   map[string]string       `json:"answers" doc:"The application's answers, by question ID (see the program's questions)."`
	Flags     []string                `json:"flags" nullable:"false" doc:"What a reviewer should know: free_email, disposable_email, existing_partner, business_user, more_info_requested."`
	CreatedAt time.Time               `json:"created_at" doc:"When the partner applied or joined (RFC 3339, UTC)."`
	UpdatedAt time.Time               `json:"updated_at" doc:"RFC 3339, UTC."`
}

func apiMembership(m *tandem.Membership) Membership {
	answers := m.Answers
	if answers == nil {
		answers = map[string]string{}
	}
	return Membership{ID: m.ID, ProgramID: m.ProgramID, PartnerID: m.PartnerID, Status: m.Status, Reason: m.Reason,
		GroupID: apiOptional(m.GroupID), Answers: answers, Flags: nonNil(m.Flags),
		CreatedAt: apiTime(m.CreatedAt), UpdatedAt: apiTime(m.UpdatedAt)}
}

func membershipKey(m *tandem.Membership) listKey { return createdKey(m.CreatedAt, m.ID) }

// PartnerOutput is one partner.
type PartnerOutput struct {
	Body Partner
}

// MembershipOutput is one membership.
type MembershipOutput struct {
	Body Membership
}

// MembershipCreated is a new membership (an application) and where it lives.
type MembershipCreated struct {
	Location string `header:"Location" doc:"The new membership's URL."`
	Body     Membership
}

type partnerIDInput struct {
	ID string `path:"id" doc:"The partner's ID." example:"prt_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
}

type membershipIDInput struct {
	ID string `path:"id" doc:"The membership's ID." example:"mem_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
}

type listPartnersInput struct {
	ListParams
	Email string `query:"email" doc:"Only the partner with this email (compared in lower case)." example:"jane@example.com"`
}

type listMembershipsInput struct {
	ListParams
	ProgramID string `query:"program_id" doc:"Only memberships in this program." example:"prg_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	PartnerID string `query:"partner_id" doc:"Only memberships of this partner." example:"prt_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	Status    string `query:"status" enum:"pending,approved,rejected,suspended" doc:"Only memberships in this status; pending lists the applications to review."`
}

// Review is a reviewer's decision about an application.
type Review struct {
	Decision tandem.DecisionKind `json:"decision" enum:"approve,reject,ask" doc:"approve (into group_id, optional), reject (reason required, emailed) or ask the applicant for more information (reason is the question, emailed)."`
	GroupID  string              `json:"group_id,omitempty" doc:"approve: one of the program's groups." example:"grp_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	Reason   string              `json:"reason,omitempty" maxLength:"2000" doc:"reject: why; ask: the question to the applicant."`
}

type reviewInput struct {
	ID   string `path:"id" doc:"The membership's ID." example:"mem_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	Body Review
}

// NewApplication is an application sent on someone's behalf.
type NewApplication struct {
	Name        string             `json:"name" maxLength:"200" example:"Jane Doe"`
	Email       string             `json:"email" doc:"The applicant's email; an existing partner with it applies as itself." example:"jane@example.com"`
	Kind        tandem.PartnerKind `json:"kind,omitempty" enum:"person,company" doc:"person if left out."`
	Company     string             `json:"company,omitempty" maxLength:"200"`
	Website     string             `json:"website,omitempty" example:"https://jane.example.com"`
	SocialLinks []string           `json:"social_links,omitempty" nullable:"false" maxItems:"10"`
	Audience    string             `json:"audience,omitempty" maxLength:"2000"`
	Answers     map[string]string  `json:"answers,omitempty" doc:"Answers to the program's questions, by question ID."`
}

type applyInput struct {
	ID   string `path:"id" doc:"The program's ID." example:"prg_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	Body NewApplication
}

func (s *Server) apiPartnerRoutes(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "list-partners", Method: http.MethodGet, Path: "/partners", Tags: []string{"Partners"},
		Summary: "List partners", Description: "Partners, oldest first. For the partners of a program, list its memberships.",
	}, s.apiListPartners)
	huma.Register(api, huma.Operation{
		OperationID: "get-partner", Method: http.MethodGet, Path: "/partners/{id}", Tags: []string{"Partners"},
		Summary: "Get a partner",
	}, s.apiGetPartner)
	huma.Register(api, huma.Operation{
		OperationID: "list-memberships", Method: http.MethodGet, Path: "/memberships", Tags: []string{"Memberships"},
		Summary:     "List memberships and applications",
		Description: "Memberships, oldest first. status=pending lists the applications waiting for review, with their answers and flags.",
	}, s.apiListMemberships)
	huma.Register(api, huma.Operation{
		OperationID: "get-membership", Method: http.MethodGet, Path: "/memberships/{id}", Tags: []string{"Memberships"},
		Summary: "Get a membership or application",
	}, s.apiGetMembership)
	huma.Register(api, huma.Operation{
		OperationID: "review-membership", Method: http.MethodPost, Path: "/memberships/{id}/review", Tags: []string{"Memberships"},
		Summary:     "Review an application",
		Description: "Needs a write key. Approves, rejects or asks the applicant for more information; the partner is emailed.",
	}, s.apiReviewMembership)
	huma.Register(api, huma.Operation{
		OperationID: "submit-application", Method: http.MethodPost, Path: "/programs/{id}/applications", Tags: []string{"Memberships"},
		Summary: "Submit an application on someone's behalf",
		Description: "Needs a write key. Finds or creates the partner by email, creates a pending membership (approved at once " +
			"if the program auto-approves) with the answers and flags, gives the applicant a portal user and emails them.",
		DefaultStatus: http.StatusCreated,
	}, s.apiApply)
}

func (s *Server) apiListPartners(ctx context.Context, in *listPartnersInput) (*PageOutput[Partner], error) {
	from, err := decodeCursor(in.Cursor, 1, tandem.PrefixPartner)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	ps, err := s.services.Partners.FindPartners(ctx, tandem.PartnerFilter{Email: in.Email, After: from.String(), Limit: in.Limit + 1})
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	return pageOf(ps, in.Limit, partnerKey, apiPartner), nil
}

func (s *Server) apiGetPartner(ctx context.Context, in *partnerIDInput) (*PartnerOutput, error) {
	p, err := s.services.Partners.FindPartnerByID(ctx, in.ID)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	return &PartnerOutput{Body: apiPartner(p)}, nil
}

func (s *Server) apiListMemberships(ctx context.Context, in *listMembershipsInput) (*PageOutput[Membership], error) {
	from, err := decodeCursor(in.Cursor, 1, tandem.PrefixMembership)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	ms, err := s.services.Partners.FindMemberships(ctx, tandem.MembershipFilter{ProgramID: in.ProgramID, PartnerID: in.PartnerID,
		Status: tandem.MembershipStatus(in.Status), After: from.String(), Limit: in.Limit + 1})
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	return pageOf(ms, in.Limit, membershipKey, apiMembership), nil
}

func (s *Server) apiGetMembership(ctx context.Context, in *membershipIDInput) (*MembershipOutput, error) {
	ms, err := s.services.Partners.FindMemberships(ctx, tandem.MembershipFilter{ID: in.ID, Limit: 1})
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	if len(ms) == 0 {
		return nil, s.apiError(ctx, tandem.Errorf(tandem.ENOTFOUND, "Membership not found."))
	}
	return &MembershipOutput{Body: apiMembership(ms[0])}, nil
}

func (s *Server) apiReviewMembership(ctx context.Context, in *reviewInput) (*MembershipOutput, error) {
	m, err := s.services.Recruiting.ReviewMembership(ctx, in.ID, tandem.Decision{Kind: in.Body.Decision,
		GroupID: in.Body.GroupID, Reason: in.Body.Reason})
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	return &MembershipOutput{Body: apiMembership(m)}, nil
}

func (s *Server) apiApply(ctx context.Context, in *applyInput) (*MembershipCreated, error) {
	b := in.Body
	m, err := s.services.Recruiting.Apply(ctx, &tandem.Application{ProgramID: in.ID, Name: b.Name, Email: b.Email, Kind: b.Kind,
		Company: b.Company, Website: b.Website, SocialLinks: b.SocialLinks, Audience: b.Audience, Answers: b.Answers})
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	return &MembershipCreated{Location: s.apiURL("/memberships/" + m.ID), Body: apiMembership(m)}, nil
}
