package demo_test

import (
	"context"
	"testing"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/demo"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

func TestSeed(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := demo.Services{Programs: sqldb.NewProgramService(db), Partners: sqldb.NewPartnerService(db), Accounts: sqldb.NewAccountService(db), Recruiting: sqldb.NewRecruitingService(db),
			Agreements: sqldb.NewAgreementService(db), Resources: sqldb.NewResourceService(db), Onboarding: sqldb.NewOnboardingService(db),
			Invitations: sqldb.NewInvitationService(db), Links: sqldb.NewLinkService(db),
			Money: &demo.Money{Clicks: sqldb.NewClickStore(db), Plans: sqldb.NewPlanService(db), Conversions: sqldb.NewConversionService(db),
				Commissions: sqldb.NewCommissionService(db), Payouts: sqldb.NewPayoutService(db)}}
		sum, err := demo.Seed(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		programs, _ := s.Programs.FindPrograms(ctx, tandem.ProgramFilter{})
		partners, _ := s.Partners.FindPartners(ctx, tandem.PartnerFilter{})
		if len(programs) != 2 || len(partners) != 12 || sum.Programs != 2 || sum.Partners != 12 {
			t.Fatalf("demo has %d programs and %d partners (summary %+v); want 2 and 12", len(programs), len(partners), sum)
		}
		types := map[tandem.ProgramType]bool{}
		for _, p := range programs {
			types[p.Type] = true
		}
		if !types[tandem.ProgramReferral] || !types[tandem.ProgramAffiliate] {
			t.Errorf("program types = %v; want a referral and an affiliate program", types)
		}
		// Every membership status is represented, as stored.
		stored, _ := s.Partners.FindMemberships(ctx, tandem.MembershipFilter{})
		byStatus := map[tandem.MembershipStatus]int{}
		for _, m := range stored {
			byStatus[m.Status]++
		}
		for _, st := range []tandem.MembershipStatus{tandem.MembershipPending, tandem.MembershipApproved, tandem.MembershipRejected, tandem.MembershipSuspended} {
			if byStatus[st] == 0 || byStatus[st] != sum.ByStatus[st] {
				t.Errorf("%s memberships: stored %d, summary %d; want equal and > 0", st, byStatus[st], sum.ByStatus[st])
			}
		}
		// Applications went through the public form's path: answers, flags,
		// groups; and each program has questions and groups.
		answered, grouped := 0, 0
		for _, m := range stored {
			if len(m.Answers) > 0 {
				answered++
			}
			if m.GroupID != "" {
				grouped++
			}
		}
		if answered != len(stored) || grouped == 0 {
			t.Errorf("%d of %d memberships have answers, %d a group", answered, len(stored), grouped)
		}
		for _, p := range programs {
			qs, _ := s.Recruiting.FindQuestions(ctx, p.ID)
			gs, _ := s.Recruiting.FindGroups(ctx, p.ID)
			if len(qs) == 0 || len(gs) == 0 || p.DestinationURL == "" || p.Headline == "" {
				t.Errorf("program %s: %d questions, %d groups, destination %q, headline %q", p.Slug, len(qs), len(gs), p.DestinationURL, p.Headline)
			}
		}
		// The referral program has terms (accepted by the demo partner), a
		// resource library with a file, and a custom onboarding step.
		ref := programs[0]
		if ref.Type != tandem.ProgramReferral {
			ref = programs[1]
		}
		if acc, err := s.Agreements.FindAcceptances(ctx, ref.ID); err != nil || len(acc) != 1 || acc[0].FullName != "Ingrid Solberg" {
			t.Errorf("acceptances = %+v, %v", acc, err)
		}
		// Money: a paid batch and a proposed one waiting for finance.
		bs, err := s.Money.Payouts.Batches(ctx, ref.ID, 10)
		if err != nil || len(bs) != 2 || bs[0].Status != tandem.BatchProposed || bs[1].Status != tandem.BatchPaid ||
			bs[0].LineCount != 1 || bs[1].Total != (49000+129000+49000)/5 || bs[0].Total != (89000+49000)/5 {
			t.Errorf("payout batches = %+v, %v", bs, err)
		}
		if rs, _ := s.Resources.FindResources(ctx, tandem.ResourceFilter{ProgramID: ref.ID}); len(rs) != 6 {
			t.Errorf("%d resources; want 6", len(rs))
		}
		if steps, _ := s.Onboarding.FindCustomSteps(ctx, ref.ID); len(steps) != 1 {
			t.Errorf("%d custom steps; want 1", len(steps))
		}
		if invs, err := s.Invitations.FindInvitations(ctx, tandem.InvitationFilter{ProgramID: ref.ID}); err != nil || len(invs) != 2 {
			t.Errorf("invitations = %d, %v; want 2", len(invs), err)
		}
		// The printed sign-in details work.
		if _, err := s.Accounts.SignInWithPassword(ctx, tandem.PrincipalUser, demo.OwnerEmail, demo.OwnerPassword); err != nil {
			t.Errorf("demo owner cannot sign in: %v", err)
		}
		if _, err := s.Accounts.SignInWithPassword(ctx, tandem.PrincipalPartner, demo.PartnerEmail, demo.PartnerPassword); err != nil {
			t.Errorf("demo partner cannot sign in: %v", err)
		}
		// The demo never writes into a database that has data.
		if _, err := demo.Seed(ctx, s); err != demo.ErrNotEmpty {
			t.Errorf("second Seed = %v; want ErrNotEmpty", err)
		}
	})
}
