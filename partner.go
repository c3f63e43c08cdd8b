package tandem

import (
	"context"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// PartnerKind says whether a partner is a person or a company.
type PartnerKind string

// Partner kinds.
const (
	PartnerPerson  PartnerKind = "person"
	PartnerCompany PartnerKind = "company"
)

// PartnerType is the role a partner plays for the business.
type PartnerType string

// Partner types, as PRODUCT.md names them.
const (
	TypeReferralPartner PartnerType = "referral_partner"
	TypeAffiliate       PartnerType = "affiliate"
	TypeStrategic       PartnerType = "strategic"
	TypeAgent           PartnerType = "agent"
)

// PartnerSource records how a partner came to the business.
type PartnerSource string

// Partner sources.
const (
	SourceApplied  PartnerSource = "applied"
	SourceInvited  PartnerSource = "invited"
	SourceImported PartnerSource = "imported"
)

// Partner is one partner account: a person or a company that may belong to
// several programs (through memberships) and have several users.
type Partner struct {
	ID      string      `json:"id"`
	Name    string      `json:"name"`
	Email   string      `json:"email"`
	Kind    PartnerKind `json:"kind"`
	Type    PartnerType `json:"type"`
	Company string      `json:"company,omitempty"`
	Website string      `json:"website,omitempty"`
	// SocialLinks are the partner's profiles (LinkedIn, YouTube, a newsletter…).
	SocialLinks []string `json:"social_links,omitempty"`
	// Audience is who the partner reaches, in their own words.
	Audience string `json:"audience,omitempty"`
	// Tags are the program manager's labels for the partner.
	Tags      []string      `json:"tags,omitempty"`
	Source    PartnerSource `json:"source"`
	CreatedAt time.Time     `json:"created_at"`
	UpdatedAt time.Time     `json:"updated_at"`
}

// Validate checks a partner's fields, normalises the email to lower case and
// fills the defaults (a person, a referral partner, applied).
func (p *Partner) Validate() error {
	if err := RequireText("name", "Name", &p.Name, 200); err != nil {
		return err
	}
	email, err := NormalizeEmail(p.Email)
	if err != nil {
		return err
	}
	p.Email = email
	if p.Website = strings.TrimSpace(p.Website); p.Website != "" && !isWebURL(p.Website) {
		return Invalidf("website", "Website must be a web address such as https://example.com.")
	}
	links := p.SocialLinks[:0:0]
	for _, l := range p.SocialLinks {
		if l = strings.TrimSpace(l); l == "" {
			continue
		}
		if !isWebURL(l) || len(l) > 500 {
			return Invalidf("social_links", "%q is not a web address such as https://www.linkedin.com/in/you.", l)
		}
		links = append(links, l)
	}
	if len(links) > 10 {
		return Invalidf("social_links", "At most 10 profile links, please.")
	}
	p.SocialLinks = links
	if p.Audience = strings.TrimSpace(p.Audience); len(p.Audience) > 2000 {
		return Invalidf("audience", "Audience must be at most 2000 characters.")
	}
	if p.Company = strings.TrimSpace(p.Company); len(p.Company) > 200 {
		return Invalidf("company", "Company must be at most 200 characters.")
	}
	switch p.Kind {
	case "":
		p.Kind = PartnerPerson
	case PartnerPerson, PartnerCompany:
	default:
		return Invalidf("kind", "Kind must be person or company.")
	}
	switch p.Type {
	case "":
		p.Type = TypeReferralPartner
	case TypeReferralPartner, TypeAffiliate, TypeStrategic, TypeAgent:
	default:
		return Invalidf("type", "Type must be one of referral_partner, affiliate, strategic or agent.")
	}
	switch p.Source {
	case "":
		p.Source = SourceApplied
	case SourceApplied, SourceInvited, SourceImported:
	default:
		return Invalidf("source", "Source must be applied, invited or imported.")
	}
	return nil
}

// NormalizeTags trims, de-duplicates (ignoring case) and checks tags:
// at most 20, each at most 40 characters.
func NormalizeTags(tags []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, t := range tags {
		t = strings.TrimSpace(t)
		if t == "" || seen[strings.ToLower(t)] {
			continue
		}
		if utf8.RuneCountInString(t) > 40 || strings.ContainsAny(t, "\n\r") {
			return nil, Invalidf("tags", "Tag %q is too long: at most 40 characters.", t)
		}
		seen[strings.ToLower(t)] = true
		out = append(out, t)
	}
	if len(out) > 20 {
		return nil, Invalidf("tags", "At most 20 tags, please.")
	}
	return out, nil
}

// NormalizeEmail checks that s is one plain email address and returns it
// trimmed and in lower case, the form Tandem stores and compares.
func NormalizeEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || len(s) > 254 {
		return "", Invalidf("email", "Email must be a valid address such as jane@example.com.")
	}
	return s, nil
}

