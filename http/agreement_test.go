package http_test

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// The agreement routes of the admin, checked against every role.
func TestAgreementRoles(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a := newApp(t, db, "http://127.0.0.1")
		ctx := context.Background()
		_, clients := a.roleClients()
		prog := &tandem.Program{Name: "Roles", Slug: "roles", Type: tandem.ProgramReferral, Currency: "USD"}
		if err := a.programs.CreateProgram(ctx, prog); err != nil {
			t.Fatal(err)
		}
		path := "/admin/programs/" + prog.ID + "/agreement"

		const ok, redirect, forbidden = 200, 303, 403
		checkRoleMatrix(t, clients, []roleCase{
			{"GET", path, nil, [5]int{ok, ok, ok, ok, ok}},
			{"POST", path, url.Values{"title": {"Terms by %s"}, "body": {"Be fair."}}, [5]int{redirect, redirect, redirect, forbidden, forbidden}},
			{"GET", "/admin/programs/prg_doesnotexist/agreement", nil, [5]int{404, 404, 404, 404, 404}},
		})
	})
}

// emailsTo counts the outbox emails of the template to the address.
func emailsTo(t *testing.T, db *sqldb.DB, to, template string) int {
	t.Helper()
	var n int
	if err := db.InTx(context.Background(), func(tx *sql.Tx) error {
		return tx.QueryRow(`SELECT COUNT(*) FROM emails WHERE to_address = $1 AND template = $2`, to, template).Scan(&n)
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// A manager publishes terms; the partner is asked to accept them (email and
// banner), must tick the box and type a name, and is recorded with the IP
// address and browser; a new version asks again.
func TestAgreementFlow(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a := newApp(t, db, "http://127.0.0.1")
		ctx := context.Background()
		owner, err := a.accounts.CreateOwner(ctx, "owner@example.com", "Olivia", "password of owner@example.com")
		if err != nil {
			t.Fatal(err)
		}
		a.user(owner.ID, "manager@example.com", tandem.RoleManager)
		manager := a.client()
		manager.signIn(tandem.PrincipalUser, "manager@example.com", "password of manager@example.com")
		prog := a.partnerIn("fjordline", "ingrid@example.com")
		partner := a.client()
		partner.signIn(tandem.PrincipalPartner, "ingrid@example.com", "password of ingrid@example.com")
		admin, portal := "/admin/programs/"+prog.ID+"/agreement", "/portal/programs/"+prog.ID+"/agreement"
		const banner = "Program fjordline has new terms: please review and accept them."

		// Nothing published: no banner, empty states.
		if r := partner.get("/portal"); r.status != 200 || strings.Contains(r.body, "new terms") {
			t.Errorf("portal before any terms = %d, banner shown: %v", r.status, strings.Contains(r.body, "new terms"))
		}
		if r := partner.get(portal); r.status != 200 || !strings.Contains(r.body, "This program has not published an agreement.") {
			t.Errorf("portal agreement page before any terms = %d:\n%s", r.status, r.body)
		}
		if r := manager.get(admin); r.status != 200 || !strings.Contains(r.body, "No agreement yet") || !strings.Contains(r.body, "No acceptances yet") {
			t.Errorf("admin agreement page before any terms = %d:\n%s", r.status, r.body)
		}

		// A refused publish shows the error next to its field.
		r := manager.post(admin, url.Values{"title": {" "}, "body": {"Some terms."}})
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, `<div class="error" id="e-title">Title is required.</div>`) ||
			!strings.Contains(r.body, "Some terms.") {
			t.Errorf("publish without a title = %d:\n%s", r.status, r.body)
		}
		r = manager.post(admin, url.Values{"title": {"Terms"}, "body": {""}})
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, `<div class="error" id="e-body">Terms is required.</div>`) {
			t.Errorf("publish without terms = %d:\n%s", r.status, r.body)
		}

		r = manager.post(admin, url.Values{"title": {"Partner terms"}, "body": {"# Our terms\n\nRefer **happy customers** only. See [the guide](https://example.com/guide)."}})
		if r.status != http.StatusSeeOther || r.location != admin {
			t.Fatalf("publish = %d %q:\n%s", r.status, r.location, r.body)
		}
		if r := manager.get(admin); !strings.Contains(r.body, "Version 1 is published.") || !strings.Contains(r.body, "<strong>happy customers</strong>") ||
			!strings.Contains(r.body, "0 of 1") || !strings.Contains(r.body, "Test manager") {
			t.Errorf("admin page after publishing:\n%s", r.body)
		}
		if n := emailsTo(t, db, "ingrid@example.com", "agreement_updated"); n != 1 {
			t.Errorf("agreement emails to the partner = %d; want 1", n)
		}

		// The partner is asked on every portal page until they accept.
		for _, path := range []string{"/portal", "/portal/programs/" + prog.ID, "/portal/account"} {
			if r := partner.get(path); r.status != 200 || !strings.Contains(r.body, banner) {
				t.Errorf("%s = %d; banner missing", path, r.status)
			}
		}
		r = partner.get(portal)
		if r.status != 200 || !strings.Contains(r.body, "<h1>Our terms</h1>") || !strings.Contains(r.body, `href="https://example.com/guide"`) ||
			!strings.Contains(r.body, "I have read and accept these terms") || !strings.Contains(r.body, "Type your full name") {
			t.Fatalf("portal agreement page = %d:\n%s", r.status, r.body)
		}
		versionID := regexp.MustCompile(`name="version_id" value="(agv_[a-z2-7]{26})"`).FindStringSubmatch(r.body)
		if versionID == nil {
			t.Fatalf("no version_id in the form:\n%s", r.body)
		}
		v1 := versionID[1]

		// The box must be ticked and a name typed: each error is shown next to its field.
		r = partner.post(portal, url.Values{"version_id": {v1}})
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, `id="e-accept">Tick the box`) || !strings.Contains(r.body, `id="e-full_name">Type your full name`) {
			t.Errorf("accept with nothing = %d:\n%s", r.status, r.body)
		}
		r = partner.post(portal, url.Values{"version_id": {v1}, "accept": {"yes"}, "full_name": {" "}})
		if r.status != http.StatusBadRequest || strings.Contains(r.body, `id="e-accept"`) || !strings.Contains(r.body, `id="e-full_name">Type your full name`) ||
			!strings.Contains(r.body, "checked") {
			t.Errorf("accept without a name = %d:\n%s", r.status, r.body)
		}
		r = partner.post(portal, url.Values{"version_id": {v1}, "full_name": {"Ingrid Hansen"}})
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, `id="e-accept">Tick the box`) || !strings.Contains(r.body, `value="Ingrid Hansen"`) {
			t.Errorf("accept without ticking the box = %d:\n%s", r.status, r.body)
		}
		if r := partner.get("/portal"); !strings.Contains(r.body, banner) {
			t.Error("refused acceptances removed the banner")
		}

		r = partner.post(portal, url.Values{"version_id": {v1}, "accept": {"yes"}, "full_name": {"Ingrid Hansen"}}, "User-Agent", "TandemTest/1.0 (X11)")
		if r.status != http.StatusSeeOther || r.location != portal {
			t.Fatalf("accept = %d %q:\n%s", r.status, r.location, r.body)
		}
		r = partner.get(portal)
		if !strings.Contains(r.body, "Thank you: you accepted version 1 of the terms of Program fjordline.") ||
			!strings.Contains(r.body, "signed “Ingrid Hansen”") || strings.Contains(r.body, "I have read and accept") || strings.Contains(r.body, banner) {
			t.Errorf("portal agreement page after accepting:\n%s", r.body)
		}
		if r := partner.get("/portal"); strings.Contains(r.body, banner) {
			t.Error("the banner is still shown after accepting")
		}
		r = manager.get(admin)
		for _, want := range []string{"Partner fjordline", "ingrid@example.com", "Ingrid Hansen", "<code>127.0.0.1</code>", "TandemTest/1.0 (X11)", "1 of 1"} {
			if !strings.Contains(r.body, want) {
				t.Errorf("admin acceptances lack %q:\n%s", want, r.body)
			}
		}

		// Version 2 asks again; the old version can no longer be accepted.
		if r := manager.post(admin, url.Values{"title": {"Partner terms"}, "body": {"New rates."}}); r.status != http.StatusSeeOther {
			t.Fatalf("publish v2 = %d:\n%s", r.status, r.body)
		}
		if r := partner.get("/portal"); !strings.Contains(r.body, banner) {
			t.Error("no banner after version 2")
		}
		r = partner.post(portal, url.Values{"version_id": {v1}, "accept": {"yes"}, "full_name": {"Ingrid Hansen"}})
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "A newer version exists") || !strings.Contains(r.body, "New rates.") {
			t.Errorf("accept v1 after v2 = %d:\n%s", r.status, r.body)
		}
		v2 := regexp.MustCompile(`name="version_id" value="(agv_[a-z2-7]{26})"`).FindStringSubmatch(r.body)
		if v2 == nil || v2[1] == v1 {
			t.Fatalf("the page does not offer version 2:\n%s", r.body)
		}
		for range 2 { // accepting twice is the same as once
			r = partner.post(portal, url.Values{"version_id": {v2[1]}, "accept": {"yes"}, "full_name": {"Ingrid Hansen"}})
			if r.status != http.StatusSeeOther {
				t.Fatalf("accept v2 = %d:\n%s", r.status, r.body)
			}
		}
		if r := partner.get("/portal"); strings.Contains(r.body, banner) {
			t.Error("banner shown after accepting version 2")
		}
		if r := manager.get(admin); strings.Count(r.body, "TandemTest/1.0 (X11)") != 1 || strings.Count(r.body, "<td>Ingrid Hansen</td>") != 2 {
			t.Errorf("want two acceptances (v1 from TandemTest, v2 from Go):\n%s", r.body)
		}
	})
}

