package demo_test

import (
	"context"
	"database/sql"
	"slices"
	"testing"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/demo"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// demoServices are the services the demo writes through, on db.
func demoServices(db *sqldb.DB) demo.Services {
	return demo.Services{Programs: sqldb.NewProgramService(db), Partners: sqldb.NewPartnerService(db), Accounts: sqldb.NewAccountService(db),
		Recruiting: sqldb.NewRecruitingService(db), Agreements: sqldb.NewAgreementService(db), Resources: sqldb.NewResourceService(db),
		Onboarding: sqldb.NewOnboardingService(db), Invitations: sqldb.NewInvitationService(db), Links: sqldb.NewLinkService(db),
		Clicks: sqldb.NewClickStore(db), Conversions: sqldb.NewConversionService(db), Commissions: sqldb.NewCommissionService(db),
		Plans: sqldb.NewPlanService(db), Coupons: sqldb.NewCouponService(db), Referrals: sqldb.NewReferralService(db),
		Payouts: sqldb.NewPayoutService(db)}
}

func TestSeed(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := demoServices(db)
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
		// A pipeline: every status, both conflicts, customers made by
		// first sales (implicit referrals) and by a sale naming a registered
		// referral.
		refs, _ := s.Referrals.FindReferrals(ctx, tandem.ReferralFilter{ProgramID: ref.ID, Limit: 1000})
		seen := map[string]bool{}
		for _, r := range refs {
			seen[string(r.Status)], seen[string(r.Conflict)] = true, true
			if r.Status == tandem.ReferralCustomer {
				seen[string(r.Source)+" customer"] = r.CustomerID != ""
			}
		}
		for _, want := range []string{"new", "qualified", "customer", "rejected", "lost", "duplicate", "protected_by_other", "possible_duplicate",
			"conversion customer", "partner_registered customer"} {
			if !seen[want] {
				t.Errorf("no demo referral is %s", want)
			}
		}
		// Qualifying a referral earned the plan's lead fee, once per referral.
		leads, _ := s.Conversions.Conversions(ctx, tandem.ConversionFilter{ProgramID: ref.ID, Kind: tandem.ConversionLeadQualified, Limit: 100})
		referralOf := map[string]string{}
		for _, c := range leads {
			referralOf[c.ID] = c.ReferralID
		}
		ks, _ := s.Commissions.Commissions(ctx, tandem.CommissionFilter{ProgramID: ref.ID, Limit: 10000})
		fees := map[string]int{}
		for _, k := range ks {
			if id, ok := referralOf[k.ConversionID]; ok && id != "" && k.RuleKey == "lead" && k.Amount == 5000 {
				fees[id]++
			}
		}
		if len(fees) < 2 {
			t.Errorf("lead fees by referral %v; want the demo's qualified referrals' (at least 2)", fees)
		}
		for id, n := range fees {
			if n != 1 {
				t.Errorf("referral %s earned %d lead fees", id, n)
			}
		}
		if acc, err := s.Agreements.FindAcceptances(ctx, ref.ID); err != nil || len(acc) != 1 || acc[0].FullName != "Ingrid Solberg" {
			t.Errorf("acceptances = %+v, %v", acc, err)
		}
		// Money: a paid batch and a proposed one waiting for finance.
		bs, err := s.Payouts.Batches(ctx, ref.ID, 10)
		if err != nil || len(bs) != 2 || bs[0].Status != tandem.BatchProposed || bs[1].Status != tandem.BatchPaid ||
			bs[0].LineCount < 1 || bs[1].Total <= 0 || bs[0].Total <= 0 {
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
		// Every approved member has its default link (made at approval), and
		// the demo's clicks are there: thousands, through the click store.
		for _, m := range stored {
			ls, _ := s.Links.FindLinks(ctx, tandem.LinkFilter{PartnerID: m.PartnerID, ProgramID: m.ProgramID, IncludeArchived: true})
			hasDefault := slices.ContainsFunc(ls, func(l *tandem.Link) bool { return l.IsDefault })
			if hasDefault != (m.Status == tandem.MembershipApproved || m.Status == tandem.MembershipSuspended) {
				t.Errorf("%s membership of %s: default link %v", m.Status, m.PartnerID, hasDefault)
			}
		}
		if sum.Clicks < 2000 || sum.Clicks > 8000 {
			t.Errorf("%d demo clicks; want a few thousand", sum.Clicks)
		}
		checkRollups(t, db, sum.Clicks)
		for _, p := range programs {
			days, err := s.Links.ClickChart(ctx, tandem.ClickChartFilter{ProgramID: p.ID})
			if err != nil || len(days) != tandem.ChartDays {
				t.Fatalf("chart of %s = %d days, %v", p.Slug, len(days), err)
			}
			var busy int
			var clicks, unique, bots int64
			for _, d := range days {
				if d.Clicks > 0 {
					busy++
				}
				clicks, unique, bots = clicks+d.Clicks, unique+d.Unique, bots+d.Bots
			}
			t.Logf("%s: %d clicks (%d unique, %d bots) on %d of %d days", p.Slug, clicks, unique, bots, busy, len(days))
			if busy < 60 || unique == 0 || unique >= clicks || bots == 0 {
				t.Errorf("chart of %s: %d days with clicks, %d clicks, %d unique, %d bots; want most days, repeats and bots", p.Slug, busy, clicks, unique, bots)
			}
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

// checkRollups checks that the daily rollups equal the raw clicks counted
// per link and day (in the program's time zone): exact, not estimated.
func checkRollups(t *testing.T, db *sqldb.DB, want int) {
	t.Helper()
	type key struct{ link, day string }
	type counts struct{ clicks, unique, bots int64 }
	raw, rolled := map[key]counts{}, map[key]counts{}
	n := 0
	err := db.InTx(context.Background(), func(tx *sql.Tx) error {
		rows, err := tx.Query(`SELECT c.link_id, c.occurred_at, c.bot, c.is_unique, p.time_zone FROM clicks c JOIN programs p ON p.id = c.program_id`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var link, tz string
			var at int64
			var bot, unique bool
			if err := rows.Scan(&link, &at, &bot, &unique, &tz); err != nil {
				return err
			}
			loc, err := time.LoadLocation(tz)
			if err != nil {
				return err
			}
			k := key{link, time.UnixMilli(at).In(loc).Format(time.DateOnly)}
			c := raw[k]
			switch {
			case bot:
				c.bots++
			case unique:
				c.clicks++
				c.unique++
			default:
				c.clicks++
			}
			raw[k] = c
			n++
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		rows, err = tx.Query(`SELECT link_id, day, clicks, unique_clicks, bot_clicks FROM click_rollups`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k key
			var c counts
			if err := rows.Scan(&k.link, &k.day, &c.clicks, &c.unique, &c.bots); err != nil {
				return err
			}
			rolled[k] = c
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != want {
		t.Errorf("%d raw clicks; the summary says %d", n, want)
	}
	if len(raw) != len(rolled) {
		t.Errorf("%d link-days of clicks, %d rollup rows", len(raw), len(rolled))
	}
	for k, c := range raw {
		if rolled[k] != c {
			t.Errorf("%s on %s: rollup %+v, raw clicks %+v", k.link, k.day, rolled[k], c)
		}
	}
}

// TestSeedMoney checks the demo's money: sales and renewals went through the
// engine, commissions exist in every status the engine and finance reach
// before payouts, a refund after approval clawed back from payable, and the
// ledger's invariants hold.
func TestSeedMoney(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := demoServices(db)
		sum, err := demo.Seed(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Conversions < 100 {
			t.Fatalf("%d conversions", sum.Conversions)
		}
		ks, err := s.Commissions.Commissions(ctx, tandem.CommissionFilter{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		statuses := map[tandem.CommissionStatus]int{}
		partial := 0
		for _, k := range ks {
			statuses[k.Status]++
			if k.Reversed > 0 && k.Reversed < k.Amount {
				partial++
			}
		}
		for _, st := range []tandem.CommissionStatus{tandem.CommissionPending, tandem.CommissionApproved, tandem.CommissionRejected, tandem.CommissionReversed} {
			if statuses[st] == 0 {
				t.Errorf("no %s commission in the demo: %v", st, statuses)
			}
		}
		if partial == 0 {
			t.Error("no partially refunded commission in the demo")
		}
		kinds := map[tandem.ConversionKind]int{}
		cs, err := s.Conversions.Conversions(ctx, tandem.ConversionFilter{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			kinds[c.Kind]++
		}
		if kinds[tandem.ConversionSale] == 0 || kinds[tandem.ConversionRenewal] == 0 || kinds[tandem.ConversionRefund] == 0 || kinds[tandem.ConversionCancellation] == 0 {
			t.Errorf("conversion kinds %v", kinds)
		}
		var clawbacks int
		if err := db.InTx(ctx, func(tx *sql.Tx) error {
			return tx.QueryRow(`SELECT COUNT(*) FROM ledger_lines WHERE account_type = 'payable' AND amount < 0
				AND posting_id IN (SELECT id FROM ledger_postings WHERE kind = 'commission_reversed')`).Scan(&clawbacks)
		}); err != nil {
			t.Fatal(err)
		}
		if clawbacks == 0 {
			t.Error("no clawback after approval in the demo")
		}
		if err := sqldb.NewLedgerService(db).VerifyLedger(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
