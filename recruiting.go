package tandem

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// PartnerGroup is a tier of partners inside a program (Bronze, Silver,
// Gold): each may get its own commission plan and resources.
type PartnerGroup struct {
	ID        string    `json:"id"`
	ProgramID string    `json:"program_id"`
	Name      string    `json:"name"`
	Position  int       `json:"position"`
	CreatedAt time.Time `json:"created_at"`
}

// QuestionKind is the kind of answer an application question takes.
type QuestionKind string

// Question kinds.
const (
	QuestionText     QuestionKind = "text"      // one line
	QuestionLongText QuestionKind = "long_text" // a paragraph
	QuestionChoice   QuestionKind = "choice"    // one of Choices
	QuestionURL      QuestionKind = "url"       // a web address
)

// ApplicationQuestion is a custom question of a program's application form.
type ApplicationQuestion struct {
	ID        string       `json:"id"`
	ProgramID string       `json:"program_id"`
	Position  int          `json:"position"`
	Label     string       `json:"label"`
	Kind      QuestionKind `json:"kind"`
	Choices   []string     `json:"choices,omitempty"`
	Required  bool         `json:"required"`
}

// Validate checks a question.
func (q *ApplicationQuestion) Validate() error {
	if err := RequireText("label", "Question", &q.Label, 300); err != nil {
		return err
	}
	switch q.Kind {
	case QuestionText, QuestionLongText, QuestionURL:
		q.Choices = nil
	case QuestionChoice:
		var choices []string
		for _, c := range q.Choices {
			if c = strings.TrimSpace(c); c != "" && !slices.Contains(choices, c) {
				choices = append(choices, c)
			}
		}
		if len(choices) < 2 || len(choices) > 30 {
			return Invalidf("choices", "A choice question needs 2 to 30 different choices, one per line.")
		}
		q.Choices = choices
	default:
		return Invalidf("kind", "Kind must be text, long_text, choice or url.")
	}
	return nil
}

// answerLimits are the longest answers each kind takes.
var answerLimits = map[QuestionKind]int{QuestionText: 300, QuestionLongText: 5000, QuestionURL: 500, QuestionChoice: 300}

// CheckAnswers validates an application's answers against the program's
// questions and returns them trimmed, keyed by question ID. An answer to an
// unknown question is refused; the field of an error is "answer_<id>".
func CheckAnswers(questions []*ApplicationQuestion, answers map[string]string) (map[string]string, error) {
	out := map[string]string{}
	for id := range answers {
		if !slices.ContainsFunc(questions, func(q *ApplicationQuestion) bool { return q.ID == id }) {
			return nil, Invalidf("answer_"+id, "This question is not part of the application.")
		}
	}
	for _, q := range questions {
		field := "answer_" + q.ID
		a := strings.TrimSpace(answers[q.ID])
		switch {
		case a == "" && q.Required:
			return nil, Invalidf(field, "Please answer this question.")
		case a == "":
			continue
		case utf8.RuneCountInString(a) > answerLimits[q.Kind]:
			return nil, Invalidf(field, "Please keep this answer under %d characters.", answerLimits[q.Kind])
		case q.Kind == QuestionChoice && !slices.Contains(q.Choices, a):
			return nil, Invalidf(field, "Please pick one of the choices.")
		case q.Kind == QuestionURL && !isWebURL(a):
			return nil, Invalidf(field, "Please enter a web address such as https://example.com.")
		}
		out[q.ID] = a
	}
	return out, nil
}

// isWebURL reports whether s is an absolute http(s) URL with a host.
func isWebURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil
}

// Application is what someone sends from a program's public page (or from an
// invitation) to become its partner.
type Application struct {
	ProgramID   string
	Name        string
	Email       string
	Kind        PartnerKind
	Company     string
	Website     string
	SocialLinks []string
	Audience    string
	Answers     map[string]string // question ID -> answer
	// InviteToken is the link token of the invitation the applicant came
	// with, if any: the application's email must be the invited one.
	InviteToken string
}

// Flags a reviewer should know about an applicant.
const (
	FlagFreeEmail       = "free_email"       // a webmail address, not a company domain
	FlagDisposableEmail = "disposable_email" // a throwaway address
	FlagExistingPartner = "existing_partner" // already a partner in another program
	FlagExistingUser    = "business_user"    // one of the business's own users
)

// freeMailDomains and disposableDomains are the most common ones; a flag is
// a hint for the reviewer, not a verdict.
var (
	freeMailDomains = []string{"gmail.com", "googlemail.com", "yahoo.com", "hotmail.com", "outlook.com", "live.com", "msn.com",
		"icloud.com", "me.com", "aol.com", "proton.me", "protonmail.com", "gmx.com", "gmx.de", "web.de", "mail.com", "yandex.com",
		"yandex.ru", "mail.ru", "qq.com", "163.com", "zoho.com", "hotmail.co.uk", "yahoo.co.uk", "online.no"}
	disposableDomains = []string{"mailinator.com", "guerrillamail.com", "10minutemail.com", "tempmail.com", "temp-mail.org",
		"yopmail.com", "trashmail.com", "sharklasers.com", "getnada.com", "dispostable.com", "maildrop.cc", "throwawaymail.com"}
)

// EmailFlags returns the flags an applicant's email address raises by itself.
func EmailFlags(email string) []string {
	_, domain, _ := strings.Cut(strings.ToLower(email), "@")
	switch {
	case slices.Contains(disposableDomains, domain):
		return []string{FlagDisposableEmail}
	case slices.Contains(freeMailDomains, domain):
		return []string{FlagFreeEmail}
	}
	return nil
}

// RecruitingService runs a program's recruiting: groups, application
// questions, applications and their review.
type RecruitingService interface {
	CreateGroup(ctx context.Context, programID, name string) (*PartnerGroup, error)
	FindGroups(ctx context.Context, programID string) ([]*PartnerGroup, error)
	AddQuestion(ctx context.Context, q *ApplicationQuestion) error
	ArchiveQuestion(ctx context.Context, programID, questionID string) error
	// FindQuestions returns the program's live questions in order.
	FindQuestions(ctx context.Context, programID string) ([]*ApplicationQuestion, error)
	// Apply records an application: it finds or creates the partner (one
	// account across programs), creates a pending membership (approved at
	// once under auto-approve or a skipping invitation) with the answers and
	// flags, gives the applicant a portal user, and emails them. An
	// approved applicant who may create links gets its default link.
	Apply(ctx context.Context, a *Application) (*Membership, error)
	// ReviewMembership approves (into a group, optional), rejects (with a
	// reason, emailed) or asks the applicant for more information (emailed).
	// Approving gives the partner its default link in the same transaction
	// when links may be created (no agreement, or the current one accepted).
	ReviewMembership(ctx context.Context, membershipID string, decision Decision) (*Membership, error)
}

// DecisionKind is what a reviewer decides about an application.
type DecisionKind string

// Decisions.
const (
	DecideApprove     DecisionKind = "approve"
	DecideReject      DecisionKind = "reject"
	DecideAskMoreInfo DecisionKind = "ask"
)

// Decision is a reviewer's decision with its details.
type Decision struct {
	Kind    DecisionKind
	GroupID string // approve: the group to put the partner in, optional
	Reason  string // reject: why; ask: the question to the applicant
}
