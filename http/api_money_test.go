package http_test

import (
	"net/http"
	"testing"

	"github.com/tandem-prm/tandem"
	tandemhttp "github.com/tandem-prm/tandem/http"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// TestAPIPlansCouponsAndCommissions sets up a program's money through the
// API: a tiered plan, a partner's coupon; a sale with the coupon earns the
// partner its commission, and finance approves it.
func TestAPIPlansCouponsAndCommissions(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a := newApp(t, db, "https://partners.example.com")
		_, _, read, write := apiKeys(t, a)
		prog := a.partnerIn("acme", "jane@example.com")
		jane := viewerPartnerID(t, a, "jane@example.com")

		wantProblem(t, "bad rule", apiCall(t, a, "POST", "/programs/"+prog.ID+"/plans", write, map[string]any{
			"name": "Broken", "rules": []map[string]any{{"key": "x", "triggers": []string{"first_sale"}, "kind": "bonus"}}}),
			http.StatusBadRequest, "rules[0].kind")
		wantProblem(t, "rate as a float", apiCall(t, a, "POST", "/programs/"+prog.ID+"/plans", write, map[string]any{
			"name": "Floats", "rules": []map[string]any{{"key": "x", "triggers": []string{"first_sale"}, "kind": "percentage", "rate": 12.5}}}),
			http.StatusBadRequest, "rules[0].rate")
		plan := decodeAs[tandem.Plan](t, apiCall(t, a, "POST", "/programs/"+prog.ID+"/plans", write, map[string]any{
			"name": "Tiered", "rules": []map[string]any{{"key": "sales", "name": "Sales", "triggers": []string{"first_sale", "repeat_sale"},
				"kind": "percentage", "tier_basis": "period_customers", "tier_period": "month",
				"steps": []map[string]any{{"threshold": 0, "rate": "10"}, {"threshold": 2, "rate": "12.5"}}, "hold_days": 0}}}), http.StatusCreated)
		if plan.Current == nil || plan.Current.Version != 1 || plan.Current.Rules[0].Steps[1].Rate.String() != "12.5" {
			t.Fatalf("plan %+v", plan)
		}
		// Jane's own plan (the same one here), listed, then back to the default.
		wantProblem(t, "unknown plan", apiCall(t, a, "POST", "/programs/"+prog.ID+"/plan-assignments", write, map[string]any{"partner_id": jane, "plan_id": "pln_x"}),
			http.StatusBadRequest, "plan_id")
		if r := apiCall(t, a, "POST", "/programs/"+prog.ID+"/plan-assignments", write, map[string]any{"partner_id": jane, "plan_id": plan.ID}); r.status != http.StatusNoContent {
			t.Fatalf("assign: %d %s", r.status, r.body)
		}
		assigned := decodeAs[struct{ Data []tandem.PlanAssignment }](t, apiCall(t, a, "GET", "/programs/"+prog.ID+"/plan-assignments", read, nil), http.StatusOK)
		if len(assigned.Data) != 1 || assigned.Data[0].PartnerID != jane || assigned.Data[0].PlanID != plan.ID {
			t.Fatalf("assignments %+v", assigned.Data)
		}
		apiCall(t, a, "POST", "/programs/"+prog.ID+"/plan-assignments", write, map[string]any{"partner_id": jane, "plan_id": ""})
		if assigned = decodeAs[struct{ Data []tandem.PlanAssignment }](t, apiCall(t, a, "GET", "/programs/"+prog.ID+"/plan-assignments", read, nil), http.StatusOK); len(assigned.Data) != 0 {
			t.Fatalf("assignments after going back to the default %+v", assigned.Data)
		}

		wantProblem(t, "bad code", apiCall(t, a, "POST", "/coupons", write, map[string]any{"program_id": prog.ID, "partner_id": jane, "code": "no spaces"}),
			http.StatusBadRequest, "code")
		decodeAs[tandem.Coupon](t, apiCall(t, a, "POST", "/coupons", write, map[string]any{"program_id": prog.ID, "partner_id": jane, "code": "jane20"}), http.StatusCreated)
		wantProblem(t, "taken code", apiCall(t, a, "POST", "/coupons", write, map[string]any{"program_id": prog.ID, "partner_id": jane, "code": "JANE20"}),
			http.StatusConflict, "code")

		var last tandemhttp.Conversion
		for i, id := range []string{"in_1", "in_2"} {
			last = decodeAs[tandemhttp.Conversion](t, apiCall(t, a, "POST", "/conversions", write, map[string]any{"program_id": prog.ID, "type": "sale",
				"event_id": id, "customer": map[string]any{"id": id}, "coupon": "Jane20", "amount": 10000, "currency": prog.Currency}), http.StatusCreated)
			if last.PartnerID != jane || last.Attribution != "coupon" || len(last.Commissions) != 1 {
				t.Fatalf("sale %d: %+v", i, last)
			}
		}
		if k := last.Commissions[0]; k.Amount != 1250 || k.Status != tandem.CommissionPending {
			t.Fatalf("second customer this month earns tier 2: %+v", k)
		}
		wantProblem(t, "refund too large", apiCall(t, a, "POST", "/conversions", write, map[string]any{"program_id": prog.ID, "type": "refund",
			"event_id": "re_1", "refund_of": "in_1", "amount": 20000}), http.StatusBadRequest, "amount")
		wantProblem(t, "read key cannot approve", apiCall(t, a, "POST", "/commissions/approve", read, map[string]any{"ids": []string{last.Commissions[0].ID}}),
			http.StatusForbidden, "")
		done := decodeAs[struct{ Changed int }](t, apiCall(t, a, "POST", "/commissions/approve", write, map[string]any{"ids": []string{last.Commissions[0].ID}}), http.StatusOK)
		if done.Changed != 1 {
			t.Fatalf("approved %d", done.Changed)
		}
		wantProblem(t, "approve twice", apiCall(t, a, "POST", "/commissions/approve", write, map[string]any{"ids": []string{last.Commissions[0].ID}}),
			http.StatusBadRequest, "ids")
		bal := decodeAs[struct{ Data []tandem.Balance }](t, apiCall(t, a, "GET", "/partners/"+jane+"/balances", read, nil), http.StatusOK)
		got := map[tandem.AccountType]int64{}
		for _, b := range bal.Data {
			got[b.Type] = b.Amount
		}
		if got[tandem.AccountPending] != 1000 || got[tandem.AccountPayable] != 1250 {
			t.Fatalf("balances %+v", bal.Data)
		}
	})
}
