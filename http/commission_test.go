package http_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// TestMoneyScreens follows one sale through the screens: the partner sees
// the pending commission with its explanation and expected approval, finance
// rejects it with a reason the partner then sees, and the ledger shows the
// postings.
func TestMoneyScreens(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		a := newApp(t, db, "https://partners.example.com")
		_, clients := a.roleClients()
		prog, partnerID, clickID := conversionFixture(t, a, db)
		res, err := sqldb.NewConversionService(db).RecordConversion(ctx, tandem.ConversionInput{ProgramID: prog.ID, Kind: tandem.ConversionSale,
			EventID: "in_1", CustomerID: "c1", CustomerEmail: "lee@buyer.example", ClickID: clickID, Amount: 14900, Currency: prog.Currency}, "")
		if err != nil || len(res.Conversion.Commissions) != 1 {
			t.Fatalf("%+v %v", res, err)
		}
		k := res.Conversion.Commissions[0]

		partner := a.client()
		partner.signIn(tandem.PrincipalPartner, "jane@example.com", "password of jane@example.com")
		page := partner.get("/portal/earnings")
		if page.status != 200 || !strings.Contains(page.body, "10% of 149.00 "+prog.Currency) || !strings.Contains(page.body, "Pending") ||
			!strings.Contains(page.body, k.HoldUntil.Format("2 Jan 2006")) {
			t.Fatalf("earnings page: %d %s", page.status, page.body)
		}

		// The first sale made the partner's referral, a customer already.
		refs, err := sqldb.NewReferralService(db).FindReferrals(ctx, tandem.ReferralFilter{PartnerID: partnerID})
		if err != nil || len(refs) != 1 || refs[0].Status != tandem.ReferralCustomer {
			t.Fatalf("referrals after the first sale: %+v %v", refs, err)
		}
		// The partner sees the buyer's email masked (the buyer gave it to the
		// business, not to them); the business sees it whole.
		if r := partner.get("/portal/referrals/" + refs[0].ID); r.status != 200 || !strings.Contains(r.body, "Customer since") ||
			!strings.Contains(r.body, res.Conversion.OccurredAt.Format("2 Jan 2006")) || !strings.Contains(r.body, "l•••@buyer.example") ||
			strings.Contains(r.body, "lee@buyer.example") {
			t.Fatalf("portal referral: %d %s", r.status, r.body)
		}
		if r := partner.get("/portal/referrals"); !strings.Contains(r.body, "l•••@buyer.example") || strings.Contains(r.body, "lee@buyer.example") {
			t.Fatalf("portal referrals: %s", r.body)
		}
		if r := clients[tandem.RoleReadOnly].get("/admin/referrals?status=customer"); !strings.Contains(r.body, "/admin/referrals/"+refs[0].ID) ||
			!strings.Contains(r.body, "lee@buyer.example") {
			t.Fatalf("admin pipeline: %s", r.body)
		}

		finance := clients[tandem.RoleFinance]
		if r := clients[tandem.RoleReadOnly].get("/admin/conversions?type=sale"); !strings.Contains(r.body, "in_1") || !strings.Contains(r.body, "149.00") {
			t.Fatalf("conversions: %s", r.body)
		}
		if r := finance.get("/admin/commissions?status=pending"); !strings.Contains(r.body, k.ID) {
			t.Fatalf("queue: %s", r.body)
		}
		// Rejecting needs a reason; nothing changes without one.
		finance.post("/admin/commissions/decide", url.Values{"ids": {k.ID}, "action": {"reject"}})
		if r := finance.get("/admin/commissions?status=pending"); !strings.Contains(r.body, k.ID) || !strings.Contains(r.body, "Reason") {
			t.Fatalf("rejected without a reason: %s", r.body)
		}
		finance.post("/admin/commissions/decide", url.Values{"ids": {k.ID}, "action": {"reject"}, "reason": {"Self-referral"}})
		if page := partner.get("/portal/earnings"); !strings.Contains(page.body, "Rejected: Self-referral") {
			t.Fatalf("partner does not see the rejection: %s", page.body)
		}
		ledger := finance.get("/admin/partners/" + partnerID + "/ledger")
		if ledger.status != 200 || !strings.Contains(ledger.body, "Commission rejected") || !strings.Contains(ledger.body, "Commission earned") {
			t.Fatalf("ledger: %d %s", ledger.status, ledger.body)
		}
	})
}

