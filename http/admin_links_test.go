package http_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/clicks"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// joinWithUser adds a partner with a portal password to an auto-approving
// program, and returns the partner's ID.
func (a *app) joinWithUser(programID, name, email string) string {
	a.t.Helper()
	ctx := context.Background()
	p := &tandem.Partner{Name: name, Email: email}
	if err := a.partners.CreatePartner(ctx, p); err != nil {
		a.t.Fatal(err)
	}
	if _, err := a.partners.JoinProgram(ctx, programID, p.ID); err != nil {
		a.t.Fatal(err)
	}
	pu, err := a.accounts.CreatePartnerUser(ctx, p.ID, email, name)
	if err != nil {
		a.t.Fatal(err)
	}
	if _, err := a.accounts.SetPassword(ctx, tandem.Principal{Kind: tandem.PrincipalPartner, ID: pu.ID}, "", "password of "+email); err != nil {
		a.t.Fatal(err)
	}
	return p.ID
}

// defaultLinkOf returns the partner's default link in the program.
func defaultLinkOf(t *testing.T, db *sqldb.DB, partnerID, programID string) *tandem.Link {
	t.Helper()
	ls, err := sqldb.NewLinkService(db).FindLinks(context.Background(), tandem.LinkFilter{PartnerID: partnerID, ProgramID: programID})
	if err != nil || len(ls) == 0 || !ls[0].IsDefault {
		t.Fatalf("default link of %s: %d links, %v", partnerID, len(ls), err)
	}
	return ls[0]
}

// chartCaption matches the click chart's summary.
var chartCaption = regexp.MustCompile(`<strong>(\d+)</strong> clicks \((\d+) unique\)`)

// caption returns the chart's "clicks (unique)" figures, or "none".
func caption(body string) string {
	if m := chartCaption.FindStringSubmatch(body); m != nil {
		return m[1] + "/" + m[2]
	}
	return "none"
}

func TestAdminLinkViews(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		a := newApp(t, db, "http://127.0.0.1")
		prog := a.partnerIn("acme", "jane@example.com")
		linkProgram(t, a, prog)
		jane := viewerPartnerID(t, a, "jane@example.com")
		ola := a.joinWithUser(prog.ID, "Ola Nordmann", "ola@example.com")
		janeLink, olaLink := defaultLinkOf(t, db, jane, prog.ID), defaultLinkOf(t, db, ola, prog.ID)

		// Clicks through the store: jane's yesterday (a visitor three
		// times within the hour, another once, a bot) and 40 days ago (two
		// visitors); ola's five days ago. Chart: 7 clicks, 5 unique.
		now := time.Now()
		click := func(l *tandem.Link, ago time.Duration, visitor string, bot bool) clicks.Click {
			return clicks.Click{ID: tandem.NewID(tandem.PrefixClick), LinkID: l.ID, At: now.Add(-ago), Visitor: visitor, Bot: bot}
		}
		day := 24 * time.Hour
		if err := sqldb.NewClickStore(db).InsertClicks(ctx, []clicks.Click{
			click(janeLink, 40*day, "v3", false), click(janeLink, 40*day, "v4", false),
			click(olaLink, 5*day, "v5", false),
			click(janeLink, day+30*time.Minute, "v1", false), click(janeLink, day+20*time.Minute, "v1", false),
			click(janeLink, day+10*time.Minute, "v1", false), click(janeLink, day, "v2", false), click(janeLink, day, "bot", true),
		}); err != nil {
			t.Fatal(err)
		}

		owner, err := a.accounts.CreateOwner(ctx, "owner@example.com", "Olivia", "password of owner@example.com")
		if err != nil {
			t.Fatal(err)
		}
		a.user(owner.ID, "ro@example.com", tandem.RoleReadOnly)
		ro := a.client()
		ro.signIn(tandem.PrincipalUser, "ro@example.com", "password of ro@example.com")

		// The program's links: both partners, 30-day and all-time unique clicks.
		page := "/admin/programs/" + prog.ID + "/links"
		r := ro.get(page)
		if r.status != 200 {
			t.Fatalf("program links = %d: %s", r.status, r.body)
		}
		for _, want := range []string{"Partner acme", "Ola Nordmann", janeLink.Code, olaLink.Code, "<td>2</td><td>4</td>", "<td>1</td><td>1</td>",
			"https://www.acme.example/", "<svg", "bot clicks left out: 1", `href="/admin/partners/` + ola + `/links"`} {
			if !strings.Contains(r.body, want) {
				t.Errorf("program links lack %q", want)
			}
		}
		if got := caption(r.body); got != "7/5" {
			t.Errorf("program chart = %s clicks/unique; want 7/5", got)
		}
		// Filtered by partner: only theirs, in the list and in the chart.
		r = ro.get(page + "?partner=" + ola)
		if r.status != 200 || strings.Contains(r.body, janeLink.Code) || !strings.Contains(r.body, olaLink.Code) || caption(r.body) != "1/1" {
			t.Errorf("ola's links = %d, shows jane's: %v, chart %s; want 1/1", r.status, strings.Contains(r.body, janeLink.Code), caption(r.body))
		}

		// The partner's admin page: the program, its links and its chart.
		r = ro.get("/admin/partners/" + jane + "/links")
		if r.status != 200 || !strings.Contains(r.body, prog.Name) || !strings.Contains(r.body, janeLink.Code) || strings.Contains(r.body, olaLink.Code) ||
			caption(r.body) != "6/4" {
			t.Errorf("jane's page = %d, chart %s; want her link only and 6/4", r.status, caption(r.body))
		}
		// The portal's links page charts the partner's own links only.
		me := a.client()
		me.signIn(tandem.PrincipalPartner, "ola@example.com", "password of ola@example.com")
		if r := me.get("/portal/programs/" + prog.ID + "/links"); r.status != 200 || caption(r.body) != "1/1" || !strings.Contains(r.body, "Clicks, last 30 days") {
			t.Errorf("ola's portal links = %d, chart %s; want 1/1", r.status, caption(r.body))
		}

		// Unknown IDs and bad cursors are refused.
		for path, want := range map[string]int{
			"/admin/programs/prg_nope/links": 404, "/admin/partners/prt_nope/links": 404, page + "?cursor=bm9wZQ": 400,
		} {
			if r := ro.get(path); r.status != want {
				t.Errorf("%s = %d; want %d", path, r.status, want)
			}
		}
	})
}