// Terms are Markdown, rendered without raw HTML or script links.
func TestAgreementTermsAreSafe(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a := newApp(t, db, "http://127.0.0.1")
		prog := a.partnerIn("xss", "p@example.com")
		body := strings.Join([]string{
			"# Terms",
			"<script>alert(1)</script>",
			"Click [x](javascript:alert(1)) or [y](JaVaScRiPt:alert(2)) or [z](&#106;avascript:alert(3)) or [t](java&#9;script:alert(4)).",
			"Also <javascript:alert(5)> and ![img](javascript:alert(6)) and [v](vbscript:msgbox(7)) and [d](data:text/html;base64,PHNjcmlwdD4=).",
			`Inline <img src=x onerror=alert(8)> and <a href="javascript:alert(9)">raw</a>.`,
			"A fine [link](https://example.com/ok) and [a relative one](/portal) and <mailto:partners@example.com>.",
		}, "\n\n")
		if _, err := sqldb.NewAgreementService(db).PublishAgreement(context.Background(), prog.ID, "Terms", body); err != nil {
			t.Fatal(err)
		}
		partner := a.client()
		partner.signIn(tandem.PrincipalPartner, "p@example.com", "password of p@example.com")
		r := partner.get("/portal/programs/" + prog.ID + "/agreement")
		if r.status != 200 {
			t.Fatalf("portal agreement page = %d", r.status)
		}
		executable := regexp.MustCompile(`(?i)<script>alert|onerror|(href|src)="\s*(javascript|vbscript|data):`)
		if m := executable.FindString(r.body); m != "" {
			t.Errorf("the terms come out executable (%q):\n%s", m, r.body)
		}
		for _, want := range []string{`<a href="https://example.com/ok"`, `<a href="/portal">a relative one</a>`, `<a href="mailto:partners@example.com">`, "Click x or y or z or t."} {
			if !strings.Contains(r.body, want) {
				t.Errorf("rendered terms lack %q:\n%s", want, r.body)
			}
		}
	})
}

