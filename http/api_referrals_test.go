package http_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tandem-prm/tandem"
	tandemhttp "github.com/tandem-prm/tandem/http"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

func TestAPIReferrals(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		newAPIClock(db)
		a := newApp(t, db, "https://partners.example.com")
		_, _, read, write := apiKeys(t, a)
		prog := a.partnerIn("acme", "jane@partner.example")
		prog.ProtectionDays = 30
		if err := a.programs.UpdateProgram(context.Background(), prog); err != nil {
			t.Fatal(err)
		}
		jane := viewerPartnerID(t, a, "jane@partner.example")
		bob, _ := a.joinPartner(prog, "bob@partner.example")

		res := apiCall(t, a, "POST", "/referrals", write, map[string]any{"program_id": prog.ID, "partner_id": jane,
			"email": "Lee@Buyer.example", "name": "Lee", "company": "Buyer Inc", "expected_value": 150000})
		r := decodeAs[tandemhttp.Referral](t, res, http.StatusCreated)
		if r.Status != tandem.ReferralNew || r.Source != tandem.ReferralFromAPI || r.Email != "lee@buyer.example" || r.Domain != "buyer.example" ||
			r.Currency != "USD" || r.ExpectedValue != 150000 || r.LinkID != nil || r.CustomerID != nil || r.Conflict != tandem.ConflictNone {
			t.Errorf("created %+v", r)
		}
		if loc := res.header.Get("Location"); loc != "https://partners.example.com/api/v1/referrals/"+r.ID {
			t.Errorf("Location = %q", loc)
		}

		// Bad input: 400 naming the field, and nothing written.
		for _, tt := range []struct {
			what  string
			body  map[string]any
			field string
		}{
			{"bad email", map[string]any{"program_id": prog.ID, "partner_id": jane, "email": "nope"}, "email"},
			{"missing email", map[string]any{"program_id": prog.ID, "partner_id": jane}, "email"},
			{"negative value", map[string]any{"program_id": prog.ID, "partner_id": jane, "email": "a@b.example", "expected_value": -5}, "expected_value"},
			{"value as text", map[string]any{"program_id": prog.ID, "partner_id": jane, "email": "a@b.example", "expected_value": "lots"}, "expected_value"},
			{"unknown field", map[string]any{"program_id": prog.ID, "partner_id": jane, "email": "a@b.example", "partner": "x"}, "partner"},
		} {
			wantProblem(t, tt.what, apiCall(t, a, "POST", "/referrals", write, tt.body), http.StatusBadRequest, tt.field)
		}
		wantProblem(t, "same partner twice", apiCall(t, a, "POST", "/referrals", write, map[string]any{"program_id": prog.ID, "partner_id": jane, "email": "lee@buyer.example"}), http.StatusConflict, "email")
		wantProblem(t, "read key", apiCall(t, a, "POST", "/referrals", read, map[string]any{"program_id": prog.ID, "partner_id": jane, "email": "x@y.example"}), http.StatusForbidden, "")
		if n := len(referralsOf(t, db, jane)); n != 1 {
			t.Fatalf("%d referrals after refused calls; want 1", n)
		}

		// Another partner, same email: created as a duplicate, with the reason.
		dup := decodeAs[tandemhttp.Referral](t, apiCall(t, a, "POST", "/referrals", write, map[string]any{"program_id": prog.ID, "partner_id": bob.ID, "email": "lee@buyer.example"}), http.StatusCreated)
		if dup.Status != tandem.ReferralDuplicate || dup.Conflict != tandem.ConflictProtectedByOther || dup.ConflictWithID == nil || *dup.ConflictWithID != r.ID {
			t.Errorf("duplicate = %+v", dup)
		}

		// Status changes.
		wantProblem(t, "reject without reason", apiCall(t, a, "POST", "/referrals/"+r.ID+"/status", write, map[string]any{"to": "rejected"}), http.StatusBadRequest, "reason")
		wantProblem(t, "to customer", apiCall(t, a, "POST", "/referrals/"+r.ID+"/status", write, map[string]any{"to": "customer"}), http.StatusBadRequest, "to")
		wantProblem(t, "duplicate reopened", apiCall(t, a, "POST", "/referrals/"+dup.ID+"/status", write, map[string]any{"to": "new"}), http.StatusBadRequest, "to")
		wantProblem(t, "unknown referral", apiCall(t, a, "POST", "/referrals/ref_nope/status", write, map[string]any{"to": "qualified"}), http.StatusNotFound, "")
		got := decodeAs[tandemhttp.ReferralWithHistory](t, apiCall(t, a, "POST", "/referrals/"+r.ID+"/status", write, map[string]any{"to": "qualified", "reason": "Budget confirmed"}), http.StatusOK)
		if got.Status != tandem.ReferralQualified || got.QualifiedAt == nil || len(got.History) != 2 || got.History[1].From != "new" ||
			got.History[1].To != "qualified" || got.History[1].ActorKind != tandem.ActorAPIKey || got.History[1].Reason != "Budget confirmed" {
			t.Errorf("after qualifying: %+v", got)
		}
		again := decodeAs[tandemhttp.ReferralWithHistory](t, apiCall(t, a, "GET", "/referrals/"+r.ID, read, nil), http.StatusOK)
		if again.Status != tandem.ReferralQualified || len(again.History) != 2 || again.History[0].From != "" {
			t.Errorf("get = %+v", again)
		}
		wantProblem(t, "get unknown", apiCall(t, a, "GET", "/referrals/ref_nope", read, nil), http.StatusNotFound, "")

		// Lists filter by status and partner.
		list := decodeAs[tandemhttp.Page[tandemhttp.Referral]](t, apiCall(t, a, "GET", "/referrals?status=duplicate", read, nil), http.StatusOK)
		if len(list.Data) != 1 || list.Data[0].ID != dup.ID || list.HasMore {
			t.Errorf("duplicates = %+v", list)
		}
		list = decodeAs[tandemhttp.Page[tandemhttp.Referral]](t, apiCall(t, a, "GET", "/referrals?partner_id="+jane, read, nil), http.StatusOK)
		if len(list.Data) != 1 || list.Data[0].ID != r.ID {
			t.Errorf("jane's = %+v", list)
		}
		wantProblem(t, "bad status filter", apiCall(t, a, "GET", "/referrals?status=won", read, nil), http.StatusBadRequest, "status")
		wantProblem(t, "bad cursor", apiCall(t, a, "GET", "/referrals?cursor=nope", read, nil), http.StatusBadRequest, "cursor")
		// The protection window is a program setting: 60 days unless given, 0 to 365.
		created := decodeAs[tandemhttp.Program](t, apiCall(t, a, "POST", "/programs", write, map[string]any{"name": "New", "slug": "new", "type": "referral", "currency": "EUR"}), http.StatusCreated)
		if created.ProtectionDays != 60 {
			t.Errorf("default protection = %d; want 60", created.ProtectionDays)
		}
		wantProblem(t, "protection too long", apiCall(t, a, "PATCH", "/programs/"+created.ID, write, map[string]any{"protection_days": 366}), http.StatusBadRequest, "protection_days")
		none := decodeAs[tandemhttp.Program](t, apiCall(t, a, "PATCH", "/programs/"+created.ID, write, map[string]any{"protection_days": 0}), http.StatusOK)
		if none.ProtectionDays != 0 {
			t.Errorf("protection after PATCH = %d; want 0", none.ProtectionDays)
		}
		if !strings.Contains(apiCall(t, a, "GET", "/openapi.json", read, nil).body, `"create-referral"`) {
			t.Error("the OpenAPI document has no referral operations")
		}
	})
}

