package tandem

import (
	"context"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/currency"
)

// ProgramType is what kind of partnership a program runs.
type ProgramType string

// Program types, as PRODUCT.md names them.
const (
	ProgramReferral  ProgramType = "referral"  // happy customers and referral partners
	ProgramAffiliate ProgramType = "affiliate" // bloggers, podcasters, newsletters
	ProgramReseller  ProgramType = "reseller"  // resellers and agents
	ProgramStrategic ProgramType = "strategic" // two-way partnerships
)

// PartnerType is the type a partner who joins a program of this type gets
// unless it already has one.
func (t ProgramType) PartnerType() PartnerType {
	switch t {
	case ProgramAffiliate:
		return TypeAffiliate
	case ProgramReseller:
		return TypeAgent
	case ProgramStrategic:
		return TypeStrategic
	default:
		return TypeReferralPartner
	}
}

// AttributionModel decides which click inside the cookie window owns a conversion.
type AttributionModel string

// Attribution models.
const (
	FirstClick AttributionModel = "first_click"
	LastClick  AttributionModel = "last_click"
)

// ProgramStatus is whether a program takes partners and conversions.
type ProgramStatus string

// Program statuses. An archived program keeps its history and stops taking
// applications; it is never deleted.
const (
	ProgramActive   ProgramStatus = "active"
	ProgramArchived ProgramStatus = "archived"
)

