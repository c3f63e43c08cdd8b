package http_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

func TestManageAProgram(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a := newApp(t, db, "http://127.0.0.1")
		ctx := context.Background()
		owner, _ := a.accounts.CreateOwner(ctx, "owner@example.com", "Olivia", "password of owner@example.com")
		a.user(owner.ID, "mia@example.com", tandem.RoleManager)
		a.user(owner.ID, "ro@example.com", tandem.RoleReadOnly)
		mia := a.client()
		mia.signIn(tandem.PrincipalUser, "mia@example.com", "password of mia@example.com")

		settings := url.Values{"name": {"Creators"}, "slug": {"creators"}, "type": {"affiliate"}, "currency": {"eur"},
			"time_zone": {"Europe/Oslo"}, "cookie_days": {"45"}, "attribution": {"first_click"}, "auto_approve": {"on"},
			"destination_url": {"https://shop.example.com/start"}, "allowed_domains": {"docs.example.com\nblog.example.com"},
			"headline": {"Earn 30%"}, "value_props": {"- Fast payouts\n- Great product"}, "ideal_partner": {"Tech creators"}}
		bad := url.Values{}
		for k, v := range settings {
			bad[k] = v
		}
		bad.Set("destination_url", "ftp://shop.example.com")
		if r := mia.post("/admin/programs", bad); r.status != 400 || !strings.Contains(r.body, `aria-describedby="e-destination_url"`) || !strings.Contains(r.body, `value="Creators"`) {
			t.Errorf("bad destination = %d; want the error next to the field and the form kept", r.status)
		}
		r := mia.post("/admin/programs", settings)
		if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/admin/programs/prg_") {
			t.Fatalf("create = %d %q %s", r.status, r.location, r.body)
		}
		id := strings.TrimPrefix(r.location, "/admin/programs/")
		p, err := a.programs.FindProgramByID(ctx, id)
		if err != nil || p.Currency != "EUR" || p.CookieDays != 45 || !p.AutoApprove || p.Attribution != tandem.FirstClick ||
			strings.Join(p.AllowedDomains, " ") != "shop.example.com docs.example.com blog.example.com" {
			t.Fatalf("stored program = %+v, %v", p, err)
		}
		settings.Set("cookie_days", "60")
		settings.Set("status", "active")
		if r := mia.post("/admin/programs/"+id, settings); r.status != http.StatusSeeOther {
			t.Errorf("update = %d", r.status)
		}
		if r := mia.get("/admin/programs/" + id); !strings.Contains(r.body, "Settings saved.") {
			t.Error("no confirmation after saving")
		}
		if r := mia.post("/admin/programs/"+id+"/groups", url.Values{"group_name": {"Gold"}}); r.status != http.StatusSeeOther {
			t.Errorf("add group = %d", r.status)
		}
		if r := mia.post("/admin/programs/"+id+"/questions", url.Values{"label": {"Main channel"}, "kind": {"choice"}, "choices": {"Blog\nYouTube"}, "required": {"on"}}); r.status != http.StatusSeeOther {
			t.Errorf("add question = %d", r.status)
		}
		if r := mia.post("/admin/programs/"+id+"/questions", url.Values{"label": {"Pick"}, "kind": {"choice"}, "choices": {"Only one"}}); r.status != 400 || !strings.Contains(r.body, "2 to 30 different choices") {
			t.Errorf("one-choice question = %d", r.status)
		}
		page := mia.get("/admin/programs/" + id)
		for _, want := range []string{"Gold", "Main channel", "Blog, YouTube", `value="60"`} {
			if !strings.Contains(page.body, want) {
				t.Errorf("program page lacks %q", want)
			}
		}
		// The audit log has the change, with what changed.
		entries, _ := sqldb.NewAuditService(db).FindAuditEntries(ctx, tandem.AuditFilter{EntityID: id})
		if len(entries) == 0 || entries[0].Action != "program.update" || !strings.Contains(entries[0].Detail, `"cookie_days"`) {
			t.Errorf("audit = %+v", entries)
		}
		// Read-only users see the page and may change nothing.
		ro := a.client()
		ro.signIn(tandem.PrincipalUser, "ro@example.com", "password of ro@example.com")
		if r := ro.get("/admin/programs/" + id); r.status != 200 || strings.Contains(r.body, "Save settings") {
			t.Errorf("read-only program page = %d, shows the save button: %v", r.status, strings.Contains(r.body, "Save settings"))
		}
		for _, path := range []string{"/admin/programs", "/admin/programs/" + id, "/admin/programs/" + id + "/groups", "/admin/programs/" + id + "/questions"} {
			if r := ro.post(path, settings); r.status != http.StatusForbidden {
				t.Errorf("read-only POST %s = %d; want 403", path, r.status)
			}
		}
	})
}

