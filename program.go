package tandem

import (
	"context"
	"regexp"
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
	Status      ProgramStatus    `json:"status"`
	CreatedAt   time.Time        `json:"created_at"`
	UpdatedAt   time.Time        `json:"updated_at"`
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
	return nil
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
	Limit  int
}

// ProgramService stores programs.
type ProgramService interface {
	// FindProgramByID returns ENOTFOUND if no program has the ID.
	FindProgramByID(ctx context.Context, id string) (*Program, error)
	// FindPrograms returns the programs matching the filter, oldest first.
	FindPrograms(ctx context.Context, filter ProgramFilter) ([]*Program, error)
	// CreateProgram validates p, gives it an ID and stores it. A taken slug is ECONFLICT.
	CreateProgram(ctx context.Context, p *Program) error
}
