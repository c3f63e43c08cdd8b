package http

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tandem-prm/tandem"
)

// Program is a partner program as the API shows it.
type Program struct {
	ID                string                  `json:"id" doc:"The program's ID." example:"prg_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	Slug              string                  `json:"slug" doc:"The program's public page is /p/{slug}." example:"partners"`
	Name              string                  `json:"name" example:"Acme Partner Program"`
	Type              tandem.ProgramType      `json:"type" enum:"referral,affiliate,reseller,strategic" doc:"What kind of partnership the program runs."`
	Currency          string                  `json:"currency" doc:"ISO 4217 code of the program's money." example:"USD"`
	TimeZone          string                  `json:"time_zone" doc:"IANA time zone of the program's periods and schedules." example:"Europe/Oslo"`
	CookieDays        int                     `json:"cookie_days" doc:"How long a click counts, in days." example:"30"`
	Attribution       tandem.AttributionModel `json:"attribution" enum:"first_click,last_click" doc:"Which click inside the cookie window owns a conversion."`
	AutoApprove       bool                    `json:"auto_approve" doc:"Whether applications are approved without review."`
	ProtectionDays    int                     `json:"protection_days" doc:"How long a referral's email belongs to the partner who registered it first, in days (0: not at all)." example:"60"`
	Status            tandem.ProgramStatus    `json:"status" enum:"active,archived" doc:"An archived program keeps its history and takes no applications."`
	DestinationURL    string                  `json:"destination_url" doc:"Where referral links lead by default; empty if not set." example:"https://www.example.com/pricing"`
	AllowedDomains    []string                `json:"allowed_domains" nullable:"false" doc:"The hosts links may lead to."`
	InvitesSkipReview bool                    `json:"invites_skip_review" doc:"Whether invited partners are approved as soon as they apply."`
	ClickParam        string                  `json:"click_param" doc:"The query parameter short links add the click ID to the destination as." example:"tandem_click"`
	RefParams         []string                `json:"ref_params" nullable:"false" doc:"The query parameters the tracking snippet reads a link code from on direct links." example:"[\"ref\",\"via\",\"fp_ref\"]"`
	Headline          string                  `json:"headline" doc:"The headline of the public page."`
	ValueProps        string                  `json:"value_props" doc:"Selling points for partners, one per line."`
	IdealPartner      string                  `json:"ideal_partner" doc:"Who should apply."`
	CreatedAt         time.Time               `json:"created_at" doc:"When the program was created (RFC 3339, UTC)."`
	UpdatedAt         time.Time               `json:"updated_at" doc:"When the program last changed (RFC 3339, UTC)."`
}

func apiProgram(p *tandem.Program) Program {
	return Program{ID: p.ID, Slug: p.Slug, Name: p.Name, Type: p.Type, Currency: p.Currency, TimeZone: p.TimeZone,
		CookieDays: p.CookieDays, Attribution: p.Attribution, AutoApprove: p.AutoApprove, ProtectionDays: p.ProtectionDays, Status: p.Status,
		DestinationURL: p.DestinationURL, AllowedDomains: nonNil(p.AllowedDomains), InvitesSkipReview: p.InvitesSkipReview,
		ClickParam: p.ClickParam, RefParams: nonNil(p.RefParams), Headline: p.Headline, ValueProps: p.ValueProps, IdealPartner: p.IdealPartner,
		CreatedAt: apiTime(p.CreatedAt), UpdatedAt: apiTime(p.UpdatedAt)}
}

func programKey(p *tandem.Program) listKey { return createdKey(p.CreatedAt, p.ID) }

// PartnerGroup is a tier of partners inside a program.
type PartnerGroup struct {
	ID        string    `json:"id" example:"grp_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	ProgramID string    `json:"program_id" example:"prg_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	Name      string    `json:"name" example:"Gold"`
	Position  int       `json:"position" doc:"The group's place in the program's list of groups."`
	CreatedAt time.Time `json:"created_at" doc:"RFC 3339, UTC."`
}