// TestPlanScreens: an admin creates a plan from JSON (a bad rule is shown
// next to the rules, naming the rule), publishes a new version, and the
// partner reads the plan in words on the program's page.
func TestPlanScreens(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a := newApp(t, db, "https://partners.example.com")
		_, clients := a.roleClients()
		prog := a.partnerIn("acme", "jane@example.com")
		admin := clients[tandem.RoleAdmin]
		bad := admin.post("/admin/programs/"+prog.ID+"/plans", url.Values{"name": {"Standard"},
			"rules": {`[{"key": "sales", "triggers": ["first_sale"], "kind": "percentage", "rate": "120"}]`}})
		if bad.status != 400 || !strings.Contains(bad.body, "rules[0].rate") || !strings.Contains(bad.body, `aria-invalid="true"`) {
			t.Fatalf("bad rule: %d %s", bad.status, bad.body)
		}
		admin.post("/admin/programs/"+prog.ID+"/plans", url.Values{"name": {"Standard"},
			"rules": {`[{"key": "sales", "triggers": ["first_sale", "renewal"], "kind": "percentage", "rate": "25", "recurring_months": 12, "hold_days": 30}]`}})
		page := admin.get("/admin/programs/" + prog.ID + "/plans")
		if !strings.Contains(page.body, "25% of first sales and renewals; renewals for 12 months; held 30 days") {
			t.Fatalf("plans page: %s", page.body)
		}
		plans, err := sqldb.NewPlanService(db).Plans(context.Background(), prog.ID)
		if err != nil || len(plans) != 1 {
			t.Fatal(plans, err)
		}
		admin.post("/admin/programs/"+prog.ID+"/plans/"+plans[0].ID+"/versions", url.Values{
			"rules": {`[{"key": "sales", "triggers": ["first_sale"], "kind": "percentage", "rate": "30"}]`}})
		partner := a.client()
		partner.signIn(tandem.PrincipalPartner, "jane@example.com", "password of jane@example.com")
		if p := partner.get("/portal/programs/" + prog.ID); !strings.Contains(p.body, "How you earn") || !strings.Contains(p.body, "30% of first sales") {
			t.Fatalf("portal program: %s", p.body)
		}

		// A plan of their own for one partner and for a group, and back.
		ctx := context.Background()
		admin.post("/admin/programs/"+prog.ID+"/plans", url.Values{"name": {"VIP"},
			"rules": {`[{"key": "sales", "triggers": ["first_sale"], "kind": "percentage", "rate": "40"}]`}})
		gold, err := sqldb.NewRecruitingService(db).CreateGroup(ctx, prog.ID, "Gold")
		if err != nil {
			t.Fatal(err)
		}
		plans, err = sqldb.NewPlanService(db).Plans(ctx, prog.ID)
		if err != nil || len(plans) != 2 || plans[1].Name != "VIP" {
			t.Fatalf("plans %+v %v", plans, err)
		}
		vip, jane := plans[1].ID, viewerPartnerID(t, a, "jane@example.com")
		if page := admin.get("/admin/programs/" + prog.ID + "/plans"); !strings.Contains(page.body, "No group or partner has a plan of its own") {
			t.Fatalf("plans page before any assignment: %s", page.body)
		}
		if r := admin.post("/admin/programs/"+prog.ID+"/plan-assignments", url.Values{"target": {""}, "plan_id": {vip}}); r.status != 400 ||
			!strings.Contains(r.body, "Choose a group or a partner") {
			t.Fatalf("no target: %d %s", r.status, r.body)
		}
		if r := clients[tandem.RoleReadOnly].post("/admin/programs/"+prog.ID+"/plan-assignments", url.Values{"target": {"partner:" + jane}, "plan_id": {vip}}); r.status != 403 {
			t.Fatalf("read-only assigns: %d", r.status)
		}
		for _, target := range []string{"partner:" + jane, "group:" + gold.ID} {
			if r := admin.post("/admin/programs/"+prog.ID+"/plan-assignments", url.Values{"target": {target}, "plan_id": {vip}}); r.status != 303 {
				t.Fatalf("assign %s: %d %s", target, r.status, r.body)
			}
		}
		if got, err := sqldb.NewPlanService(db).PartnerPlan(ctx, prog.ID, jane); err != nil || got.ID != vip {
			t.Fatalf("jane's plan = %+v %v; want VIP", got, err)
		}
		page = admin.get("/admin/programs/" + prog.ID + "/plans")
		if !strings.Contains(page.body, "<td>Group Gold</td><td>VIP</td>") || !strings.Contains(page.body, "<td>Partner acme</td><td>VIP</td>") {
			t.Fatalf("plans page lists the assignments: %s", page.body)
		}
		if p := partner.get("/portal/programs/" + prog.ID); !strings.Contains(p.body, "40% of first sales") {
			t.Fatalf("portal program under VIP: %s", p.body)
		}
		admin.post("/admin/programs/"+prog.ID+"/plan-assignments", url.Values{"target": {"partner:" + jane}, "plan_id": {""}})
		if got, err := sqldb.NewPlanService(db).PartnerPlan(ctx, prog.ID, jane); err != nil || got.ID != plans[0].ID {
			t.Fatalf("jane's plan back = %+v %v; want Standard", got, err)
		}
	})
}
