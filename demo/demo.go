// Package demo fills an empty Tandem with a believable business, Fjordline
// Analytics, through the same services the UI and the API use, so that a new
// user meets the product with data in it. Each feature adds its own part.
package demo

import (
	"context"
	"fmt"

	"github.com/tandem-prm/tandem"
)

// Services are what the demo writes through.
type Services struct {
	Programs tandem.ProgramService
	Partners tandem.PartnerService
	Accounts tandem.AccountService
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
		Currency: "USD", TimeZone: "Europe/Oslo", CookieDays: 90, Attribution: tandem.FirstClick,
	}
	affiliateProgram = tandem.Program{
		Name: "Fjordline Creator Affiliates", Slug: "affiliates", Type: tandem.ProgramAffiliate,
		Currency: "USD", TimeZone: "America/New_York", CookieDays: 30, Attribution: tandem.LastClick, AutoApprove: true,
	}
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
		map[string]tandem.MembershipStatus{ref: tandem.MembershipPending}, ""},
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
	programs := map[string]*tandem.Program{}
	for _, p := range []tandem.Program{referralProgram, affiliateProgram} {
		if err := s.Programs.CreateProgram(ctx, &p); err != nil {
			return nil, fmt.Errorf("demo program %s: %w", p.Slug, err)
		}
		programs[p.Slug] = &p
		sum.Programs++
	}
	for _, dp := range partners {
		p := dp.partner
		if err := s.Partners.CreatePartner(ctx, &p); err != nil {
			return nil, fmt.Errorf("demo partner %s: %w", p.Email, err)
		}
		sum.Partners++
		if p.Email == PartnerEmail {
			if err := addPartnerUser(ctx, s.Accounts, p); err != nil {
				return nil, err
			}
		}
		for _, slug := range []string{ref, aff} {
			status, ok := dp.status[slug]
			if !ok {
				continue
			}
			if err := join(ctx, s.Partners, programs[slug], p.ID, status, dp.reason); err != nil {
				return nil, fmt.Errorf("demo membership %s in %s: %w", p.Email, slug, err)
			}
			sum.ByStatus[status]++
		}
	}
	return sum, nil
}

// addPartnerUser lets the demo partner sign in to the portal with a password.
func addPartnerUser(ctx context.Context, accounts tandem.AccountService, p tandem.Partner) error {
	pu, err := accounts.CreatePartnerUser(ctx, p.ID, p.Email, p.Name)
	if err != nil {
		return fmt.Errorf("demo partner user: %w", err)
	}
	principal := tandem.Principal{Kind: tandem.PrincipalPartner, ID: pu.ID}
	if _, err := accounts.SetPassword(ctx, principal, "", PartnerPassword); err != nil {
		return fmt.Errorf("demo partner password: %w", err)
	}
	return nil
}

// join adds the partner to the program and walks the membership to the
// wanted status the way a program manager would.
func join(ctx context.Context, partners tandem.PartnerService, program *tandem.Program, partnerID string, want tandem.MembershipStatus, reason string) error {
	m, err := partners.JoinProgram(ctx, program.ID, partnerID)
	if err != nil {
		return err
	}
	var path []tandem.MembershipStatus
	switch want {
	case tandem.MembershipApproved, tandem.MembershipRejected:
		path = []tandem.MembershipStatus{want}
	case tandem.MembershipSuspended:
		path = []tandem.MembershipStatus{tandem.MembershipApproved, tandem.MembershipSuspended}
	}
	for _, next := range path {
		if m.Status == next {
			continue // auto-approved already
		}
		if m, err = partners.SetMembershipStatus(ctx, m.ID, next, reason); err != nil {
			return err
		}
	}
	return nil
}
