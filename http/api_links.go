package http

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tandem-prm/tandem"
)

// UTM are the campaign parameters a link appends to its destination.
type UTM struct {
	Source   string `json:"source" doc:"utm_source; empty if not set." example:"jane"`
	Medium   string `json:"medium" doc:"utm_medium; empty if not set." example:"newsletter"`
	Campaign string `json:"campaign" doc:"utm_campaign; empty if not set." example:"spring-2025"`
	Content  string `json:"content" doc:"utm_content; empty if not set."`
	Term     string `json:"term" doc:"utm_term; empty if not set."`
}

// LinkStats are a link's counts.
type LinkStats struct {
	Clicks    int64 `json:"clicks" doc:"Clicks on the link, bots left out."`
	Referrals int64 `json:"referrals" doc:"Referrals that came through the link."`
}

// Link is one of a partner's referral links.
type Link struct {
	ID          string             `json:"id" example:"lnk_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	Code        string             `json:"code" doc:"The code in the short URL and in ?ref= values; unique ignoring case." example:"Ab3dE6gH"`
	ShortURL    string             `json:"short_url" doc:"The address to share." example:"https://partners.example.com/r/Ab3dE6gH"`
	ProgramID   string             `json:"program_id" example:"prg_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	PartnerID   string             `json:"partner_id" example:"prt_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	Channel     tandem.LinkChannel `json:"channel" enum:"newsletter,facebook,x,linkedin,email,custom"`
	Label       string             `json:"label" doc:"The partner's name for the link; empty if not given."`
	Destination string             `json:"destination" doc:"The deep link; empty leads to the program's destination_url."`
	UTM         UTM                `json:"utm"`
	IsDefault   bool               `json:"is_default" doc:"The partner's default link in the program."`
	Stats       LinkStats          `json:"stats"`
	ArchivedAt  *time.Time         `json:"archived_at" doc:"When it was archived (RFC 3339, UTC); null while live."`
	CreatedAt   time.Time          `json:"created_at" doc:"RFC 3339, UTC."`
}

func (s *Server) apiLink(l *tandem.Link) Link {
	return Link{ID: l.ID, Code: l.Code, ShortURL: s.shortURL(l.Code), ProgramID: l.ProgramID, PartnerID: l.PartnerID,
		Channel: l.Channel, Label: l.Label, Destination: l.Destination,
		UTM:       UTM{Source: l.UTM.Source, Medium: l.UTM.Medium, Campaign: l.UTM.Campaign, Content: l.UTM.Content, Term: l.UTM.Term},
		IsDefault: l.IsDefault, Stats: LinkStats{Clicks: l.Stats.Clicks, Referrals: l.Stats.Referrals},
		ArchivedAt: apiOptionalTime(l.ArchivedAt), CreatedAt: apiTime(l.CreatedAt)}
}

func linkKey(l *tandem.Link) listKey { return createdKey(l.CreatedAt, l.ID) }

// LinkOutput is one link.
type LinkOutput struct {
	Body Link
}

// LinkCreated is a new link and where it lives.
type LinkCreated struct {
	Location string `header:"Location" doc:"The new link's URL."`
	Body     Link
}

// NewLink is a link created on a partner's behalf.
type NewLink struct {
	PartnerID   string             `json:"partner_id" doc:"The partner: approved in the program, with its current agreement accepted." example:"prt_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	ProgramID   string             `json:"program_id" example:"prg_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	Channel     tandem.LinkChannel `json:"channel,omitempty" enum:"newsletter,facebook,x,linkedin,email,custom" doc:"custom if left out."`
	Label       string             `json:"label,omitempty" doc:"Required for custom links; at most 100 characters." example:"Podcast"`
	Destination string             `json:"destination,omitempty" doc:"A deep link on one of the program's allowed_domains; anything else is refused." example:"https://www.example.com/pricing"`
	Code        string             `json:"code,omitempty" doc:"A vanity code: 4 to 32 of A-Z a-z 0-9 - _, not all digits, not reserved. Random (8 base62 characters) if left out." example:"jane-pod"`
	UTM         *NewUTM            `json:"utm,omitempty" doc:"Campaign parameters appended to the destination; each at most 200 characters."`
}

// NewUTM are the campaign parameters of a new link; each may be left out.
type NewUTM struct {
	Source   string `json:"source,omitempty" example:"jane"`
	Medium   string `json:"medium,omitempty" example:"newsletter"`
	Campaign string `json:"campaign,omitempty" example:"spring-2025"`
	Content  string `json:"content,omitempty"`
	Term     string `json:"term,omitempty"`
}

type createLinkInput struct {
	Body NewLink
}

type linkIDInput struct {
	ID string `path:"id" doc:"The link's ID." example:"lnk_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
}

type listLinksInput struct {
	ListParams
	ProgramID       string `query:"program_id" doc:"Only links in this program." example:"prg_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	PartnerID       string `query:"partner_id" doc:"Only links of this partner." example:"prt_4kz2n3p5q6r7s8t9u2v3w4x5y6"`
	IncludeArchived bool   `query:"include_archived" doc:"Include archived links."`
}

func (s *Server) apiLinkRoutes(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "list-links", Method: http.MethodGet, Path: "/links", Tags: []string{"Links"},
		Summary: "List referral links", Description: "Links, oldest first; archived ones only with include_archived.",
	}, s.apiListLinks)
	huma.Register(api, huma.Operation{
		OperationID: "get-link", Method: http.MethodGet, Path: "/links/{id}", Tags: []string{"Links"},
		Summary: "Get a referral link",
	}, s.apiGetLink)
	huma.Register(api, huma.Operation{
		OperationID: "create-link", Method: http.MethodPost, Path: "/links", Tags: []string{"Links"},
		Summary: "Create a referral link for a partner",
		Description: "Needs a write key. The partner must be approved in the program and have accepted its current agreement (else 403). " +
			"A deep link must be on the program's allowed domains (else 400); a vanity code that is taken is 409.",
		DefaultStatus: http.StatusCreated,
	}, s.apiCreateLink)
}

func (s *Server) apiListLinks(ctx context.Context, in *listLinksInput) (*PageOutput[Link], error) {
	from, err := decodeCursor(in.Cursor, 1, tandem.PrefixLink)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	ls, err := s.services.Links.FindLinks(ctx, tandem.LinkFilter{ProgramID: in.ProgramID, PartnerID: in.PartnerID,
		IncludeArchived: in.IncludeArchived, After: from.String(), Limit: in.Limit + 1})
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	return pageOf(ls, in.Limit, linkKey, s.apiLink), nil
}

func (s *Server) apiGetLink(ctx context.Context, in *linkIDInput) (*LinkOutput, error) {
	l, err := s.services.Links.FindLinkByID(ctx, in.ID)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	return &LinkOutput{Body: s.apiLink(l)}, nil
}

func (s *Server) apiCreateLink(ctx context.Context, in *createLinkInput) (*LinkCreated, error) {
	b := in.Body
	li := tandem.LinkInput{Channel: b.Channel, Label: b.Label, Destination: b.Destination, Code: b.Code}
	if b.UTM != nil {
		li.UTM = tandem.UTM{Source: b.UTM.Source, Medium: b.UTM.Medium, Campaign: b.UTM.Campaign, Content: b.UTM.Content, Term: b.UTM.Term}
	}
	l, err := s.services.Links.CreateLink(ctx, b.PartnerID, b.ProgramID, li)
	if err != nil {
		return nil, s.apiError(ctx, err)
	}
	return &LinkCreated{Location: s.apiURL("/links/" + l.ID), Body: s.apiLink(l)}, nil
}
