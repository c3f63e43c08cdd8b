// Package demo fills an empty Tandem with a believable business, Fjordline
// Analytics, through the same services the UI and the API use, so that a new
// user meets the product with data in it. Each feature adds its own part.
package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/clicks"
)

// Services are what the demo writes through.
type Services struct {
	Programs    tandem.ProgramService
	Partners    tandem.PartnerService
	Accounts    tandem.AccountService
	Recruiting  tandem.RecruitingService
	Agreements  tandem.AgreementService
	Resources   tandem.ResourceService
	Onboarding  tandem.OnboardingService
	Invitations tandem.InvitationService
	Links       tandem.LinkService
	// Clicks stores the demo's clicks: the click writer's store, so that
	// they are counted and rolled up as a redirect's are.
	Clicks clicks.Store
	// The money side: conversions go through the real engine. With
	// Conversions nil the demo has no sales.
	Conversions tandem.ConversionService
	Commissions tandem.CommissionService
	Plans       tandem.PlanService
	Coupons     tandem.CouponService
	Referrals   tandem.ReferralService
	Payouts     tandem.PayoutService
	// Now is the clock the demo's traffic ends at; nil means time.Now.
	Now func() time.Time
}

// Demo sign-in details, printed by `tandem demo` so a new user can look
// around both UIs at once. They exist only in demo data.
const (
	OwnerEmail      = "owner@fjordline.example"
	OwnerPassword   = "tandem-demo-owner"
	PartnerEmail    = "ingrid@nordvik-consulting.example"
	PartnerPassword = "tandem-demo-partner"
)

// Summary says what Seed created.
type Summary struct {
	Programs int
	Partners int
	ByStatus map[tandem.MembershipStatus]int
	Clicks   int
	// Conversions is how many events the demo reported.
	Conversions int
}

// ErrNotEmpty is returned by Seed when the database already has programs:
// the demo never mixes its data into a real business.
var ErrNotEmpty = tandem.Errorf(tandem.ECONFLICT, "The database already has programs; the demo only fills an empty one.")

type demoPartner struct {
	partner tandem.Partner
	// status per program slug; missing means not a member
	status map[string]tandem.MembershipStatus
	reason string
}

var (
	referralProgram = tandem.Program{
		Name: "Fjordline Customer Referral Program", Slug: "customer-referrals", Type: tandem.ProgramReferral,
		Currency: "USD", TimeZone: "Europe/Oslo", CookieDays: 90, Attribution: tandem.FirstClick, InvitesSkipReview: true,
		DestinationURL: "https://www.fjordline.example/", AllowedDomains: []string{"docs.fjordline.example"},
		Headline:     "Earn 20% of the first year for every company you refer to Fjordline Analytics.",
		ValueProps:   "Product analytics that small B2B teams set up in an afternoon\nCustomers stay: 94% renew after their first year\nA partner manager who answers within a day",
		IdealPartner: "Consultants, agencies and happy customers who advise B2B software teams of 10 to 200 people.",
	}
	affiliateProgram = tandem.Program{
		Name: "Fjordline Creator Affiliates", Slug: "affiliates", Type: tandem.ProgramAffiliate,
		Currency: "USD", TimeZone: "America/New_York", CookieDays: 30, Attribution: tandem.LastClick, AutoApprove: true,
		DestinationURL: "https://www.fjordline.example/pricing",
		Headline:       "30% recurring for 12 months on every plan your audience buys.",
		ValueProps:     "Recurring commissions on monthly and yearly plans\nA 30-day cookie\nReady-to-share copy and brand assets",
		IdealPartner:   "Newsletter writers, podcasters and YouTubers who talk to product and data people.",
	}
	// questions and groups of each program, by slug.
	questions = map[string][]tandem.ApplicationQuestion{
		ref: {
			{Label: "How do you know our ideal customers?", Kind: tandem.QuestionLongText, Required: true},
			{Label: "Size of the companies you advise", Kind: tandem.QuestionChoice, Choices: []string{"1-10", "11-50", "51-200", "200+"}},
		},
		aff: {
			{Label: "Main channel", Kind: tandem.QuestionChoice, Choices: []string{"Newsletter", "YouTube", "Podcast", "Blog", "Social media"}, Required: true},
			{Label: "Monthly audience", Kind: tandem.QuestionText},
		},
	}
	groups = map[string][]string{ref: {"Bronze", "Silver", "Gold"}, aff: {"Standard", "Top creators"}}
)