// PartnerFilter selects partners. Zero fields match everything.
type PartnerFilter struct {
	ID    string
	Email string
	// After, the sort key of the last item of the previous page, asks for the
	// items that follow it in the list's order (keyset pagination). It is the
	// API's cursor decoded: "<created_at Unix ms>:<id>". A malformed key is
	// EINVALID on the field "cursor".
	After string
	Limit int
}

// MembershipStatus is where a partner stands in one program.
type MembershipStatus string

// Membership statuses. A partner applies (pending) and is approved or
// rejected; an approved partner may be suspended (links keep redirecting but
// stop earning) and reactivated.
const (
	MembershipPending   MembershipStatus = "pending"
	MembershipApproved  MembershipStatus = "approved"
	MembershipRejected  MembershipStatus = "rejected"
	MembershipSuspended MembershipStatus = "suspended"
)

// membershipTransitions lists the statuses each status may move to.
var membershipTransitions = map[MembershipStatus][]MembershipStatus{
	MembershipPending:   {MembershipApproved, MembershipRejected},
	MembershipApproved:  {MembershipSuspended},
	MembershipSuspended: {MembershipApproved},
	MembershipRejected:  {MembershipApproved}, // a second look after more information
}

// CanMoveTo reports whether a membership in status s may move to status to.
func (s MembershipStatus) CanMoveTo(to MembershipStatus) bool {
	for _, next := range membershipTransitions[s] {
		if next == to {
			return true
		}
	}
	return false
}

// Membership is a partner's place in one program.
type Membership struct {
	ID        string           `json:"id"`
	ProgramID string           `json:"program_id"`
	PartnerID string           `json:"partner_id"`
	Status    MembershipStatus `json:"status"`
	Reason    string           `json:"reason,omitempty"` // why it was rejected or suspended
	GroupID   string           `json:"group_id,omitempty"`
	// Answers are the application's answers, by question ID.
	Answers map[string]string `json:"answers,omitempty"`
	// Flags are what a reviewer should know (FlagFreeEmail, …).
	Flags     []string  `json:"flags,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// MembershipFilter selects memberships. Zero fields match everything.
type MembershipFilter struct {
	ID        string
	ProgramID string
	PartnerID string
	Status    MembershipStatus
	// After, the sort key of the last item of the previous page, asks for the
	// items that follow it in the list's order (keyset pagination). It is the
	// API's cursor decoded: "<created_at Unix ms>:<id>". A malformed key is
	// EINVALID on the field "cursor".
	After string
	Limit int
}

// PartnerService stores partners and their memberships in programs.
type PartnerService interface {
	// FindPartnerByID returns ENOTFOUND if no partner has the ID.
	FindPartnerByID(ctx context.Context, id string) (*Partner, error)
	// FindPartners returns the partners matching the filter, oldest first.
	FindPartners(ctx context.Context, filter PartnerFilter) ([]*Partner, error)
	// CreatePartner validates p, gives it an ID and stores it. A taken email is ECONFLICT.
	CreatePartner(ctx context.Context, p *Partner) error
	// JoinProgram adds a pending membership of the partner in the program,
	// approved at once when the program auto-approves. Joining twice is ECONFLICT.
	// An approved member who may create links gets its default link in the
	// same transaction (see LinkService.EnsureDefaultLink).
	JoinProgram(ctx context.Context, programID, partnerID string) (*Membership, error)
	// SetMembershipStatus moves a membership to a new status, with a reason
	// (required for rejected and suspended). A move the status rules forbid is EINVALID.
	// Approving (or reactivating) gives the partner its default link in the
	// same transaction when links may be created.
	SetMembershipStatus(ctx context.Context, id string, to MembershipStatus, reason string) (*Membership, error)
	// SetPartnerTags replaces the program manager's tags on a partner.
	SetPartnerTags(ctx context.Context, id string, tags []string) (*Partner, error)
	// FindMemberships returns the memberships matching the filter, oldest first.
	FindMemberships(ctx context.Context, filter MembershipFilter) ([]*Membership, error)
}
