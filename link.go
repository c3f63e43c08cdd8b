package tandem

import (
	"context"
	"crypto/rand"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// LinkChannel is where a partner shares a link. A partner may have several
// links per channel; the channel only labels them.
type LinkChannel string

// Link channels. Custom links carry the partner's own label ("Podcast").
const (
	ChannelNewsletter LinkChannel = "newsletter"
	ChannelFacebook   LinkChannel = "facebook"
	ChannelX          LinkChannel = "x"
	ChannelLinkedIn   LinkChannel = "linkedin"
	ChannelEmail      LinkChannel = "email"
	ChannelCustom     LinkChannel = "custom"
)

// LinkChannels are the channels in the order forms list them.
var LinkChannels = []LinkChannel{ChannelNewsletter, ChannelFacebook, ChannelX, ChannelLinkedIn, ChannelEmail, ChannelCustom}

// Label is the channel's name for people.
func (c LinkChannel) Label() string {
	switch c {
	case ChannelNewsletter:
		return "Newsletter"
	case ChannelFacebook:
		return "Facebook"
	case ChannelX:
		return "X (Twitter)"
	case ChannelLinkedIn:
		return "LinkedIn"
	case ChannelEmail:
		return "Email"
	default:
		return "Custom"
	}
}

// Link code limits. Generated codes are CodeLength base62 characters; a
// vanity code is MinCode to MaxCode letters, digits, dashes or underscores.
const (
	CodeLength     = 8
	MinCode        = 4
	MaxCode        = 32
	MaxLinkLabel   = 100
	MaxDestination = 2000
	MaxUTMValue    = 200
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// reservedCodes are words a vanity code may not be (compared ignoring
// case): the site's own paths and words that would mislead a visitor.
var reservedCodes = map[string]bool{
	"admin": true, "api": true, "static": true, "portal": true, "login": true, "logout": true,
	"signin": true, "signup": true, "register": true, "account": true, "settings": true,
	"healthz": true, "readyz": true, "metrics": true, "openapi": true, "docs": true,
	"help": true, "support": true, "security": true, "password": true, "reset": true,
	"www": true, "root": true, "null": true, "undefined": true, "tandem": true, "default": true,
}

// UTM are the campaign parameters appended to a link's destination.
type UTM struct {
	Source   string `json:"source,omitempty"`
	Medium   string `json:"medium,omitempty"`
	Campaign string `json:"campaign,omitempty"`
	Content  string `json:"content,omitempty"`
	Term     string `json:"term,omitempty"`
}

// params lists the UTM values with their query parameter names.
func (u *UTM) params() []struct {
	name  string
	value *string
} {
	return []struct {
		name  string
		value *string
	}{
		{"utm_source", &u.Source}, {"utm_medium", &u.Medium}, {"utm_campaign", &u.Campaign},
		{"utm_content", &u.Content}, {"utm_term", &u.Term},
	}
}

// LinkStats are a link's counts, read from the daily click rollups (never
// from the raw clicks). All are zero until clicks and referrals are recorded
// against the link; clicks are unique clicks, bots left out.
type LinkStats struct {
	Clicks int64 `json:"clicks"`
	// RecentClicks are the unique clicks of the last RecentDays days of the
	// program's calendar, today included.
	RecentClicks int64 `json:"recent_clicks"`
	Referrals    int64 `json:"referrals"`
}

// RecentDays is the span of LinkStats.RecentClicks; ChartDays the span of
// a click chart that does not ask for another.
const (
	RecentDays = 30
	ChartDays  = 90
)

// ClickDay is one day of a click chart, summed from the daily rollups.
type ClickDay struct {
	// Day is midnight of the day in the program's time zone.
	Day time.Time `json:"day"`
	// Clicks are the human clicks, repeat visits included; Unique those
	// that count once per visitor and hour; Bots the clicks of bots.
	Clicks int64 `json:"clicks"`
	Unique int64 `json:"unique"`
	Bots   int64 `json:"bots"`
}

// ClickChartFilter selects the links whose clicks a chart sums.
type ClickChartFilter struct {
	// ProgramID is required: a chart's days are its program's days.
	ProgramID string
	PartnerID string // optional: one partner's links
	// Days is how many days end with today; 0 means ChartDays, at most 366.
	Days int
}

// Link is one of a partner's referral links in a program: a short code at
// /r/{code} that leads to the program's destination, or to a deep link on
// one of its allowed domains, with UTM parameters appended. A link is
// archived, never deleted, so its clicks keep their history.
type Link struct {
	ID        string      `json:"id"`
	Code      string      `json:"code"`
	ProgramID string      `json:"program_id"`
	PartnerID string      `json:"partner_id"`
	Channel   LinkChannel `json:"channel"`
	Label     string      `json:"label,omitempty"`
	// Destination is a deep link; "" leads to the program's destination.
	Destination string    `json:"destination,omitempty"`
	UTM         UTM       `json:"utm"`
	IsDefault   bool      `json:"is_default"`
	ArchivedAt  time.Time `json:"archived_at,omitzero"`
	CreatedAt   time.Time `json:"created_at"`
	Stats       LinkStats `json:"-"`
}

// Name is how pages title the link: its label, else its channel.
func (l *Link) Name() string {
	if l.Label != "" {
		return l.Label
	}
	return l.Channel.Label()
}

// LinkInput is what a partner (or an API client on their behalf) asks for
// when creating a link.
type LinkInput struct {
	Channel     LinkChannel
	Label       string
	Destination string // a deep link, or "" for the program's destination
	Code        string // a vanity code, or "" for a random one
	UTM         UTM
}

// NewLink validates the input against the program and returns the link it
// describes (without ID, partner or creation time). The code is the vanity
// code, or "" for the store to draw one with NewCode.
func NewLink(p *Program, in LinkInput) (*Link, error) {
	l := &Link{ProgramID: p.ID, Channel: in.Channel, Label: strings.TrimSpace(in.Label),
		Destination: strings.TrimSpace(in.Destination), Code: strings.TrimSpace(in.Code), UTM: in.UTM}
	switch l.Channel {
	case "":
		l.Channel = ChannelCustom
	case ChannelNewsletter, ChannelFacebook, ChannelX, ChannelLinkedIn, ChannelEmail, ChannelCustom:
	default:
		return nil, Invalidf("channel", "Channel must be one of newsletter, facebook, x, linkedin, email or custom.")
	}
	if utf8.RuneCountInString(l.Label) > MaxLinkLabel || strings.ContainsAny(l.Label, "\r\n") {
		return nil, Invalidf("label", "Label must be one line of at most %d characters.", MaxLinkLabel)
	}
	if l.Channel == ChannelCustom && l.Label == "" {
		return nil, Invalidf("label", "Give a custom link a label, such as “Podcast” or “Blog sidebar”.")
	}
	if l.Code != "" {
		if err := ValidCode(l.Code); err != nil {
			return nil, err
		}
	}
	if err := CheckDestination(p, l.Destination); err != nil {
		return nil, err
	}
	for _, prm := range l.UTM.params() {
		*prm.value = strings.TrimSpace(*prm.value)
		if utf8.RuneCountInString(*prm.value) > MaxUTMValue || strings.ContainsFunc(*prm.value, isControl) {
			return nil, Invalidf(prm.name, "%s must be one line of at most %d characters.", prm.name, MaxUTMValue)
		}
	}
	return l, nil
}

// CheckDestination checks a deep link: "" (the program's destination) or an
// http(s) address on one of the program's allowed domains. Anything else is
// refused, so that a link can never redirect elsewhere.
func CheckDestination(p *Program, dest string) error {
	if dest == "" {
		return nil
	}
	if len(dest) > MaxDestination {
		return Invalidf("destination", "A deep link must be at most %d characters.", MaxDestination)
	}
	if strings.ContainsFunc(dest, isControl) || strings.ContainsAny(dest, " \\") {
		return Invalidf("destination", "A deep link must be a web address such as https://%s/pricing.", exampleDomain(p))
	}
	if !p.AllowsURL(dest) {
		if len(p.AllowedDomains) == 0 {
			return Invalidf("destination", "This program has no website set up yet, so links cannot lead to other pages. Leave the deep link empty.")
		}
		return Invalidf("destination", "A deep link must be an http(s) address on %s.", strings.Join(p.AllowedDomains, ", "))
	}
	return nil
}

func exampleDomain(p *Program) string {
	if len(p.AllowedDomains) > 0 {
		return p.AllowedDomains[0]
	}
	return "www.example.com"
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// TargetURL returns where the link leads: its deep link or the program's
// destination, with the link's UTM parameters appended (the destination's
// own query is kept as it is, and a utm_* parameter it already has wins).
// A destination the program does not allow (any more) is refused: a link
// never redirects off the program's domains.
func TargetURL(p *Program, l *Link) (string, error) {
	dest := l.Destination
	if dest == "" {
		dest = p.DestinationURL
	}
	if dest == "" {
		return "", Errorf(ENOTFOUND, "This program has no destination for its links yet.")
	}
	if err := CheckDestination(p, dest); err != nil {
		return "", err
	}
	u, err := url.Parse(dest)
	if err != nil {
		return "", Invalidf("destination", "A deep link must be a web address.")
	}
	existing := u.Query()
	var extra []string
	utm := l.UTM
	for _, prm := range utm.params() {
		if *prm.value == "" || existing.Has(prm.name) {
			continue
		}
		extra = append(extra, prm.name+"="+url.QueryEscape(*prm.value))
	}
	if len(extra) > 0 {
		if u.RawQuery != "" {
			u.RawQuery += "&"
		}
		u.RawQuery += strings.Join(extra, "&")
		u.ForceQuery = false
	}
	out := u.String()
	if !p.AllowsURL(out) { // belt and braces: what is sent is what was checked
		return "", Invalidf("destination", "A deep link must be an http(s) address on %s.", strings.Join(p.AllowedDomains, ", "))
	}
	return out, nil
}

// Redirect is what the /r/{code} redirect needs of a link, worked out once
// when the link is read (NewRedirect) rather than per click.
type Redirect struct {
	LinkID   string
	Archived bool
	// Target is where the link leads (TargetURL), or "" if nowhere: the
	// program has no destination, or the link's no longer passes its rules.
	Target string
	// ClickParam is the parameter the click ID is appended as (the program's).
	ClickParam string
	// Program is the link's program, shared with every other caller that
	// gets this redirect: read it, never modify it.
	Program *Program
}

// NewRedirect returns the redirect of a link of the program.
func NewRedirect(p *Program, l *Link) Redirect {
	target, err := TargetURL(p, l)
	if err != nil {
		target = ""
	}
	return Redirect{LinkID: l.ID, Archived: !l.ArchivedAt.IsZero(), Target: target, ClickParam: p.ClickParam, Program: p}
}

// NewCode returns a random link code: CodeLength base62 characters from a
// CSPRNG, drawn by rejection sampling so that every character is equally
// likely. It is always a valid code (never all digits nor reserved).
func NewCode() string {
	for {
		code := make([]byte, 0, CodeLength)
		var buf [32]byte
		for len(code) < CodeLength {
			_, _ = rand.Read(buf[:]) // crypto/rand.Read never fails
			for _, b := range buf {
				// 248 = 4 × 62: bytes at or above it would favour the first characters.
				if b < 248 && len(code) < CodeLength {
					code = append(code, base62[b%62])
				}
			}
		}
		if s := string(code); ValidCode(s) == nil {
			return s
		}
	}
}

// ValidCode checks a vanity code: MinCode to MaxCode letters, digits,
// dashes or underscores, not all digits, and not a reserved word.
func ValidCode(s string) error {
	return checkCode("code", "A code", s, true)
}

// ParseRef reads the value of a ?ref= (or ?via=) parameter: a link code,
// with the same alphabet and length limits as codes. Anything else is
// EINVALID on the field "ref".
func ParseRef(s string) (string, error) {
	if err := checkCode("ref", "A ref value", s, false); err != nil {
		return "", err
	}
	return s, nil
}

func checkCode(field, what, s string, vanity bool) error {
	if len(s) < MinCode || len(s) > MaxCode {
		return Invalidf(field, "%s must be %d to %d characters long.", what, MinCode, MaxCode)
	}
	digits := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', c == '-', c == '_':
			digits = false
		default:
			return Invalidf(field, "%s may use only letters (a–z, A–Z), digits, dashes and underscores.", what)
		}
	}
	if !vanity {
		return nil
	}
	if digits {
		return Invalidf(field, "%s must contain at least one letter, dash or underscore.", what)
	}
	if reservedCodes[strings.ToLower(s)] {
		return Invalidf(field, "%q is reserved; choose another code.", s)
	}
	return nil
}

// LinkFilter selects links. Zero fields match everything; archived links
// are left out unless IncludeArchived.
type LinkFilter struct {
	ID              string
	Code            string
	ProgramID       string
	PartnerID       string
	IncludeArchived bool
	// After, the sort key of the last item of the previous page, asks for the
	// items that follow it in the list's order (keyset pagination). It is the
	// API's cursor decoded: "<created_at Unix ms>:<id>". A malformed key is
	// EINVALID on the field "cursor".
	After string
	Limit int
}

// LinkService stores partners' referral links.
type LinkService interface {
	// CreateLink validates the input and creates a link for the partner in
	// the program. The partner must be approved in the program and may
	// create links (MayCreateLinks: the current agreement accepted), else
	// EFORBIDDEN; a partner not in the program is ENOTFOUND. A vanity code
	// that is taken (ignoring case) is ECONFLICT on "code"; a random code
	// that collides is drawn again.
	CreateLink(ctx context.Context, partnerID, programID string, in LinkInput) (*Link, error)
	// EnsureDefaultLink returns the partner's default link in the program,
	// creating it (channel custom, label "Default", the program's
	// destination) under CreateLink's rules if it does not exist yet.
	// Approvals and acceptances create it already in their own transaction;
	// this is the fallback for pages that show it.
	EnsureDefaultLink(ctx context.Context, partnerID, programID string) (*Link, error)
	// FindLinkByID returns ENOTFOUND if no link has the ID.
	FindLinkByID(ctx context.Context, id string) (*Link, error)
	// FindLinkByCode returns the link with the code (exactly, archived ones
	// included), or ENOTFOUND.
	FindLinkByCode(ctx context.Context, code string) (*Link, error)
	// FindRedirect returns what the /r/{code} redirect needs of the link
	// with the code (archived ones included); ENOTFOUND for an unknown code.
	FindRedirect(ctx context.Context, code string) (Redirect, error)
	// FindLinks returns the links matching the filter, oldest first.
	FindLinks(ctx context.Context, filter LinkFilter) ([]*Link, error)
	// ArchiveLink archives one of the partner's links; another partner's link
	// is ENOTFOUND, the default link EINVALID.
	ArchiveLink(ctx context.Context, partnerID, linkID string) (*Link, error)
	// ClickChart returns the clicks per day on the links the filter selects
	// (archived ones included), oldest day first, one entry per day of the
	// span, days without clicks included. It reads the daily rollups only.
	// An unknown program is ENOTFOUND.
	ClickChart(ctx context.Context, filter ClickChartFilter) ([]ClickDay, error)
}
