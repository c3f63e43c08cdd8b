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

// TestPayoutScreens walks a payout through the screens: the partner sees
// what is payable and when, changes the method (a bad IBAN is refused next
// to the field), requests a payout; finance approves, exports the PayPal
// file and marks it paid; the partner downloads the statement, and another
// partner cannot.
func TestPayoutScreens(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a := newApp(t, db, "http://127.0.0.1")
		prog, partnerID := payableFixture(t, a, db)
		_, clients := a.roleClients()
		jane := a.client()
		jane.signIn(tandem.PrincipalPartner, "jane@example.com", "password of jane@example.com")

		r := jane.get("/portal/payouts")
		if r.status != 200 || !strings.Contains(r.body, "Request a payout of 10.00 USD now") || !strings.Contains(r.body, "PayPal ja…@example.com") {
			t.Fatalf("portal payouts = %d: %s", r.status, r.body)
		}
		r = jane.post("/portal/payouts/method", url.Values{"kind": {"wise"}, "name": {"Jane Doe"}, "email": {"jane@example.com"}, "iban": {"DE89370400440532013001"}})
		if r.status != 400 || !strings.Contains(r.body, "check digits do not match") {
			t.Fatalf("bad IBAN = %d", r.status)
		}
		if m, _ := sqldb.NewPayoutService(db).Method(context.Background(), partnerID); m.Kind != tandem.MethodPayPal {
			t.Fatalf("a refused method was saved: %+v", m)
		}
		if r = jane.post("/portal/payouts/method", url.Values{"kind": {"paypal"}, "email": {"jane.payouts@example.com"}}); r.status != 303 {
			t.Fatalf("change method = %d: %s", r.status, r.body)
		}
		if sqldbtest.LastLink(t, db, "jane@example.com", "payout_method_changed") == "" {
			t.Fatal("the method change was not emailed")
		}
		if r = jane.post("/portal/payouts/request", url.Values{"program_id": {prog.ID}}); r.status != 303 {
			t.Fatalf("request = %d", r.status)
		}
		pay := sqldb.NewPayoutService(db)
		bs, err := pay.Batches(context.Background(), prog.ID, 10)
		if err != nil || len(bs) != 1 {
			t.Fatalf("batches %v %v", bs, err)
		}
		batch := "/admin/payouts/" + bs[0].ID
		if r = clients[tandem.RoleFinance].get(batch); r.status != 200 || !strings.Contains(r.body, "Approve and send 10.00 USD") {
			t.Fatalf("batch page = %d", r.status)
		}
		if r = clients[tandem.RoleFinance].post(batch+"/approve", nil); r.status != 303 {
			t.Fatalf("approve = %d", r.status)
		}
		lines, _ := pay.Lines(context.Background(), tandem.LineFilter{BatchID: bs[0].ID})
		if _, err := pay.StartSending(context.Background(), lines[0].ID); err != nil { // what the send job does
			t.Fatal(err)
		}
		if r = clients[tandem.RoleFinance].get(batch + "/export/paypal"); r.status != 200 || !strings.HasPrefix(r.body, "jane.payouts@example.com,10.00,USD,"+lines[0].ID) {
			t.Fatalf("export = %d %q", r.status, r.body)
		}
		if r = clients[tandem.RoleFinance].post(batch+"/paid", url.Values{"reference": {"PP-1"}}); r.status != 303 {
			t.Fatalf("mark paid = %d", r.status)
		}
		if r = clients[tandem.RoleFinance].post(batch+"/paid", url.Values{"reference": {"PP-1"}, "line_id": {lines[0].ID}}); r.status != 303 {
			t.Fatalf("paid twice = %d", r.status)
		}
		if r = clients[tandem.RoleFinance].get(batch); !strings.Contains(r.body, "is already paid") {
			t.Fatalf("paid twice was not refused: %s", r.body)
		}

		r = jane.get("/portal/payouts/" + lines[0].ID + "/statement")
		if r.status != 200 || !strings.Contains(r.body, "Closing balance") || !strings.Contains(r.body, "10.00 USD") {
			t.Fatalf("statement = %d", r.status)
		}
		if r = jane.get("/portal/payouts/" + lines[0].ID + "/statement?format=csv"); r.status != 200 || !strings.Contains(r.body, "payout,PP-1,") {
			t.Fatalf("statement CSV = %d %q", r.status, r.body)
		}
		month := lines[0].CreatedAt.Format("2006-01")
		if r = jane.get("/portal/statements/" + month + "?format=csv"); r.status != 200 || !strings.Contains(r.body, "commission,") {
			t.Fatalf("period statement = %d %q", r.status, r.body)
		}
		// Another partner cannot read Jane's statement.
		a.partnerIn("other", "other@example.com")
		other := a.client()
		other.signIn(tandem.PrincipalPartner, "other@example.com", "password of other@example.com")
		if r = other.get("/portal/payouts/" + lines[0].ID + "/statement"); r.status != 404 {
			t.Fatalf("another partner's statement = %d", r.status)
		}
		if r = clients[tandem.RoleOwner].get("/admin/payouts"); r.status != 200 || !strings.Contains(r.body, batch) || !strings.Contains(r.body, "Nothing payable") {
			t.Fatalf("finance overview = %d", r.status)
		}
		if r = clients[tandem.RoleFinance].get("/admin/payouts/balances.csv"); r.status != 200 || !strings.HasPrefix(r.body, "partner_id,partner,currency,payable") {
			t.Fatalf("balances CSV = %d %q", r.status, r.body)
		}
		if r = clients[tandem.RoleReadOnly].get("/admin/payouts/lines.csv"); r.status != 200 || !strings.Contains(r.body, lines[0].ID+","+bs[0].ID) {
			t.Fatalf("lines CSV = %d %q", r.status, r.body)
		}
	})
}

// The settings form shows the current settings, refuses a bad value next to
// its field and saves a good one.
func TestPayoutSettingsForm(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a := newApp(t, db, "http://127.0.0.1")
		_, clients := a.roleClients()
		prog := a.partnerIn("settings", "s@example.com")
		finance := clients[tandem.RoleFinance]
		path := "/admin/programs/" + prog.ID + "/payouts"
		if r := finance.get(path); r.status != 200 || !strings.Contains(r.body, `name="net_days" type="number" value="0"`) {
			t.Fatalf("settings page = %d", r.status)
		}
		form := url.Values{"schedule": {"monthly"}, "day_of_month": {"31"}, "net_days": {"14"}, "minimum": {"50.00"}, "time_zone": {"Europe/Oslo"},
			"methods": {"paypal", "wise"}}
		if r := finance.post(path, form); r.status != 400 || !strings.Contains(r.body, "Pick a day from 1 to 28") {
			t.Fatalf("bad day = %d", r.status)
		}
		form.Set("day_of_month", "15")
		if r := finance.post(path, form); r.status != 303 {
			t.Fatalf("save = %d %s", r.status, r.body)
		}
		st, err := sqldb.NewPayoutService(db).Settings(context.Background(), prog.ID)
		if err != nil || st.Schedule != tandem.ScheduleMonthly || st.DayOfMonth != 15 || st.NetDays != 14 || st.Minimums["USD"] != 5000 ||
			st.TimeZone != "Europe/Oslo" || len(st.Methods) != 2 {
			t.Fatalf("saved: %+v %v", st, err)
		}
		if r := finance.get(path); !strings.Contains(r.body, `value="50.00"`) || !strings.Contains(r.body, "Next batch: 15 ") {
			t.Fatalf("settings after saving: %s", r.body)
		}
	})
}