// ApplicationQuestion is a custom question of a program's application form.
type ApplicationQuestion struct {
	ID        string              `json:"id" doc:"The key of the answer in an application's answers." example:"apq_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	ProgramID string              `json:"program_id" example:"prg_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	Position  int                 `json:"position" doc:"The question's place on the form."`
	Label     string              `json:"label" example:"How do you reach your audience?"`
	Kind      tandem.QuestionKind `json:"kind" enum:"text,long_text,choice,url" doc:"text: one line (300 characters); long_text: a paragraph (5000); choice: one of choices; url: a web address."`
	Choices   []string            `json:"choices" nullable:"false" doc:"The choices of a choice question; empty otherwise."`
	Required  bool                `json:"required" doc:"Whether an application must answer it."`
}

// ProgramOutput is one program.
type ProgramOutput struct {
	Body Program
}

// ProgramCreated is a new program and where it lives.
type ProgramCreated struct {
	Location string `header:"Location" doc:"The new program's URL."`
	Body     Program
}

type programIDInput struct {
	ID string `path:"id" doc:"The program's ID." example:"prg_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
}

type listProgramsInput struct {
	ListParams
	Status string `query:"status" enum:"active,archived" doc:"Only programs in this status."`
	Type   string `query:"type" enum:"referral,affiliate,reseller,strategic" doc:"Only programs of this type."`
}

type programListInput struct {
	ID string `path:"id" doc:"The program's ID." example:"prg_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	ListParams
}

// NewProgram is a program to create.
type NewProgram struct {
	Name              string                  `json:"name" maxLength:"120" example:"Acme Partner Program"`
	Slug              string                  `json:"slug" doc:"1 to 64 lowercase letters, digits or dashes, unique." example:"partners"`
	Type              tandem.ProgramType      `json:"type" enum:"referral,affiliate,reseller,strategic"`
	Currency          string                  `json:"currency" doc:"ISO 4217 code." example:"USD"`
	TimeZone          string                  `json:"time_zone,omitempty" doc:"IANA time zone; UTC if left out." example:"Europe/Oslo"`
	CookieDays        int                     `json:"cookie_days,omitempty" minimum:"1" maximum:"730" doc:"30 if left out."`
	Attribution       tandem.AttributionModel `json:"attribution,omitempty" enum:"first_click,last_click" doc:"last_click if left out."`
	AutoApprove       bool                    `json:"auto_approve,omitempty"`
	ProtectionDays    *int                    `json:"protection_days,omitempty" minimum:"0" maximum:"365" doc:"60 if left out; 0 protects nothing."`
	Status            tandem.ProgramStatus    `json:"status,omitempty" enum:"active,archived" doc:"active if left out."`
	DestinationURL    string                  `json:"destination_url,omitempty" example:"https://www.example.com/pricing"`
	AllowedDomains    []string                `json:"allowed_domains,omitempty" nullable:"false" maxItems:"50"`
	InvitesSkipReview bool                    `json:"invites_skip_review,omitempty"`
	ClickParam        string                  `json:"click_param,omitempty" doc:"1 to 32 letters, digits, dashes or underscores; tandem_click if left out." example:"tandem_click"`
	RefParams         []string                `json:"ref_params,omitempty" nullable:"false" maxItems:"5" doc:"Names as for click_param; ref, via and fp_ref if left out."`
	Headline          string                  `json:"headline,omitempty"`
	ValueProps        string                  `json:"value_props,omitempty"`
	IdealPartner      string                  `json:"ideal_partner,omitempty"`
}

type createProgramInput struct {
	Body NewProgram
}

// ProgramChanges are the settings a PATCH changes: only those it sends. A
// field sent as null is left out, as the schema's optional fields are.
type ProgramChanges struct {
	Name              *string                  `json:"name,omitempty" maxLength:"120"`
	Slug              *string                  `json:"slug,omitempty"`
	Type              *tandem.ProgramType      `json:"type,omitempty" enum:"referral,affiliate,reseller,strategic"`
	Currency          *string                  `json:"currency,omitempty"`
	TimeZone          *string                  `json:"time_zone,omitempty"`
	CookieDays        *int                     `json:"cookie_days,omitempty" minimum:"1" maximum:"730"`
	Attribution       *tandem.AttributionModel `json:"attribution,omitempty" enum:"first_click,last_click"`
	AutoApprove       *bool                    `json:"auto_approve,omitempty"`
	ProtectionDays    *int                     `json:"protection_days,omitempty" minimum:"0" maximum:"365"`
	Status            *tandem.ProgramStatus    `json:"status,omitempty" enum:"active,archived"`
	DestinationURL    *string                  `json:"destination_url,omitempty"`
	AllowedDomains    *[]string                `json:"allowed_domains,omitempty" maxItems:"50" doc:"Replaces the list; the destination's host is always added."`
	InvitesSkipReview *bool                    `json:"invites_skip_review,omitempty"`
	ClickParam        *string                  `json:"click_param,omitempty"`
	RefParams         *[]string                `json:"ref_params,omitempty" maxItems:"5" doc:"Replaces the list; an empty list restores the defaults."`
	Headline          *string                  `json:"headline,omitempty"`
	ValueProps        *string                  `json:"value_props,omitempty"`
	IdealPartner      *string                  `json:"ideal_partner,omitempty"`
}

