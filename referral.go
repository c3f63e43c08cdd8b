package tandem

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ReferralStatus is where a referral (a lead) stands in the pipeline.
type ReferralStatus string

// Referral statuses: new → qualified → customer (won), or rejected /
// duplicate / lost, each with a reason the partner sees.
const (
	ReferralNew       ReferralStatus = "new"
	ReferralQualified ReferralStatus = "qualified"
	ReferralCustomer  ReferralStatus = "customer"
	ReferralRejected  ReferralStatus = "rejected"
	ReferralDuplicate ReferralStatus = "duplicate"
	ReferralLost      ReferralStatus = "lost"
)

// ReferralStatuses are the statuses in pipeline order, for filters and the
// pipeline summary.
var ReferralStatuses = []ReferralStatus{ReferralNew, ReferralQualified, ReferralCustomer, ReferralRejected, ReferralDuplicate, ReferralLost}

// referralTransitions lists where each status may move. Customer and
// duplicate are terminal; rejected and lost may be reopened.
var referralTransitions = map[ReferralStatus][]ReferralStatus{
	ReferralNew:       {ReferralQualified, ReferralCustomer, ReferralRejected, ReferralLost, ReferralDuplicate},
	ReferralQualified: {ReferralCustomer, ReferralRejected, ReferralLost},
	ReferralRejected:  {ReferralNew},
	ReferralLost:      {ReferralNew},
}

// Valid reports whether s is one of the statuses.
func (s ReferralStatus) Valid() bool { return slices.Contains(ReferralStatuses, s) }

// CanMoveTo reports whether a referral in status s may move to status to.
func (s ReferralStatus) CanMoveTo(to ReferralStatus) bool {
	return slices.Contains(referralTransitions[s], to)
}

// NeedsReason reports whether moving to s must say why: the partner is
// told why a referral was turned down.
func (s ReferralStatus) NeedsReason() bool { return s.TurnedDown() }

// TurnedDown reports whether s ends a referral without a sale: rejected,
// lost or duplicate. Such a referral earns no lead fee.
func (s ReferralStatus) TurnedDown() bool {
	return s == ReferralRejected || s == ReferralLost || s == ReferralDuplicate
}

// Next lists the statuses a referral in status s may move to.
func (s ReferralStatus) Next() []ReferralStatus { return referralTransitions[s] }

// ReferralSource is how a referral came in.
type ReferralSource string

// Referral sources.
const (
	ReferralFromLeadForm   ReferralSource = "lead_form"          // the public form at /p/{slug}/r/{code}
	ReferralFromPartner    ReferralSource = "partner_registered" // "Register a deal" in the portal
	ReferralFromAPI        ReferralSource = "api"                // POST /api/v1/referrals
	ReferralFromConversion ReferralSource = "conversion"         // implicitly, by a first conversion
)

// ReferralSources are the sources, for filters.
var ReferralSources = []ReferralSource{ReferralFromLeadForm, ReferralFromPartner, ReferralFromAPI, ReferralFromConversion}

// ReferralConflict is what the conflict check found when the referral was created.
type ReferralConflict string

// Conflicts. ExistingCustomer and ProtectedByOther make the referral a
// duplicate; PossibleDuplicate (the same company domain only) leaves it new
// for a manager to judge.
const (
	ConflictNone              ReferralConflict = "none"
	ConflictExistingCustomer  ReferralConflict = "existing_customer"
	ConflictProtectedByOther  ReferralConflict = "protected_by_other"
	ConflictPossibleDuplicate ReferralConflict = "possible_duplicate"
)

// ReferralConflicts are the conflicts, for filters.
var ReferralConflicts = []ReferralConflict{ConflictNone, ConflictExistingCustomer, ConflictProtectedByOther, ConflictPossibleDuplicate}

// Program protection window limits, in days.
const (
	DefaultProtectionDays = 60
	MaxProtectionDays     = 365
)