// Program is one partner program a business runs: its own currency, cookie
// window, attribution model and public page at /p/{slug}.
type Program struct {
	ID          string           `json:"id"`
	Slug        string           `json:"slug"`
	Name        string           `json:"name"`
	Type        ProgramType      `json:"type"`
	Currency    string           `json:"currency"`  // ISO 4217, e.g. "USD"
	TimeZone    string           `json:"time_zone"` // IANA name; periods and schedules use it
	CookieDays  int              `json:"cookie_days"`
	Attribution AttributionModel `json:"attribution"`
	AutoApprove bool             `json:"auto_approve"`
	// ProtectionDays is how long a referral's email belongs to the partner
	// who registered it first (0 to 365; new programs get
	// DefaultProtectionDays from the forms and the API, 0 protects nothing).
	ProtectionDays int           `json:"protection_days"`
	Status         ProgramStatus `json:"status"`
	// DestinationURL is where referral links lead by default.
	DestinationURL string `json:"destination_url"`
	// AllowedDomains are the hosts links may lead to (deep links); the
	// destination's host is always among them. Anything else is refused: no
	// open redirects.
	AllowedDomains []string `json:"allowed_domains"`
	// InvitesSkipReview approves invited partners as soon as they apply.
	InvitesSkipReview bool `json:"invites_skip_review"`
	// ClickParam is the query parameter /r/{code} appends the click ID as,
	// for the tracking snippet on the merchant's site to pick up.
	ClickParam string `json:"click_param"`
	// RefParams are the query parameters the tracking snippet reads a link
	// code from on a direct link (?ref=CODE); the aliases keep links made
	// with other tools working after a migration.
	RefParams []string `json:"ref_params"`
	// The public page at /p/{slug}.
	Headline     string    `json:"headline"`
	ValueProps   string    `json:"value_props"`   // one selling point per line
	IdealPartner string    `json:"ideal_partner"` // who should apply
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

var slugPattern = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$`)

// Validate checks a program's fields and fills defaults for the ones left
// empty (time zone UTC, last-click attribution, a 30-day cookie, active).
func (p *Program) Validate() error {
	if err := RequireText("name", "Name", &p.Name, 120); err != nil {
		return err
	}
	if !slugPattern.MatchString(p.Slug) {
		return Invalidf("slug", "Slug must be 1 to 64 lowercase letters, digits or dashes, not starting or ending with a dash.")
	}
	switch p.Type {
	case ProgramReferral, ProgramAffiliate, ProgramReseller, ProgramStrategic:
	default:
		return Invalidf("type", "Type must be one of referral, affiliate, reseller or strategic.")
	}
	if err := ValidateCurrency("currency", p.Currency); err != nil {
		return err
	}
	if p.TimeZone == "" {
		p.TimeZone = "UTC"
	}
	if _, err := time.LoadLocation(p.TimeZone); err != nil || p.TimeZone == "Local" {
		return Invalidf("time_zone", "Time zone %q is not an IANA time zone name such as Europe/Oslo.", p.TimeZone)
	}
	if p.CookieDays == 0 {
		p.CookieDays = 30
	}
	if p.CookieDays < 1 || p.CookieDays > 730 {
		return Invalidf("cookie_days", "Cookie window must be between 1 and 730 days.")
	}
	if p.ProtectionDays < 0 || p.ProtectionDays > MaxProtectionDays {
		return Invalidf("protection_days", "Protection window must be between 0 and %d days.", MaxProtectionDays)
	}
	switch p.Attribution {
	case "":
		p.Attribution = LastClick
	case FirstClick, LastClick:
	default:
		return Invalidf("attribution", "Attribution must be first_click or last_click.")
	}
	switch p.Status {
	case "":
		p.Status = ProgramActive
	case ProgramActive, ProgramArchived:
	default:
		return Invalidf("status", "Status must be active or archived.")
	}
	if err := p.validateDestination(); err != nil {
		return err
	}
	if err := p.validateParams(); err != nil {
		return err
	}
	for _, f := range []struct {
		field, label string
		value        *string
		max          int
	}{
		{"headline", "Headline", &p.Headline, 200},
		{"value_props", "Value propositions", &p.ValueProps, 5000},
		{"ideal_partner", "Ideal partner", &p.IdealPartner, 5000},
	} {
		*f.value = strings.TrimSpace(*f.value)
		if utf8.RuneCountInString(*f.value) > f.max {
			return Invalidf(f.field, "%s must be at most %d characters.", f.label, f.max)
		}
	}
	return nil
}

var hostPattern = regexp.MustCompile(`^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$|^localhost$`)

// validateDestination checks the destination URL and the allowed domains,
// normalises the domains to lower-case hosts and adds the destination's.
func (p *Program) validateDestination() error {
	p.DestinationURL = strings.TrimSpace(p.DestinationURL)
	var domains []string
	add := func(host string) {
		if !slices.Contains(domains, host) {
			domains = append(domains, host)
		}
	}
	if p.DestinationURL != "" {
		u, err := url.Parse(p.DestinationURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || !hostPattern.MatchString(strings.ToLower(u.Hostname())) || u.User != nil {
			return Invalidf("destination_url", "Destination must be a web address such as https://www.example.com/pricing.")
		}
		add(strings.ToLower(u.Hostname()))
	}
	for _, d := range p.AllowedDomains {
		d = strings.ToLower(strings.TrimSpace(d))
		if d == "" {
			continue
		}
		if !hostPattern.MatchString(d) {
			return Invalidf("allowed_domains", "%q is not a domain name such as shop.example.com.", d)
		}
		add(d)
	}
	if len(domains) > 50 {
		return Invalidf("allowed_domains", "At most 50 domains are allowed.")
	}
	p.AllowedDomains = domains
	return nil
}

// Tracking parameter defaults and limits.
const (
	DefaultClickParam = "tandem_click"
	MaxRefParams      = 5
)

// DefaultRefParams are the ref parameters of a program that sets none: ours
// and the common aliases of other tools.
var DefaultRefParams = []string{"ref", "via", "fp_ref"}

var paramPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// validateParams checks the click and ref parameter names (filling the
// defaults for empty ones): each 1 to 32 letters, digits, dashes or
// underscores, at most MaxRefParams distinct ref names, none of them the
// click parameter.
func (p *Program) validateParams() error {
	p.ClickParam = strings.TrimSpace(p.ClickParam)
	if p.ClickParam == "" {
		p.ClickParam = DefaultClickParam
	}
	if !paramPattern.MatchString(p.ClickParam) {
		return Invalidf("click_param", "The click parameter must be 1 to 32 letters, digits, dashes or underscores, such as tandem_click.")
	}
	var refs []string
	for _, r := range p.RefParams {
		r = strings.TrimSpace(r)
		if r == "" || slices.Contains(refs, r) {
			continue
		}
		if !paramPattern.MatchString(r) {
			return Invalidf("ref_params", "%q is not a parameter name: use 1 to 32 letters, digits, dashes or underscores, such as ref.", r)
		}
		if r == p.ClickParam {
			return Invalidf("ref_params", "%q is the click parameter; a ref parameter must have another name.", r)
		}
		refs = append(refs, r)
	}
	if len(refs) > MaxRefParams {
		return Invalidf("ref_params", "At most %d ref parameters are allowed.", MaxRefParams)
	}
	if len(refs) == 0 {
		refs = slices.Clone(DefaultRefParams)
		if i := slices.Index(refs, p.ClickParam); i >= 0 {
			refs = slices.Delete(refs, i, i+1)
		}
	}
	p.RefParams = refs
	return nil
}

// NewMemberStatus is the status a new partner gets: approved at once when
// the program auto-approves, else pending review.
func (p *Program) NewMemberStatus() MembershipStatus {
	if p.AutoApprove {
		return MembershipApproved
	}
	return MembershipPending
}

// AllowsURL reports whether a link may lead to target: an http(s) URL on one
// of the program's allowed domains.
func (p *Program) AllowsURL(target string) bool {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil {
		return false
	}
	return slices.Contains(p.AllowedDomains, strings.ToLower(u.Hostname()))
}

// AllowsOrigin reports whether a page at origin (a browser's Origin header,
// scheme://host[:port]) may record clicks for the program: an http(s)
// origin whose host is one of the allowed domains or a subdomain of one.
// Subdomains count here, unlike for deep links, because recording a click
// redirects nobody: www.example.com may report clicks when example.com is
// allowed.
func (p *Program) AllowsOrigin(origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return false
	}
	host := strings.ToLower(u.Hostname())
	for _, d := range p.AllowedDomains {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}

// RequireText trims *s and checks that it is present and at most max characters.
func RequireText(field, label string, s *string, max int) error {
	*s = strings.TrimSpace(*s)
	switch n := utf8.RuneCountInString(*s); {
	case n == 0:
		return Invalidf(field, "%s is required.", label)
	case n > max:
		return Invalidf(field, "%s must be at most %d characters.", label, max)
	}
	return nil
}

// ValidateCurrency checks that code is an ISO 4217 currency code in upper case.
func ValidateCurrency(field, code string) error {
	if len(code) != 3 || strings.ToUpper(code) != code {
		return Invalidf(field, "Currency must be a three-letter ISO 4217 code such as USD.")
	}
	if _, err := currency.ParseISO(code); err != nil {
		return Invalidf(field, "Currency %q is not an ISO 4217 currency.", code)
	}
	return nil
}

// ProgramFilter selects programs. Zero fields match everything.
type ProgramFilter struct {
	ID     string
	Slug   string
	Status ProgramStatus
	Type   ProgramType
	// After, the sort key of the last item of the previous page, asks for the
	// items that follow it in the list's order (keyset pagination). It is the
	// API's cursor decoded: "<created_at Unix ms>:<id>". A malformed key is
	// EINVALID on the field "cursor".
	After string
	Limit int
}

// ProgramService stores programs.
type ProgramService interface {
	// FindProgramByID returns ENOTFOUND if no program has the ID.
	FindProgramByID(ctx context.Context, id string) (*Program, error)
	// FindPrograms returns the programs matching the filter, oldest first.
	FindPrograms(ctx context.Context, filter ProgramFilter) ([]*Program, error)
	// CreateProgram validates p, gives it an ID and stores it. A taken slug is ECONFLICT.
	CreateProgram(ctx context.Context, p *Program) error
	// UpdateProgram validates p and stores its settings (the ID and creation
	// time stay); the audit entry lists what changed.
	UpdateProgram(ctx context.Context, p *Program) error
}