// A partner sees only the terms of programs they are in: another program's
// pages are 404, for reading and for accepting.
func TestAgreementPortalIsolation(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a := newApp(t, db, "http://127.0.0.1")
		a.partnerIn("mine", "me@example.com")
		theirs := a.partnerIn("theirs", "them@example.com")
		v, err := sqldb.NewAgreementService(db).PublishAgreement(context.Background(), theirs.ID, "Their terms", "Secret rates.")
		if err != nil {
			t.Fatal(err)
		}
		me := a.client()
		me.signIn(tandem.PrincipalPartner, "me@example.com", "password of me@example.com")
		for _, id := range []string{theirs.ID, "prg_doesnotexist"} {
			path := "/portal/programs/" + id + "/agreement"
			if r := me.get(path); r.status != 404 || strings.Contains(r.body, "Secret rates") {
				t.Errorf("GET %s = %d; want 404 with nothing of theirs", path, r.status)
			}
			if r := me.post(path, url.Values{"version_id": {v.ID}, "accept": {"yes"}, "full_name": {"Me Myself"}}); r.status != 404 {
				t.Errorf("POST %s = %d; want 404", path, r.status)
			}
		}
		if as, err := sqldb.NewAgreementService(db).FindAcceptances(context.Background(), theirs.ID); err != nil || len(as) != 0 {
			t.Errorf("their acceptances = %v, %v; want none", as, err)
		}
		// Their new terms put no banner in my portal.
		if r := me.get("/portal"); strings.Contains(r.body, "new terms") {
			t.Error("another program's terms show in my banner")
		}
		// Business users are sent to the partner sign-in.
		if r := a.client().get("/portal/programs/" + theirs.ID + "/agreement"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/portal/login") {
			t.Errorf("signed-out visit = %d %q", r.status, r.location)
		}
	})
}