// The referral list walks in pages without gaps or repeats, ties in
// created_at broken by the ID.
func TestAPIReferralPagination(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		clock := newAPIClock(db)
		a := newApp(t, db, "https://partners.example.com")
		_, _, read, _ := apiKeys(t, a)
		prog := a.partnerIn("acme", "jane@partner.example")
		jane := viewerPartnerID(t, a, "jane@partner.example")
		referrals := sqldb.NewReferralService(db)
		var keys []sortKey
		base := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
		for i := range 60 {
			clock.tick(base, i)
			r, err := referrals.CreateReferral(context.Background(), tandem.ReferralInput{ProgramID: prog.ID, PartnerID: jane,
				Source: tandem.ReferralFromAPI, Email: fmt.Sprintf("lead%02d@buyer.example", i)})
			if err != nil {
				t.Fatal(err)
			}
			keys = append(keys, sortKey{created: r.CreatedAt, id: r.ID})
		}
		checkWalk(t, a, read, "/referrals", keys)
		checkWalk(t, a, read, "/referrals?status=new&partner_id="+jane, keys)
	})
}

// TestAPIReferralsFromConversions: over the API, qualifying a referral
// records its lead fee once (a lead event naming it later earns nothing), a
// lead event qualifies a new referral and stores no customer, and a first
// sale by click makes the partner's referral, a customer already.
func TestAPIReferralsFromConversions(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		newAPIClock(db)
		a := newApp(t, db, "https://partners.example.com")
		_, _, read, write := apiKeys(t, a)
		prog, jane, click := conversionFixture(t, a, db)
		plan := decodeAs[tandem.Plan](t, apiCall(t, a, "POST", "/programs/"+prog.ID+"/plans", write, map[string]any{"name": "Leads",
			"rules": []map[string]any{{"key": "lead", "triggers": []string{"lead_qualified"}, "kind": "fixed", "amount": 2000},
				{"key": "sales", "triggers": []string{"first_sale"}, "kind": "percentage", "rate": "10"}}}), http.StatusCreated)
		if err := sqldb.NewPlanService(db).AssignPlan(context.Background(), prog.ID, "", jane, plan.ID); err != nil {
			t.Fatal(err)
		}
		register := func(email string) string {
			return decodeAs[tandemhttp.Referral](t, apiCall(t, a, "POST", "/referrals", write, map[string]any{"program_id": prog.ID,
				"partner_id": jane, "email": email}), http.StatusCreated).ID
		}
		lead := func(event, referral string) tandemhttp.Conversion {
			return decodeAs[tandemhttp.Conversion](t, apiCall(t, a, "POST", "/conversions", write, map[string]any{"program_id": prog.ID,
				"type": "lead_qualified", "event_id": event, "referral_id": referral, "customer": map[string]any{"email": event + "@lead.example"}}), http.StatusCreated)
		}

		first := register("first@buyer.example")
		decodeAs[tandemhttp.ReferralWithHistory](t, apiCall(t, a, "POST", "/referrals/"+first+"/status", write, map[string]any{"to": "qualified"}), http.StatusOK)
		leads := decodeAs[tandemhttp.Page[tandemhttp.Conversion]](t, apiCall(t, a, "GET", "/conversions?type=lead_qualified", read, nil), http.StatusOK)
		if len(leads.Data) != 1 || leads.Data[0].ReferralID != first || leads.Data[0].EventID != "referral_qualified:"+first || leads.Data[0].PartnerID != jane {
			t.Fatalf("lead conversions after qualifying: %+v", leads.Data)
		}
		if late := lead("late", first); len(late.Commissions) != 0 || late.NoCommission == "" {
			t.Errorf("a lead event after qualifying: %+v", late)
		}

		second := register("second@buyer.example")
		early := lead("early", second)
		got := decodeAs[tandemhttp.ReferralWithHistory](t, apiCall(t, a, "GET", "/referrals/"+second, read, nil), http.StatusOK)
		if len(early.Commissions) != 1 || early.Commissions[0].Amount != 2000 || early.CustomerID != "" || got.Status != tandem.ReferralQualified {
			t.Errorf("a lead event on a new referral: %+v; referral %+v", early, got)
		}

		sale := decodeAs[tandemhttp.Conversion](t, apiCall(t, a, "POST", "/conversions", write, map[string]any{"program_id": prog.ID, "type": "sale",
			"event_id": "in_1", "customer": map[string]any{"id": "c1", "email": "buyer@shop.example"}, "click_id": click, "amount": 10000, "currency": prog.Currency}), http.StatusCreated)
		list := decodeAs[tandemhttp.Page[tandemhttp.Referral]](t, apiCall(t, a, "GET", "/referrals?status=customer", read, nil), http.StatusOK)
		if len(list.Data) != 1 || list.Data[0].Source != tandem.ReferralFromConversion || list.Data[0].CustomerID == nil ||
			*list.Data[0].CustomerID != sale.CustomerID || list.Data[0].Email != "buyer@shop.example" || list.Data[0].LinkID == nil {
			t.Errorf("referrals after a first sale: %+v", list.Data)
		}
	})
}