const (
	ref = "customer-referrals"
	aff = "affiliates"
)

var partners = []demoPartner{
	{tandem.Partner{Name: "Ingrid Solberg", Email: "ingrid@nordvik-consulting.example", Kind: tandem.PartnerPerson, Type: tandem.TypeReferralPartner, Company: "Nordvik Consulting", Website: "https://nordvik-consulting.example", Source: tandem.SourceInvited},
		map[string]tandem.MembershipStatus{ref: tandem.MembershipApproved}, ""},
	{tandem.Partner{Name: "Brightpath Agency", Email: "partners@brightpath.example", Kind: tandem.PartnerCompany, Type: tandem.TypeAgent, Company: "Brightpath Agency", Website: "https://brightpath.example", Source: tandem.SourceApplied},
		map[string]tandem.MembershipStatus{ref: tandem.MembershipApproved}, ""},
	{tandem.Partner{Name: "Marcus Webb", Email: "marcus@webbreviews.example", Kind: tandem.PartnerPerson, Type: tandem.TypeAffiliate, Website: "https://webbreviews.example", Source: tandem.SourceApplied},
		map[string]tandem.MembershipStatus{aff: tandem.MembershipApproved}, ""},
	{tandem.Partner{Name: "The Data Stack Podcast", Email: "hosts@datastackpod.example", Kind: tandem.PartnerCompany, Type: tandem.TypeAffiliate, Website: "https://datastackpod.example", Source: tandem.SourceApplied},
		map[string]tandem.MembershipStatus{aff: tandem.MembershipApproved, ref: tandem.MembershipApproved}, ""},
	{tandem.Partner{Name: "Priya Raman", Email: "priya@metricsweekly.example", Kind: tandem.PartnerPerson, Type: tandem.TypeAffiliate, Company: "Metrics Weekly", Website: "https://metricsweekly.example", Source: tandem.SourceApplied},
		map[string]tandem.MembershipStatus{aff: tandem.MembershipApproved}, ""},
	{tandem.Partner{Name: "Kaia Lund", Email: "kaia@lundfinance.example", Kind: tandem.PartnerPerson, Type: tandem.TypeReferralPartner, Company: "Lund Finance", Source: tandem.SourceInvited},
		map[string]tandem.MembershipStatus{ref: tandem.MembershipPending}, ""},
	{tandem.Partner{Name: "Harbor & Co", Email: "hello@harborco.example", Kind: tandem.PartnerCompany, Type: tandem.TypeStrategic, Company: "Harbor & Co", Website: "https://harborco.example", Source: tandem.SourceInvited},
		map[string]tandem.MembershipStatus{ref: tandem.MembershipApproved}, ""},
	{tandem.Partner{Name: "Tomás Ortega", Email: "tomas@ortega-digital.example", Kind: tandem.PartnerPerson, Type: tandem.TypeAffiliate, Website: "https://ortega-digital.example", Source: tandem.SourceApplied},
		map[string]tandem.MembershipStatus{ref: tandem.MembershipPending}, "Which of your clients would you introduce first?"},
	{tandem.Partner{Name: "Coupon Galaxy", Email: "deals@coupongalaxy.example", Kind: tandem.PartnerCompany, Type: tandem.TypeAffiliate, Website: "https://coupongalaxy.example", Source: tandem.SourceApplied},
		map[string]tandem.MembershipStatus{ref: tandem.MembershipRejected}, "Coupon sites do not fit a referral program for B2B analytics."},
	{tandem.Partner{Name: "Elin Haugen", Email: "elin@haugen-it.example", Kind: tandem.PartnerPerson, Type: tandem.TypeReferralPartner, Company: "Haugen IT", Source: tandem.SourceImported},
		map[string]tandem.MembershipStatus{ref: tandem.MembershipApproved}, ""},
	{tandem.Partner{Name: "Growthhackz", Email: "team@growthhackz.example", Kind: tandem.PartnerCompany, Type: tandem.TypeAffiliate, Website: "https://growthhackz.example", Source: tandem.SourceApplied},
		map[string]tandem.MembershipStatus{aff: tandem.MembershipSuspended}, "Bid on our brand name in paid search, against the agreement."},
	{tandem.Partner{Name: "Sofia Berg", Email: "sofia@bergsolutions.example", Kind: tandem.PartnerPerson, Type: tandem.TypeReferralPartner, Company: "Berg Solutions", Source: tandem.SourceApplied},
		map[string]tandem.MembershipStatus{ref: tandem.MembershipPending}, ""},
}

