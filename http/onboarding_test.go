package http_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

func TestOnboardingChecklist(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a := newApp(t, db, "http://127.0.0.1")
		ctx := context.Background()
		// Two partners approved ten days ago; one will finish, one stalls.
		db.Now = func() time.Time { return time.Now().Add(-10 * 24 * time.Hour) }
		prog := a.partnerIn("acme", "kari@example.com")
		otherProg := a.partnerIn("other", "ola@example.com")
		stalling := &tandem.Partner{Name: "Stalling Sam", Email: "sam@example.com"}
		if err := a.partners.CreatePartner(ctx, stalling); err != nil {
			t.Fatal(err)
		}
		if _, err := a.partners.JoinProgram(ctx, prog.ID, stalling.ID); err != nil {
			t.Fatal(err)
		}
		db.Now = tandem.SystemClock
		onb := sqldb.NewOnboardingService(db)
		call := &tandem.CustomStep{ProgramID: prog.ID, Title: "Book a kickoff call"}
		if err := onb.AddCustomStep(ctx, call); err != nil {
			t.Fatal(err)
		}
		if _, err := sqldb.NewAgreementService(db).PublishAgreement(ctx, prog.ID, "Partner terms", "Be nice."); err != nil {
			t.Fatal(err)
		}

		kari := a.client()
		kari.signIn(tandem.PrincipalPartner, "kari@example.com", "password of kari@example.com")
		page := kari.get("/portal/programs/" + prog.ID)
		// Approval made the default link, so the link step is done already.
		for _, want := range []string{"Getting started: 1 of 4 done", "Accept the partner agreement", "Complete your profile", "Book a kickoff call", "coming soon"} {
			if !strings.Contains(page.body, want) {
				t.Errorf("checklist lacks %q", want)
			}
		}
		if r := kari.post("/portal/profile", url.Values{"name": {"Kari"}, "website": {"nope"}}); r.status != 400 || !strings.Contains(r.body, `aria-describedby="e-website"`) {
			t.Errorf("bad website = %d", r.status)
		}
		if r := kari.post("/portal/profile", url.Values{"name": {"Kari"}, "website": {"https://kari.example"}, "audience": {"Dentists in Bergen"}}); r.status != http.StatusSeeOther {
			t.Errorf("save profile = %d", r.status)
		}
		if r := kari.post("/portal/programs/"+prog.ID+"/steps/"+call.ID+"/done", nil); r.status != http.StatusSeeOther {
			t.Errorf("tick step = %d", r.status)
		}
		if page := kari.get("/portal/programs/" + prog.ID); !strings.Contains(page.body, "Getting started: 3 of 4 done") {
			t.Error("the checklist does not count the profile and the step")
		}
		// Another program's partner cannot tick this program's step.
		ola := a.client()
		ola.signIn(tandem.PrincipalPartner, "ola@example.com", "password of ola@example.com")
		if r := ola.post("/portal/programs/"+prog.ID+"/steps/"+call.ID+"/done", nil); r.status != http.StatusNotFound {
			t.Errorf("other partner ticks = %d; want 404", r.status)
		}
		if r := ola.post("/portal/programs/"+otherProg.ID+"/steps/"+call.ID+"/done", nil); r.status != http.StatusNotFound {
			t.Errorf("step of another program = %d; want 404", r.status)
		}

		// The program manager sees who stalled, first.
		owner, _ := a.accounts.CreateOwner(ctx, "owner@example.com", "Olivia", "password of owner@example.com")
		a.user(owner.ID, "ro@example.com", tandem.RoleReadOnly)
		admin := a.client()
		admin.signIn(tandem.PrincipalUser, "owner@example.com", "password of owner@example.com")
		r := admin.get("/admin/programs/" + prog.ID + "/onboarding")
		if r.status != 200 || !strings.Contains(r.body, "2 partners have stalled") || strings.Index(r.body, "Stalling Sam") < 0 {
			t.Errorf("onboarding page = %d; want both unfinished partners as stalled", r.status)
		}
		if r := admin.post("/admin/programs/"+prog.ID+"/onboarding/steps", url.Values{"title": {""}}); r.status != 400 {
			t.Errorf("untitled step = %d", r.status)
		}
		ro := a.client()
		ro.signIn(tandem.PrincipalUser, "ro@example.com", "password of ro@example.com")
		if r := ro.post("/admin/programs/"+prog.ID+"/onboarding/steps", url.Values{"title": {"x"}}); r.status != http.StatusForbidden {
			t.Errorf("read-only adds a step = %d", r.status)
		}
	})
}
