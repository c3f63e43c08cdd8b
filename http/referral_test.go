package http_test

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// joinPartner adds a second approved partner with a portal user to the
// program, signed in on the returned client.
func (a *app) joinPartner(p *tandem.Program, email string) (*tandem.Partner, *client) {
	a.t.Helper()
	ctx := context.Background()
	partner := &tandem.Partner{Name: "Partner " + email, Email: email}
	if err := a.partners.CreatePartner(ctx, partner); err != nil {
		a.t.Fatal(err)
	}
	if _, err := a.partners.JoinProgram(ctx, p.ID, partner.ID); err != nil {
		a.t.Fatal(err)
	}
	pu, err := a.accounts.CreatePartnerUser(ctx, partner.ID, email, "User "+email)
	if err != nil {
		a.t.Fatal(err)
	}
	if _, err := a.accounts.SetPassword(ctx, tandem.Principal{Kind: tandem.PrincipalPartner, ID: pu.ID}, "", "password of "+email); err != nil {
		a.t.Fatal(err)
	}
	c := a.client()
	c.signIn(tandem.PrincipalPartner, email, "password of "+email)
	return partner, c
}

// referralsOf returns the stored referrals of a partner, oldest first.
func referralsOf(t *testing.T, db *sqldb.DB, partnerID string) []*tandem.Referral {
	t.Helper()
	rs, err := sqldb.NewReferralService(db).FindReferrals(context.Background(), tandem.ReferralFilter{PartnerID: partnerID})
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func countEmailsTo(t *testing.T, db *sqldb.DB, template, to string) int {
	t.Helper()
	var n int
	if err := db.InTx(context.Background(), func(tx *sql.Tx) error {
		return tx.QueryRow(`SELECT COUNT(*) FROM emails WHERE template = $1 AND to_address = $2`, template, to).Scan(&n)
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestLeadForm(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		a := newApp(t, db, "http://127.0.0.1")
		prog := a.partnerIn("acme", "jane@partner.example")
		a.partnerIn("other", "omar@partner.example")
		jane := viewerPartnerID(t, a, "jane@partner.example")
		link, err := sqldb.NewLinkService(db).CreateLink(ctx, jane, prog.ID, tandem.LinkInput{Channel: tandem.ChannelNewsletter})
		if err != nil {
			t.Fatal(err)
		}
		page := "/p/acme/r/" + link.Code
		visitor := a.client()
		if r := visitor.get(page); r.status != 200 || !strings.Contains(r.body, `name="website"`) || !strings.Contains(r.body, "Program acme") {
			t.Fatalf("lead form = %d", r.status)
		}
		for _, path := range []string{"/p/acme/r/nope1234", "/p/other/r/" + link.Code, "/p/missing/r/" + link.Code} {
			if r := visitor.get(path); r.status != 404 {
				t.Errorf("%s = %d; want 404", path, r.status)
			}
		}

		// Bad input: the message is next to the field, nothing is stored.
		r := visitor.post(page, url.Values{"name": {"Lee"}, "email": {"not-an-email"}})
		if r.status != 400 || !strings.Contains(r.body, "Email must be a valid address") || !strings.Contains(r.body, `value="Lee"`) {
			t.Errorf("bad email = %d", r.status)
		}
		// A bot fills the hidden field: thanked, nothing stored.
		if r := visitor.post(page, url.Values{"name": {"Bot"}, "email": {"bot@spam.example"}, "website": {"http://spam.example"}}); r.status != 201 || !strings.Contains(r.body, "Thank you") {
			t.Errorf("honeypot = %d", r.status)
		}
		if n := len(referralsOf(t, db, jane)); n != 0 {
			t.Fatalf("%d referrals stored from bad input and a bot", n)
		}
		// A cross-site post is refused.
		if r := visitor.post(page, url.Values{"name": {"X"}, "email": {"x@buyer.example"}}, "Sec-Fetch-Site", "cross-site"); r.status != 403 {
			t.Errorf("cross-site post = %d; want 403", r.status)
		}

		// The happy path.
		r = visitor.post(page, url.Values{"name": {"Lee Buyer"}, "email": {"Lee@Buyer.example"}, "company": {"Buyer Inc"}, "message": {"Call me"}})
		if r.status != 201 || !strings.Contains(r.body, "Thank you") {
			t.Fatalf("lead = %d %s", r.status, r.body)
		}
		refs := referralsOf(t, db, jane)
		if len(refs) != 1 || refs[0].Source != tandem.ReferralFromLeadForm || refs[0].LinkID != link.ID || refs[0].Email != "lee@buyer.example" ||
			refs[0].Notes != "Call me" || refs[0].Status != tandem.ReferralNew {
			t.Fatalf("stored %+v", refs)
		}
		if l, err := sqldb.NewLinkService(db).FindLinkByID(ctx, link.ID); err != nil || l.Stats.Referrals != 1 {
			t.Errorf("the link counts %d referrals (%v); want 1", l.Stats.Referrals, err)
		}
		if n := countEmailsTo(t, db, "referral_new", "jane@partner.example"); n != 1 {
			t.Errorf("%d referral_new emails to the partner; want 1", n)
		}
		// The same visitor again: thanked, stored once.
		if r := visitor.post(page, url.Values{"name": {"Lee Buyer"}, "email": {"lee@buyer.example"}}); r.status != 201 || len(referralsOf(t, db, jane)) != 1 {
			t.Errorf("again = %d", r.status)
		}
		// Rate limit: 10 posts a window from one address (4 so far).
		for i := range 6 {
			visitor.post(page, url.Values{"name": {"N"}, "email": {"n" + string(rune('a'+i)) + "@buyer.example"}})
		}
		before := len(referralsOf(t, db, jane))
		if r := visitor.post(page, url.Values{"name": {"Late"}, "email": {"late@buyer.example"}}); r.status != http.StatusTooManyRequests || !strings.Contains(r.body, "Too many attempts") {
			t.Errorf("over the limit = %d", r.status)
		}
		if len(referralsOf(t, db, jane)) != before {
			t.Error("a rate-limited lead was stored")
		}
	})
}

func TestPortalReferrals(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a := newApp(t, db, "http://127.0.0.1")
		prog := a.partnerIn("acme", "jane@partner.example")
		prog.ProtectionDays = 60
		if err := a.programs.UpdateProgram(context.Background(), prog); err != nil {
			t.Fatal(err)
		}
		elsewhere := a.partnerIn("elsewhere", "else@partner.example")
		jane := viewerPartnerID(t, a, "jane@partner.example")
		me := a.client()
		me.signIn(tandem.PrincipalPartner, "jane@partner.example", "password of jane@partner.example")
		bob, bobClient := a.joinPartner(prog, "bob@partner.example")

		if r := me.get("/portal/referrals"); r.status != 200 || !strings.Contains(r.body, "No referrals yet") || !strings.Contains(r.body, "Register a deal") {
			t.Fatalf("empty list = %d", r.status)
		}
		// Refused: a bad amount, a bad email, a program that is not theirs. Nothing stored.
		for _, tt := range []struct {
			form url.Values
			want string
		}{
			{url.Values{"program_id": {prog.ID}, "email": {"lee@buyer.example"}, "expected_value": {"lots"}}, "Enter an amount such as 1500"},
			{url.Values{"program_id": {prog.ID}, "email": {"lee"}}, "Email must be a valid address"},
			{url.Values{"program_id": {elsewhere.ID}, "email": {"lee@buyer.example"}}, "Choose one of your programs."},
		} {
			if r := me.post("/portal/referrals", tt.form); r.status != 400 || !strings.Contains(r.body, tt.want) {
				t.Errorf("register %v = %d; want 400 with %q", tt.form, r.status, tt.want)
			}
		}
		if n := len(referralsOf(t, db, jane)); n != 0 {
			t.Fatalf("%d referrals stored by refused registrations", n)
		}

		r := me.post("/portal/referrals", url.Values{"program_id": {prog.ID}, "company": {"Buyer Inc"}, "name": {"Lee"},
			"email": {"lee@buyer.example"}, "expected_value": {"1,500.50"}, "notes": {"Met at a fair"}})
		if r.status != 303 || !strings.HasPrefix(r.location, "/portal/referrals/ref_") {
			t.Fatalf("register = %d %q %s", r.status, r.location, r.body)
		}
		mine := r.location
		if r := me.get(mine); r.status != 200 || !strings.Contains(r.body, "1500.50 USD") || !strings.Contains(r.body, "Deal registered") || !strings.Contains(r.body, "created") {
			t.Errorf("detail = %d", r.status)
		}
		if r := me.post("/portal/referrals", url.Values{"program_id": {prog.ID}, "email": {"lee@buyer.example"}}); r.status != 409 || !strings.Contains(r.body, "already registered lee@buyer.example") {
			t.Errorf("twice = %d", r.status)
		}
		// Bob registers the same contact: a duplicate that does not name Jane.
		r = bobClient.post("/portal/referrals", url.Values{"program_id": {prog.ID}, "email": {"lee@buyer.example"}})
		if r.status != 303 {
			t.Fatalf("bob registers = %d", r.status)
		}
		if r := bobClient.get(r.location); !strings.Contains(r.body, "duplicate") || !strings.Contains(r.body, "already registered by another partner") || strings.Contains(r.body, "Partner acme") {
			t.Errorf("bob's duplicate page does not explain, or names Jane: %d %s", r.status, r.body)
		}
		// Isolation: Bob cannot see Jane's referral, nor list it.
		if r := bobClient.get(mine); r.status != 404 || strings.Contains(r.body, "Met at a fair") {
			t.Errorf("bob opens jane's referral = %d", r.status)
		}
		if r := bobClient.get("/portal/referrals"); strings.Contains(r.body, mine) {
			t.Error("bob's list shows jane's referral")
		}
		if len(referralsOf(t, db, bob.ID)) != 1 {
			t.Error("bob's duplicate was not stored")
		}

		// A manager rejects Jane's referral; she sees why and is emailed.
		_, clients := a.roleClients()
		manager := clients[tandem.RoleManager]
		id := strings.TrimPrefix(mine, "/portal/referrals/")
		if r := manager.post("/admin/referrals/"+id+"/status", url.Values{"status": {"rejected"}}); r.status != 400 || !strings.Contains(r.body, "Reason is required") {
			t.Errorf("reject without a reason = %d", r.status)
		}
		if r := manager.post("/admin/referrals/"+id+"/status", url.Values{"status": {"rejected"}, "reason": {"Not our target audience."}}); r.status != 303 {
			t.Fatalf("reject = %d %s", r.status, r.body)
		}
		if r := me.get(mine); !strings.Contains(r.body, "Not our target audience.") || !strings.Contains(r.body, "by the program team") {
			t.Errorf("jane does not see the rejection and its history")
		}
		if n := countEmailsTo(t, db, "referral_status", "jane@partner.example"); n != 1 {
			t.Errorf("%d status emails to jane; want 1", n)
		}

		// The pipeline: counts per status, filters, the referral's page.
		pipeline := clients[tandem.RoleReadOnly].get("/admin/referrals")
		if pipeline.status != 200 || !strings.Contains(pipeline.body, `href="/admin/referrals/`+id+`"`) || !strings.Contains(pipeline.body, "Partner acme") {
			t.Errorf("pipeline = %d", pipeline.status)
		}
		if r := manager.get("/admin/referrals?status=duplicate"); strings.Contains(r.body, id) || !strings.Contains(r.body, "Protected by other") {
			t.Error("the duplicate filter shows the rejected referral, or not the duplicate")
		}
		if r := manager.get("/admin/referrals?partner=" + bob.ID + "&status=new"); !strings.Contains(r.body, "No referrals match") {
			t.Errorf("no empty state for a filter that matches nothing: %s", r.body)
		}
		if r := clients[tandem.RoleReadOnly].get("/admin/referrals/" + id); r.status != 200 || strings.Contains(r.body, "Change the status") || !strings.Contains(r.body, "Not our target audience.") {
			t.Errorf("read-only referral page = %d", r.status)
		}
	})
}