// Seed creates the demo business in an empty database.
func Seed(ctx context.Context, s Services) (*Summary, error) {
	existing, err := s.Programs.FindPrograms(ctx, tandem.ProgramFilter{Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(existing) > 0 {
		return nil, ErrNotEmpty
	}
	owner, err := s.Accounts.CreateOwner(ctx, OwnerEmail, "Frida Fjord", OwnerPassword)
	if err != nil {
		return nil, fmt.Errorf("demo owner: %w", err)
	}
	ctx = tandem.WithActor(ctx, tandem.Actor{Kind: tandem.ActorUser, ID: owner.ID})
	sum := &Summary{ByStatus: map[tandem.MembershipStatus]int{}}
	programs := map[string]*demoProgram{}
	for _, p := range []tandem.Program{referralProgram, affiliateProgram} {
		dp, err := createProgram(ctx, s, p)
		if err != nil {
			return nil, fmt.Errorf("demo program %s: %w", p.Slug, err)
		}
		programs[p.Slug] = dp
		sum.Programs++
	}
	var partnerID, partnerUserID string
	for i, dp := range partners {
		p := dp.partner
		// Invited and imported partners exist before they apply; the demo
		// partner also gets a password for the portal.
		if p.Source != tandem.SourceApplied || p.Email == PartnerEmail {
			if err := s.Partners.CreatePartner(ctx, &p); err != nil {
				return nil, fmt.Errorf("demo partner %s: %w", p.Email, err)
			}
		}
		if p.Email == PartnerEmail {
			partnerID = p.ID
			if partnerUserID, err = addPartnerUser(ctx, s.Accounts, p); err != nil {
				return nil, err
			}
		}
		sum.Partners++
		for _, slug := range []string{ref, aff} {
			status, ok := dp.status[slug]
			if !ok {
				continue
			}
			if err := apply(ctx, s, programs[slug], p, i, status, dp.reason); err != nil {
				return nil, fmt.Errorf("demo membership %s in %s: %w", p.Email, slug, err)
			}
			sum.ByStatus[status]++
		}
	}
	if err := addContent(ctx, s, programs[ref], partnerUserID); err != nil {
		return nil, fmt.Errorf("demo content: %w", err)
	}
	if err := addLinks(ctx, s, programs[ref].ID, partnerID, partnerUserID); err != nil {
		return nil, fmt.Errorf("demo links: %w", err)
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	if sum.Clicks, err = addClicks(ctx, s, []*tandem.Program{programs[ref].Program, programs[aff].Program}, now()); err != nil {
		return nil, fmt.Errorf("demo clicks: %w", err)
	}
	if sum.Conversions, err = addMoney(ctx, s, []*tandem.Program{programs[ref].Program, programs[aff].Program}, now()); err != nil {
		return nil, fmt.Errorf("demo money: %w", err)
	}
	if err := addReferrals(ctx, s, programs[ref].Program, now()); err != nil {
		return nil, fmt.Errorf("demo referrals: %w", err)
	}
	paidClicks, err := addPayouts(ctx, s, programs[ref].ID, partnerID)
	sum.Clicks += paidClicks
	if err != nil {
		return nil, fmt.Errorf("demo payouts: %w", err)
	}
	// Two hand-picked customers invited to the referral program, not yet answered.
	for _, inv := range [][3]string{{"Marte Dahl", "marte@dahl-regnskap.example", "Dahl Regnskap"}, {"Jonas Berg", "jonas@fjellsoft.example", "Fjellsoft"}} {
		if _, err := s.Invitations.InviteToProgram(ctx, owner.ID, programs[ref].ID, inv[1], inv[0], inv[2]); err != nil {
			return nil, fmt.Errorf("demo invitation: %w", err)
		}
	}
	return sum, nil
}

// demoProgram is a created program with its questions and groups.
type demoProgram struct {
	*tandem.Program
	questions []*tandem.ApplicationQuestion
	groups    []*tandem.PartnerGroup
}

func createProgram(ctx context.Context, s Services, p tandem.Program) (*demoProgram, error) {
	if err := s.Programs.CreateProgram(ctx, &p); err != nil {
		return nil, err
	}
	dp := &demoProgram{Program: &p}
	for _, q := range questions[p.Slug] {
		q.ProgramID = p.ID
		if err := s.Recruiting.AddQuestion(ctx, &q); err != nil {
			return nil, err
		}
		dp.questions = append(dp.questions, &q)
	}
	for _, name := range groups[p.Slug] {
		g, err := s.Recruiting.CreateGroup(ctx, p.ID, name)
		if err != nil {
			return nil, err
		}
		dp.groups = append(dp.groups, g)
	}
	return dp, nil
}

// apply sends the partner's application through the public form's code
// path and takes it to the wanted status the way a program manager would.
func apply(ctx context.Context, s Services, program *demoProgram, p tandem.Partner, n int, want tandem.MembershipStatus, reason string) error {
	answers := map[string]string{}
	for _, q := range program.questions {
		switch q.Kind {
		case tandem.QuestionChoice:
			answers[q.ID] = q.Choices[n%len(q.Choices)]
		case tandem.QuestionLongText:
			answers[q.ID] = "I advise B2B software teams on their data stack; several of my clients asked about product analytics this year."
		default:
			answers[q.ID] = fmt.Sprintf("%d,000 readers", 3+n*2)
		}
	}
	m, err := s.Recruiting.Apply(ctx, &tandem.Application{ProgramID: program.ID, Name: p.Name, Email: p.Email, Kind: p.Kind,
		Company: p.Company, Website: p.Website, Audience: "Product and data people at B2B software companies.", Answers: answers})
	if err != nil {
		return err
	}
	group := program.groups[n%len(program.groups)].ID
	switch {
	case want == tandem.MembershipPending && reason != "":
		_, err = s.Recruiting.ReviewMembership(ctx, m.ID, tandem.Decision{Kind: tandem.DecideAskMoreInfo, Reason: reason})
	case want == tandem.MembershipRejected:
		_, err = s.Recruiting.ReviewMembership(ctx, m.ID, tandem.Decision{Kind: tandem.DecideReject, Reason: reason})
	case want != tandem.MembershipPending && m.Status == tandem.MembershipPending:
		_, err = s.Recruiting.ReviewMembership(ctx, m.ID, tandem.Decision{Kind: tandem.DecideApprove, GroupID: group})
	}
	if err == nil && want == tandem.MembershipSuspended {
		_, err = s.Partners.SetMembershipStatus(ctx, m.ID, tandem.MembershipSuspended, reason)
	}
	return err
}

// addPartnerUser lets the demo partner sign in to the portal with a
// password, and returns the partner user's ID.
func addPartnerUser(ctx context.Context, accounts tandem.AccountService, p tandem.Partner) (string, error) {
	pu, err := accounts.CreatePartnerUser(ctx, p.ID, p.Email, p.Name)
	if err != nil {
		return "", fmt.Errorf("demo partner user: %w", err)
	}
	principal := tandem.Principal{Kind: tandem.PrincipalPartner, ID: pu.ID}
	if _, err := accounts.SetPassword(ctx, principal, "", PartnerPassword); err != nil {
		return "", fmt.Errorf("demo partner password: %w", err)
	}
	return pu.ID, nil
}

// addLinks gives the demo partner (who has accepted the referral program's
// agreement, and has its default link since its approval) a newsletter
// link, made as the partner would make it in the portal. The other approved
// partners have their default links from their approval.
func addLinks(ctx context.Context, s Services, programID, partnerID, partnerUserID string) error {
	ctx = tandem.WithActor(ctx, tandem.Actor{Kind: tandem.ActorPartner, ID: partnerUserID, IP: "192.0.2.10"})
	_, err := s.Links.CreateLink(ctx, partnerID, programID, tandem.LinkInput{Channel: tandem.ChannelNewsletter, Label: "Monthly client letter",
		Destination: "https://docs.fjordline.example/getting-started", UTM: tandem.UTM{Source: "nordvik", Medium: "newsletter", Campaign: "client-letter"}})
	return err
}
