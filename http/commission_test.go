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
			EventID: "in_1", CustomerID: "c1", ClickID: clickID, Amount: 14900, Currency: prog.Currency}, "")
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