func TestEmptyPipeline(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a := newApp(t, db, "http://127.0.0.1")
		_, clients := a.roleClients()
		if r := clients[tandem.RoleOwner].get("/admin/referrals"); r.status != 200 || !strings.Contains(r.body, "No referrals yet") {
			t.Errorf("empty pipeline = %d", r.status)
		}
	})
}

func TestProgramProtectionForm(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a := newApp(t, db, "http://127.0.0.1")
		_, clients := a.roleClients()
		owner := clients[tandem.RoleOwner]
		if r := owner.get("/admin/programs/new"); !strings.Contains(r.body, `name="protection_days" type="text" value="60"`) {
			t.Error("the new program form does not offer the 60-day default")
		}
		form := url.Values{"name": {"Acme"}, "slug": {"acme"}, "type": {"referral"}, "currency": {"USD"}, "cookie_days": {"30"}, "protection_days": {"400"}}
		if r := owner.post("/admin/programs", form); r.status != 400 || !strings.Contains(r.body, "Protection window must be between 0 and 365 days.") {
			t.Errorf("400 days = %d", r.status)
		}
		form.Set("protection_days", "45")
		if r := owner.post("/admin/programs", form); r.status != 303 {
			t.Fatalf("45 days = %d", r.status)
		}
		ps, err := a.programs.FindPrograms(context.Background(), tandem.ProgramFilter{Slug: "acme"})
		if err != nil || len(ps) != 1 || ps[0].ProtectionDays != 45 {
			t.Errorf("stored %v %v", ps, err)
		}
	})
}