// updateProgramInput changes only the settings it sends.
type updateProgramInput struct {
	ID   string `path:"id" doc:"The program's ID." example:"prg_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	Body ProgramChanges
}

func (s *Server) apiProgramRoutes(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "list-programs", Method: http.MethodGet, Path: "/programs", Tags: []string{"Programs"},
		Summary: "List programs", Description: "Programs, oldest first.",
	}, s.apiListPrograms)
	huma.Register(api, huma.Operation{
		OperationID: "get-program", Method: http.MethodGet, Path: "/programs/{id}", Tags: []string{"Programs"},
		Summary: "Get a program",
	}, s.apiGetProgram)
	huma.Register(api, huma.Operation{
		OperationID: "create-program", Method: http.MethodPost, Path: "/programs", Tags: []string{"Programs"},
		Summary: "Create a program", Description: "Needs a write key. A taken slug is a 409 conflict.",
		DefaultStatus: http.StatusCreated,
	}, s.apiCreateProgram)
	huma.Register(api, huma.Operation{
		OperationID: "update-program", Method: http.MethodPatch, Path: "/programs/{id}", Tags: []string{"Programs"},
		Summary:     "Change a program's settings",
		Description: "Needs a write key. Only the fields sent change; the audit log records which did.",
	}, s.apiUpdateProgram)
	huma.Register(api, huma.Operation{
		OperationID: "list-program-questions", Method: http.MethodGet, Path: "/programs/{id}/questions", Tags: []string{"Programs"},
		Summary: "List a program's application questions", Description: "The live questions of the application form, in order.",
	}, s.apiListQuestions)
	huma.Register(api, huma.Operation{
		OperationID: "list-program-groups", Method: http.MethodGet, Path: "/programs/{id}/groups", Tags: []string{"Programs"},
		Summary: "List a program's partner groups", Description: "The groups (tiers) of the program, in order.",
	}, s.apiListGroups)
}

func (s *Server) apiListPrograms(ctx context.Context, in *listProgramsInput) (*PageOutput[Program], error) {
	from, err := decodeCursor(in.Cursor, 1, tandem.PrefixProgram)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	page, err := s.services.Programs.FindPrograms(ctx, tandem.ProgramFilter{Status: tandem.ProgramStatus(in.Status),
		Type: tandem.ProgramType(in.Type), After: from.String(), Limit: in.Limit + 1})
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	return pageOf(page, in.Limit, programKey, apiProgram), nil
}

func (s *Server) apiGetProgram(ctx context.Context, in *programIDInput) (*ProgramOutput, error) {
	p, err := s.services.Programs.FindProgramByID(ctx, in.ID)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	return &ProgramOutput{Body: apiProgram(p)}, nil
}

func (s *Server) apiCreateProgram(ctx context.Context, in *createProgramInput) (*ProgramCreated, error) {
	b := in.Body
	p := &tandem.Program{Name: b.Name, Slug: b.Slug, Type: b.Type, Currency: b.Currency, TimeZone: b.TimeZone,
		CookieDays: b.CookieDays, Attribution: b.Attribution, AutoApprove: b.AutoApprove, Status: b.Status,
		DestinationURL: b.DestinationURL, AllowedDomains: b.AllowedDomains, InvitesSkipReview: b.InvitesSkipReview,
		ClickParam: b.ClickParam, RefParams: b.RefParams, Headline: b.Headline, ValueProps: b.ValueProps, IdealPartner: b.IdealPartner,
		ProtectionDays: tandem.DefaultProtectionDays}
	if b.ProtectionDays != nil {
		p.ProtectionDays = *b.ProtectionDays
	}
	if err := s.services.Programs.CreateProgram(ctx, p); err != nil {
		return nil, s.apiError(ctx, err)
	}
	return &ProgramCreated{Location: s.apiURL("/programs/" + p.ID), Body: apiProgram(p)}, nil
}

func (s *Server) apiUpdateProgram(ctx context.Context, in *updateProgramInput) (*ProgramOutput, error) {
	p, err := s.services.Programs.FindProgramByID(ctx, in.ID)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	b, changed := in.Body, false
	set := func(dst *string, v *string) {
		if v != nil {
			*dst, changed = *v, true
		}
	}
	setBool := func(dst *bool, v *bool) {
		if v != nil {
			*dst, changed = *v, true
		}
	}
	set(&p.Name, b.Name)
	set(&p.Slug, b.Slug)
	set(&p.Currency, b.Currency)
	set(&p.TimeZone, b.TimeZone)
	set(&p.DestinationURL, b.DestinationURL)
	set(&p.Headline, b.Headline)
	set(&p.ValueProps, b.ValueProps)
	set(&p.IdealPartner, b.IdealPartner)
	set(&p.ClickParam, b.ClickParam)
	setBool(&p.AutoApprove, b.AutoApprove)
	setBool(&p.InvitesSkipReview, b.InvitesSkipReview)
	if b.Type != nil {
		p.Type, changed = *b.Type, true
	}
	if b.CookieDays != nil {
		p.CookieDays, changed = *b.CookieDays, true
	}
	if b.ProtectionDays != nil {
		p.ProtectionDays, changed = *b.ProtectionDays, true
	}
	if b.Attribution != nil {
		p.Attribution, changed = *b.Attribution, true
	}
	if b.Status != nil {
		p.Status, changed = *b.Status, true
	}
	if b.AllowedDomains != nil {
		p.AllowedDomains, changed = *b.AllowedDomains, true
	}
	if b.RefParams != nil {
		p.RefParams, changed = *b.RefParams, true
	}
	if !changed {
		return &ProgramOutput{Body: apiProgram(p)}, nil // nothing sent, nothing to write or audit
	}
	if err := s.services.Programs.UpdateProgram(ctx, p); err != nil {
		return nil, s.apiError(ctx, err)
	}
	return &ProgramOutput{Body: apiProgram(p)}, nil
}

func (s *Server) apiListQuestions(ctx context.Context, in *programListInput) (*PageOutput[ApplicationQuestion], error) {
	from, err := decodeCursor(in.Cursor, 1, tandem.PrefixQuestion)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	if _, err := s.services.Programs.FindProgramByID(ctx, in.ID); err != nil {
		return nil, s.apiError(ctx, err)
	}
	qs, err := s.services.Recruiting.FindQuestions(ctx, in.ID)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	key := func(q *tandem.ApplicationQuestion) listKey {
		return listKey{nums: []int64{int64(q.Position)}, id: q.ID}
	}
	return pageOf(pageInMemory(qs, in.Limit, key, from), in.Limit, key, func(q *tandem.ApplicationQuestion) ApplicationQuestion {
		return ApplicationQuestion{ID: q.ID, ProgramID: q.ProgramID, Position: q.Position, Label: q.Label, Kind: q.Kind,
			Choices: nonNil(q.Choices), Required: q.Required}
	}), nil
}

func (s *Server) apiListGroups(ctx context.Context, in *programListInput) (*PageOutput[PartnerGroup], error) {
	from, err := decodeCursor(in.Cursor, 1, tandem.PrefixGroup)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	if _, err := s.services.Programs.FindProgramByID(ctx, in.ID); err != nil {
		return nil, s.apiError(ctx, err)
	}
	gs, err := s.services.Recruiting.FindGroups(ctx, in.ID)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	key := func(g *tandem.PartnerGroup) listKey { return listKey{nums: []int64{int64(g.Position)}, id: g.ID} }
	return pageOf(pageInMemory(gs, in.Limit, key, from), in.Limit, key, func(g *tandem.PartnerGroup) PartnerGroup {
		return PartnerGroup{ID: g.ID, ProgramID: g.ProgramID, Name: g.Name, Position: g.Position, CreatedAt: apiTime(g.CreatedAt)}
	}), nil
}

// apiURL is the absolute URL of an API path, for Location headers.
func (s *Server) apiURL(path string) string {
	return strings.TrimSuffix(s.baseURL, "/") + apiPrefix + path
}