func TestApplyFromThePublicPageAndReview(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a := newApp(t, db, "http://127.0.0.1")
		ctx := context.Background()
		prog := &tandem.Program{Name: "Referral Partners", Slug: "refer", Type: tandem.ProgramReferral, Currency: "USD", Headline: "Earn 20%", ValueProps: "Fast payouts\nGreat support"}
		if err := a.programs.CreateProgram(ctx, prog); err != nil {
			t.Fatal(err)
		}
		rec := sqldb.NewRecruitingService(db)
		q := &tandem.ApplicationQuestion{ProgramID: prog.ID, Label: "Who do you know?", Kind: tandem.QuestionLongText, Required: true}
		if err := rec.AddQuestion(ctx, q); err != nil {
			t.Fatal(err)
		}
		gold, _ := rec.CreateGroup(ctx, prog.ID, "Gold")
		visitor := a.client()
		page := visitor.get("/p/refer")
		if page.status != 200 || !strings.Contains(page.body, "Earn 20%") || !strings.Contains(page.body, "<li>Great support</li>") || !strings.Contains(page.body, "Who do you know?") {
			t.Fatalf("public page = %d", page.status)
		}
		form := url.Values{"name": {"Kari Nordmann"}, "email": {"kari@nordmann.example"}, "kind": {"person"}, "website": {"https://kari.example"}}
		if r := visitor.post("/p/refer/apply", form); r.status != 400 || !strings.Contains(r.body, "Please answer this question.") || !strings.Contains(r.body, `value="Kari Nordmann"`) {
			t.Errorf("missing answer = %d; want the error next to the question and the form kept", r.status)
		}
		form.Set("answer_"+q.ID, "Dentists in Bergen")
		if r := visitor.post("/p/refer/apply", form); r.status != http.StatusCreated || !strings.Contains(r.body, "Thank you for applying") {
			t.Fatalf("apply = %d", r.status)
		}
		if r := visitor.post("/p/refer/apply", form); r.status != http.StatusConflict {
			t.Errorf("duplicate application = %d; want 409", r.status)
		}
		if r := visitor.get("/p/nope"); r.status != 404 {
			t.Errorf("unknown program page = %d", r.status)
		}

		owner, _ := a.accounts.CreateOwner(ctx, "owner@example.com", "Olivia", "password of owner@example.com")
		a.user(owner.ID, "fin@example.com", tandem.RoleFinance)
		admin := a.client()
		admin.signIn(tandem.PrincipalUser, "owner@example.com", "password of owner@example.com")
		queue := admin.get("/admin/applications")
		if !strings.Contains(queue.body, "Kari Nordmann") || !strings.Contains(queue.body, "Dentists in Bergen") || !strings.Contains(queue.body, "Who do you know?") {
			t.Fatalf("the queue does not show the application and its answers")
		}
		ms, _ := a.partners.FindMemberships(ctx, tandem.MembershipFilter{ProgramID: prog.ID})
		m := ms[0]
		// The suspend/reactivate route cannot approve an application behind review's back.
		if r := admin.post("/admin/memberships/"+m.ID+"/status", url.Values{"status": {"approved"}}); r.status != http.StatusSeeOther {
			t.Fatalf("status route = %d", r.status)
		}
		if got, _ := a.partners.FindMemberships(ctx, tandem.MembershipFilter{ID: m.ID}); got[0].Status != tandem.MembershipPending {
			t.Errorf("the status route approved an application: %s", got[0].Status)
		}
		fin := a.client()
		fin.signIn(tandem.PrincipalUser, "fin@example.com", "password of fin@example.com")
		if r := fin.post("/admin/memberships/"+m.ID+"/review", url.Values{"decision": {"approve"}}); r.status != http.StatusForbidden {
			t.Errorf("finance approves = %d; want 403", r.status)
		}
		if r := admin.post("/admin/memberships/"+m.ID+"/review", url.Values{"decision": {"approve"}, "group_id": {gold.ID}, "back": {"pending"}}); r.status != http.StatusSeeOther {
			t.Fatalf("approve = %d", r.status)
		}
		if got, _ := a.partners.FindMemberships(ctx, tandem.MembershipFilter{ID: m.ID}); got[0].Status != tandem.MembershipApproved || got[0].GroupID != gold.ID {
			t.Errorf("after approval: %+v", got[0])
		}
		if sqldbtest.LastLink(t, db, "kari@nordmann.example", "application_approved") == "" {
			t.Error("no approval email")
		}
		if r := admin.post("/admin/memberships/"+m.ID+"/status", url.Values{"status": {"suspended"}, "reason": {"Spam"}}); r.status != http.StatusSeeOther {
			t.Errorf("suspend = %d", r.status)
		}
		if r := admin.get("/admin/applications?status=suspended"); !strings.Contains(r.body, "Kari Nordmann") || !strings.Contains(r.body, "Reactivate") {
			t.Error("the suspended list does not show the partner with a reactivate button")
		}
		// The applicant got a portal user and can follow along by magic link.
		if err := a.accounts.SendSignInLink(ctx, tandem.PrincipalPartner, "kari@nordmann.example"); err != nil {
			t.Fatal(err)
		}
		if sqldbtest.LastLink(t, db, "kari@nordmann.example", "magic_link") == "" {
			t.Error("the applicant cannot sign in to the portal")
		}
	})
}

