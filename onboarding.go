package tandem

import (
	"context"
	"time"
)

// OnboardingStepKind is one kind of onboarding step.
type OnboardingStepKind string

// The onboarding steps of every program, in order, and the program's own.
const (
	StepAcceptAgreement OnboardingStepKind = "accept_agreement"
	StepCompleteProfile OnboardingStepKind = "complete_profile"
	StepPayoutMethod    OnboardingStepKind = "add_payout_method"
	StepReadResources   OnboardingStepKind = "read_resources"
	StepFirstLink       OnboardingStepKind = "create_first_link"
	StepCustom          OnboardingStepKind = "custom"
)

// CustomStep is a step a program manager adds to a program's checklist,
// such as "Book a kickoff call"; the partner ticks it off.
type CustomStep struct {
	ID          string    `json:"id"`
	ProgramID   string    `json:"program_id"`
	Title       string    `json:"title"`
	Description string    `json:"description,omitempty"`
	Position    int       `json:"position"`
	CreatedAt   time.Time `json:"created_at"`
}

// Validate checks a custom step.
func (s *CustomStep) Validate() error {
	if err := RequireText("title", "Title", &s.Title, 200); err != nil {
		return err
	}
	if len(s.Description) > 2000 {
		return Invalidf("description", "Description must be at most 2000 characters.")
	}
	return nil
}

// OnboardingStep is one line of a partner's checklist.
type OnboardingStep struct {
	Kind        OnboardingStepKind `json:"kind"`
	ID          string             `json:"id,omitempty"` // custom steps only
	Title       string             `json:"title"`
	Description string             `json:"description,omitempty"`
	Done        bool               `json:"done"`
	// Later is true for a step whose feature Tandem does not have yet: it is
	// shown, and neither counted nor blocking.
	Later bool `json:"later,omitempty"`
}

// OnboardingFacts are what a partner's checklist is computed from.
type OnboardingFacts struct {
	Agreement         AgreementState
	Partner           *Partner
	RequiredResources int // required resources the partner can see
	ReadRequired      int // of those, how many the partner has read
	CustomSteps       []*CustomStep
	CustomDone        map[string]time.Time // custom step ID -> when ticked
	// HasPayoutMethod and HasLink come with the payouts and tracking
	// features; until then their steps are shown as later.
	PayoutsAvailable, HasPayoutMethod bool
	LinksAvailable, HasLink           bool
}

// Onboarding is a partner's checklist in one program.
type Onboarding struct {
	Steps []OnboardingStep `json:"steps"`
	Done  int              `json:"done"`
	Total int              `json:"total"`
}

// Complete reports whether every counted step is done.
func (o Onboarding) Complete() bool { return o.Done == o.Total }

// ProfileComplete reports whether a partner has told the program manager
// enough to be vetted and helped: a website or a profile link, and their
// audience.
func ProfileComplete(p *Partner) bool {
	return p != nil && (p.Website != "" || len(p.SocialLinks) > 0) && p.Audience != ""
}

// BuildOnboarding computes a partner's checklist from the facts. Steps that
// do not apply (no agreement published, no required resources) are left out.
func BuildOnboarding(f OnboardingFacts) Onboarding {
	var o Onboarding
	add := func(s OnboardingStep) {
		o.Steps = append(o.Steps, s)
		if s.Later {
			return
		}
		o.Total++
		if s.Done {
			o.Done++
		}
	}
	if f.Agreement.Current != nil {
		add(OnboardingStep{Kind: StepAcceptAgreement, Title: "Accept the partner agreement", Done: !f.Agreement.NeedsAcceptance,
			Description: "Read the terms: what each side does, how commissions are earned, how you may promote the product."})
	}
	add(OnboardingStep{Kind: StepCompleteProfile, Title: "Complete your profile", Done: ProfileComplete(f.Partner),
		Description: "Your website or a profile link, and who your audience is."})
	add(OnboardingStep{Kind: StepPayoutMethod, Title: "Add a payout method", Done: f.HasPayoutMethod, Later: !f.PayoutsAvailable,
		Description: "How you want to be paid: PayPal, bank transfer or product credit."})
	if f.RequiredResources > 0 {
		add(OnboardingStep{Kind: StepReadResources, Title: "Study the required resources", Done: f.ReadRequired >= f.RequiredResources,
			Description: "Who the ideal customer is, what to say, what to avoid."})
	}
	add(OnboardingStep{Kind: StepFirstLink, Title: "Create your first referral link", Done: f.HasLink, Later: !f.LinksAvailable,
		Description: "A tracked link to share with your audience."})
	for _, s := range f.CustomSteps {
		_, done := f.CustomDone[s.ID]
		add(OnboardingStep{Kind: StepCustom, ID: s.ID, Title: s.Title, Description: s.Description, Done: done})
	}
	return o
}

// StallAfter is how long after approval an unfinished checklist makes a
// partner "stalled" on the program manager's list.
const StallAfter = 7 * 24 * time.Hour

// ProfileUpdate is what a partner may change of their own profile.
type ProfileUpdate struct {
	Name        string
	Company     string
	Website     string
	SocialLinks []string
	Audience    string
}

// OnboardingService stores each program's own checklist steps, which of them
// partners ticked, and partners' own profile changes.
type OnboardingService interface {
	AddCustomStep(ctx context.Context, s *CustomStep) error
	ArchiveCustomStep(ctx context.Context, programID, stepID string) error
	FindCustomSteps(ctx context.Context, programID string) ([]*CustomStep, error)
	// CompleteCustomStep records that the partner did a step of a program
	// they are in; doing it twice keeps the first time.
	CompleteCustomStep(ctx context.Context, partnerID, programID, stepID string) error
	// CustomStepsDone returns when the partner ticked each step of the program.
	CustomStepsDone(ctx context.Context, partnerID, programID string) (map[string]time.Time, error)
	// UpdateProfile changes the partner's own profile (audited).
	UpdateProfile(ctx context.Context, partnerID string, u ProfileUpdate) (*Partner, error)
}