// A program's links come 50 a page; empty lists say so.
func TestAdminLinkPagesAndEmptyStates(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		a := newApp(t, db, "http://127.0.0.1")
		prog := a.partnerIn("acme", "jane@example.com")
		jane := viewerPartnerID(t, a, "jane@example.com")
		links := sqldb.NewLinkService(db)
		for i := range 54 { // and the default link: 55
			if _, err := links.CreateLink(ctx, jane, prog.ID, tandem.LinkInput{Label: fmt.Sprint("L", i)}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := a.accounts.CreateOwner(ctx, "owner@example.com", "Olivia", "password of owner@example.com"); err != nil {
			t.Fatal(err)
		}
		admin := a.client()
		admin.signIn(tandem.PrincipalUser, "owner@example.com", "password of owner@example.com")

		next := regexp.MustCompile(`cursor=([A-Za-z0-9_-]+)">Next page`)
		seen := map[string]bool{}
		codes := regexp.MustCompile(`<td><code>([A-Za-z0-9_-]+)</code></td>`)
		path, pages := "/admin/programs/"+prog.ID+"/links", 0
		for path != "" && pages < 5 {
			r := admin.get(path)
			if r.status != 200 {
				t.Fatalf("%s = %d", path, r.status)
			}
			pages++
			for _, m := range codes.FindAllStringSubmatch(r.body, -1) {
				seen[m[1]] = true
			}
			path = ""
			if m := next.FindStringSubmatch(r.body); m != nil {
				path = "/admin/programs/" + prog.ID + "/links?cursor=" + m[1]
			}
		}
		if pages != 2 || len(seen) != 55 {
			t.Errorf("walked %d pages, %d links; want 2 and 55", pages, len(seen))
		}
		// No clicks yet: the chart says so.
		if r := admin.get("/admin/programs/" + prog.ID + "/links"); !strings.Contains(r.body, "No clicks yet") {
			t.Error("the program without clicks shows no empty chart state")
		}

		// A program without partners, and a partner in no program.
		empty := &tandem.Program{Name: "Empty", Slug: "empty", Type: tandem.ProgramAffiliate, Currency: "USD"}
		if err := a.programs.CreateProgram(ctx, empty); err != nil {
			t.Fatal(err)
		}
		if r := admin.get("/admin/programs/" + empty.ID + "/links"); r.status != 200 || !strings.Contains(r.body, "No links yet") || !strings.Contains(r.body, "No clicks yet") {
			t.Errorf("empty program links = %d", r.status)
		}
		loner := &tandem.Partner{Name: "Loner", Email: "loner@example.com"}
		if err := a.partners.CreatePartner(ctx, loner); err != nil {
			t.Fatal(err)
		}
		if r := admin.get("/admin/partners/" + loner.ID + "/links"); r.status != http.StatusOK || !strings.Contains(r.body, "Not in any program") {
			t.Errorf("partner in no program = %d", r.status)
		}
	})
}
