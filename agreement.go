package tandem

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// AgreementVersion is one published version of a program's terms: what each
// side is responsible for, the commission terms, the ideal audience and how
// the partner may and may not market the product. A version never changes
// once published; new terms are a new version, numbered from 1 per program,
// and the highest number is the program's current agreement.
type AgreementVersion struct {
	ID          string    `json:"id"`
	ProgramID   string    `json:"program_id"`
	Version     int       `json:"version"`
	Title       string    `json:"title"`
	Body        string    `json:"body"`                   // Markdown
	PublishedBy string    `json:"published_by,omitempty"` // the user who published it; empty for the system
	PublishedAt time.Time `json:"published_at"`
}

// Agreement limits.
const (
	MaxAgreementTitle = 200    // characters
	MaxAgreementBody  = 100000 // characters of Markdown
	MinFullName       = 2      // characters of a typed signature
	MaxFullName       = 200
)

// Validate trims the title and body, normalises the body's line endings and
// checks their lengths.
func (v *AgreementVersion) Validate() error {
	if err := RequireText("title", "Title", &v.Title, MaxAgreementTitle); err != nil {
		return err
	}
	v.Body = strings.ReplaceAll(v.Body, "\r\n", "\n")
	return RequireText("body", "Terms", &v.Body, MaxAgreementBody)
}

// AgreementAcceptance records that a partner accepted one version of a
// program's agreement: who (the partner user and the name they typed), when,
// which version and from where. It is never changed or deleted. A partner
// accepts each version at most once.
type AgreementAcceptance struct {
	ProgramID     string    `json:"program_id"`
	PartnerID     string    `json:"partner_id"`
	VersionID     string    `json:"version_id"`
	Version       int       `json:"version"`
	PartnerUserID string    `json:"partner_user_id"`
	FullName      string    `json:"full_name"` // typed by the partner user as a signature
	IP            string    `json:"ip"`
	UserAgent     string    `json:"user_agent"`
	AcceptedAt    time.Time `json:"accepted_at"`

	// Filled in by lists for the program manager (FindAcceptances).
	PartnerName      string `json:"partner_name,omitempty"`
	PartnerUserEmail string `json:"partner_user_email,omitempty"`
}

// ValidateFullName checks the name a partner user types to accept an
// agreement and returns it trimmed.
func ValidateFullName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) < MinFullName {
		return "", Invalidf("full_name", "Type your full name to accept the terms.")
	}
	if utf8.RuneCountInString(name) > MaxFullName {
		return "", Invalidf("full_name", "Your name must be at most %d characters.", MaxFullName)
	}
	return name, nil
}

// AgreementState is where one partner stands with one program's agreement.
type AgreementState struct {
	// Current is the program's current version, nil if it has published none.
	Current *AgreementVersion
	// Accepted is the partner's acceptance of the current version, nil if
	// they have not accepted it (an acceptance of an older version does not
	// count).
	Accepted *AgreementAcceptance
	// NeedsAcceptance is true when there is a current version the partner
	// has not accepted.
	NeedsAcceptance bool
}

// NewAgreementState returns the state for a program's current version and
// the partner's acceptance, dropping an acceptance that is not of current.
func NewAgreementState(current *AgreementVersion, accepted *AgreementAcceptance) AgreementState {
	if current == nil || accepted == nil || accepted.VersionID != current.ID {
		accepted = nil
	}
	return AgreementState{Current: current, Accepted: accepted, NeedsAcceptance: current != nil && accepted == nil}
}

// acceptedCurrent reports whether the partner has accepted the current
// version, or there is none to accept.
func (s AgreementState) acceptedCurrent() bool {
	return s.Current == nil || (s.Accepted != nil && s.Accepted.VersionID == s.Current.ID)
}

// MayCreateLinks reports whether a partner may create referral links in a
// program: the membership is approved, and the partner has accepted the
// program's current agreement version (or the program has published none).
// A new version takes the right away again until it is accepted.
func MayCreateLinks(m Membership, s AgreementState) bool {
	return m.Status == MembershipApproved && s.acceptedCurrent()
}

// CommissionHeldForAgreement reports whether a partner's new commissions are
// held because of the agreement: the program has a current version and the
// partner has not accepted it. Held commissions are not lost: accepting
// releases them (the hold period still runs from the sale). Whether the
// membership may earn at all (approved, not suspended) is a separate rule.
func CommissionHeldForAgreement(s AgreementState) bool {
	return !s.acceptedCurrent()
}

type userAgentKey struct{}

// WithUserAgent returns a context carrying the client's User-Agent, which an
// agreement acceptance records beside the actor's IP address.
func WithUserAgent(ctx context.Context, ua string) context.Context {
	return context.WithValue(ctx, userAgentKey{}, ua)
}

// UserAgentFrom returns the User-Agent in the context, or "".
func UserAgentFrom(ctx context.Context) string {
	ua, _ := ctx.Value(userAgentKey{}).(string)
	return ua
}

// AgreementService publishes programs' agreements and records partners'
// acceptances.
type AgreementService interface {
	// PublishAgreement validates and publishes a new version of the program's
	// agreement (numbered one above the last) and, in the same transaction,
	// emails every partner user of the program's approved partners to accept
	// it. Two publishes at the same moment never share a number: the loser
	// gets ECONFLICT.
	PublishAgreement(ctx context.Context, programID, title, body string) (*AgreementVersion, error)
	// CurrentAgreement returns the program's newest version, or ENOTFOUND if
	// it has none.
	CurrentAgreement(ctx context.Context, programID string) (*AgreementVersion, error)
	// FindAgreementVersions returns every version of the program's agreement,
	// newest first.
	FindAgreementVersions(ctx context.Context, programID string) ([]*AgreementVersion, error)
	// AcceptAgreement records that the partner user accepted the version on
	// behalf of their partner, with the typed full name and the IP address and
	// User-Agent of the context. The version must be the program's current
	// one (an older one is EINVALID) and the partner a member of the program
	// (else ENOTFOUND). Accepting a version the partner has already accepted
	// returns the existing acceptance. A first acceptance by an approved
	// partner gives it its default link in the same transaction.
	AcceptAgreement(ctx context.Context, partnerUserID, programID, versionID, fullName string) (*AgreementAcceptance, error)
	// FindAcceptances returns the acceptances of every version of the
	// program's agreement, newest first (the newest 1000), with the partners'
	// names and the accepting users' emails.
	FindAcceptances(ctx context.Context, programID string) ([]*AgreementAcceptance, error)
	// AgreementStatus returns where the partner stands with the program's
	// current agreement.
	AgreementStatus(ctx context.Context, programID, partnerID string) (AgreementState, error)
}