// Referral is a prospective customer brought by a partner.
type Referral struct {
	ID        string         `json:"id"`
	ProgramID string         `json:"program_id"`
	PartnerID string         `json:"partner_id"`
	LinkID    string         `json:"link_id,omitempty"`
	Source    ReferralSource `json:"source"`
	Email     string         `json:"email,omitempty"`
	Name      string         `json:"name,omitempty"`
	Company   string         `json:"company,omitempty"`
	// Domain is the company domain of the email, "" for free-mail addresses.
	Domain string `json:"domain,omitempty"`
	Notes  string `json:"notes,omitempty"`
	// ExpectedValue is the deal's expected value in minor units of Currency
	// (the program's); 0 when not given.
	ExpectedValue int64            `json:"expected_value"`
	Currency      string           `json:"currency"`
	Status        ReferralStatus   `json:"status"`
	Reason        string           `json:"reason,omitempty"`
	Conflict      ReferralConflict `json:"conflict"`
	// ConflictWithID is the customer or referral the conflict is with. It is
	// for the business only: a partner never learns another partner's lead.
	ConflictWithID string    `json:"conflict_with_id,omitempty"`
	CustomerID     string    `json:"customer_id,omitempty"`
	ProtectedUntil time.Time `json:"protected_until"`
	QualifiedAt    time.Time `json:"qualified_at,omitzero"`
	ConvertedAt    time.Time `json:"converted_at,omitzero"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// Title is how pages name the referral: its name, company or email.
func (r *Referral) Title() string { return r.title(r.Email) }

// PartnerTitle is Title as the partner sees it: with PartnerEmail.
func (r *Referral) PartnerTitle() string { return r.title(r.PartnerEmail()) }

func (r *Referral) title(email string) string {
	for _, s := range []string{r.Name, r.Company, email} {
		if s != "" {
			return s
		}
	}
	return r.ID
}

// PartnerEmail is the email as the partner sees it: whole when the partner
// brought it (lead form, portal, API), masked ("j•••@example.com") when a
// conversion made the referral, as the customer gave it to the business,
// not to the partner.
func (r *Referral) PartnerEmail() string {
	if r.Source != ReferralFromConversion {
		return r.Email
	}
	return MaskEmail(r.Email)
}

// MaskEmail keeps the first character of an email's local part and its
// domain: "jane@example.com" becomes "j•••@example.com".
func MaskEmail(email string) string {
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" {
		return strings.Repeat("•", min(utf8.RuneCountInString(email), 3))
	}
	first, _ := utf8.DecodeRuneInString(local)
	return string(first) + "•••@" + domain
}

// ReferralEvent is one status change in a referral's history. The first
// event of a referral, its creation, has From "".
type ReferralEvent struct {
	ReferralID string         `json:"referral_id"`
	Seq        int            `json:"seq"`
	From       ReferralStatus `json:"from"`
	To         ReferralStatus `json:"to"`
	Reason     string         `json:"reason,omitempty"`
	ActorKind  ActorKind      `json:"actor_kind"`
	ActorID    string         `json:"actor_id,omitempty"`
	OccurredAt time.Time      `json:"occurred_at"`
}

// ReferralInput is a new referral as its source describes it.
type ReferralInput struct {
	ProgramID string
	PartnerID string
	LinkID    string // the link a lead form was reached through, if any
	Source    ReferralSource
	Email     string
	Name      string
	Company   string
	Notes     string
	// ExpectedValue is in minor units of the program's currency.
	ExpectedValue int64
}

// Referral field limits.
const (
	MaxReferralName  = 200
	MaxReferralNotes = 5000
	MaxReason        = 2000
)

// NewReferral validates the input against the program and returns the
// referral it describes, status new, without ID or times. The email is
// normalised; its company domain is derived from it unless it is a free or
// disposable address. An implicit referral (source conversion) may have no
// email; every other source needs one.
func NewReferral(p *Program, in ReferralInput) (*Referral, error) {
	r := &Referral{ProgramID: p.ID, PartnerID: in.PartnerID, LinkID: in.LinkID, Source: in.Source,
		Name: strings.TrimSpace(in.Name), Company: strings.TrimSpace(in.Company), Notes: strings.TrimSpace(in.Notes),
		ExpectedValue: in.ExpectedValue, Currency: p.Currency, Status: ReferralNew, Conflict: ConflictNone}
	if !slices.Contains(ReferralSources, r.Source) {
		return nil, Invalidf("source", "Source must be one of lead_form, partner_registered, api or conversion.")
	}
	if r.PartnerID == "" {
		return nil, Invalidf("partner_id", "A referral needs its partner.")
	}
	if strings.TrimSpace(in.Email) != "" || r.Source != ReferralFromConversion {
		email, err := NormalizeEmail(in.Email)
		if err != nil {
			return nil, err
		}
		r.Email, r.Domain = email, CompanyDomain(email)
	}
	for _, f := range []struct {
		field, label string
		value        string
		max          int
	}{{"name", "Name", r.Name, MaxReferralName}, {"company", "Company", r.Company, MaxReferralName}, {"notes", "Notes", r.Notes, MaxReferralNotes}} {
		if utf8.RuneCountInString(f.value) > f.max {
			return nil, Invalidf(f.field, "%s must be at most %d characters.", f.label, f.max)
		}
	}
	if r.ExpectedValue < 0 || r.ExpectedValue > MaxAmount {
		return nil, Invalidf("expected_value", "Expected value must be between 0 and %s.", FormatAmount(MaxAmount, p.Currency))
	}
	return r, nil
}

// CompanyDomain returns the domain of an email address when it names a
// company: "" for free-mail and disposable addresses, which many unrelated
// people share (the same lists that flag applications).
func CompanyDomain(email string) string {
	_, domain, ok := strings.Cut(strings.ToLower(email), "@")
	if !ok || len(EmailFlags(email)) > 0 {
		return ""
	}
	return domain
}

// ParseAmount reads a decimal amount typed by a person ("1500", "1,500.50")
// into minor units of the currency, exactly. "" is 0. More decimals than
// the currency has, a sign or anything else is EINVALID on the field.
func ParseAmount(field, s, currency string) (int64, error) {
	s = strings.ReplaceAll(strings.ReplaceAll(strings.TrimSpace(s), ",", ""), " ", "")
	if s == "" {
		return 0, nil
	}
	digits := CurrencyDigits(currency)
	bad := Invalidf(field, "Enter an amount such as 1500 or 1500.50, with at most %d decimals for %s.", digits, currency)
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" || len(frac) > digits || hasFrac && frac == "" {
		return 0, bad
	}
	for _, part := range []string{whole, frac} {
		if strings.Trim(part, "0123456789") != "" {
			return 0, bad
		}
	}
	frac += strings.Repeat("0", digits-len(frac))
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || n > MaxAmount {
		return 0, Invalidf(field, "The amount is too large.")
	}
	return n, nil
}

// ReferralFilter selects referrals. Zero fields match everything.
type ReferralFilter struct {
	ID        string
	ProgramID string
	PartnerID string
	Status    ReferralStatus
	Source    ReferralSource
	Conflict  ReferralConflict
	// After is the sort key of the previous page's last referral,
	// "<created_at Unix ms>:<id>" (keyset pagination), oldest first.
	After string
	// Newest lists newest first instead (the pipeline view); After is then
	// ignored.
	Newest bool
	Limit  int
}

// ReferralService stores referrals and runs their pipeline.
type ReferralService interface {
	// CreateReferral checks conflicts and stores a new referral (any source
	// but conversion: the conversion engine makes those) in one
	// transaction: an email that is already a customer's, or another
	// partner's inside the protection window, makes it a duplicate with the
	// reason; the same company domain only flags it possible_duplicate. The
	// same partner registering the same email twice is ECONFLICT.
	CreateReferral(ctx context.Context, in ReferralInput) (*Referral, error)
	// FindReferralByID returns ENOTFOUND if no referral has the ID.
	FindReferralByID(ctx context.Context, id string) (*Referral, error)
	// FindReferrals returns the matching referrals, oldest first unless
	// filter.Newest.
	FindReferrals(ctx context.Context, filter ReferralFilter) ([]*Referral, error)
	// CountReferrals counts the matching referrals per status (the filter's
	// Status is ignored), for the pipeline summary.
	CountReferrals(ctx context.Context, filter ReferralFilter) (map[ReferralStatus]int, error)
	// FindReferralEvents returns a referral's history, oldest first.
	FindReferralEvents(ctx context.Context, referralID string) ([]*ReferralEvent, error)
	// ChangeReferralStatus moves a referral along the pipeline with a reason
	// (required for rejected, lost and duplicate), records the history and
	// emails the partner. Customer is reached only by a sale. Moving to
	// qualified records the referral's lead_qualified conversion (its lead
	// fee, once per referral) unless one exists.
	ChangeReferralStatus(ctx context.Context, id string, to ReferralStatus, reason string) (*Referral, error)
}