func TestPartnerTags(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a := newApp(t, db, "http://127.0.0.1")
		ctx := context.Background()
		owner, _ := a.accounts.CreateOwner(ctx, "owner@example.com", "Olivia", "password of owner@example.com")
		a.user(owner.ID, "fin@example.com", tandem.RoleFinance)
		p := &tandem.Partner{Name: "Kari", Email: "kari@example.com"}
		if err := a.partners.CreatePartner(ctx, p); err != nil {
			t.Fatal(err)
		}
		admin := a.client()
		admin.signIn(tandem.PrincipalUser, "owner@example.com", "password of owner@example.com")
		if r := admin.post("/admin/partners/"+p.ID+"/tags", url.Values{"tags": {" agency, Nordics ,agency,, nordics "}}); r.status != http.StatusSeeOther {
			t.Fatalf("set tags = %d", r.status)
		}
		if got, _ := a.partners.FindPartnerByID(ctx, p.ID); strings.Join(got.Tags, "|") != "agency|Nordics" {
			t.Errorf("tags = %q; want trimmed and de-duplicated", got.Tags)
		}
		if r := admin.get("/admin/partners"); !strings.Contains(r.body, `value="agency, Nordics"`) || !strings.Contains(r.body, "Tags of Kari saved.") {
			t.Error("the partner list does not show the saved tags")
		}
		if r := admin.post("/admin/partners/"+p.ID+"/tags", url.Values{"tags": {strings.Repeat("x", 41)}}); r.status != http.StatusSeeOther {
			t.Fatalf("long tag = %d", r.status)
		}
		if r := admin.get("/admin/partners"); !strings.Contains(r.body, "at most 40 characters") {
			t.Error("a refused tag is not explained")
		}
		fin := a.client()
		fin.signIn(tandem.PrincipalUser, "fin@example.com", "password of fin@example.com")
		if r := fin.post("/admin/partners/"+p.ID+"/tags", url.Values{"tags": {"x"}}); r.status != http.StatusForbidden {
			t.Errorf("finance sets tags = %d; want 403", r.status)
		}
	})
}
