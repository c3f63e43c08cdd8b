package http_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandem-prm/tandem"
	tandemhttp "github.com/tandem-prm/tandem/http"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// Programs are created, read and changed through the API; a PATCH changes
// only what it sends and is audited as the API key.
func TestAPIPrograms(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		clock := newAPIClock(db)
		a := newApp(t, db, "https://partners.example.com")
		_, writeKey, read, write := apiKeys(t, a)
		ctx := context.Background()
		audit := sqldb.NewAuditService(db)

		res := apiCall(t, a, "POST", "/programs", write, map[string]any{
			"name": "Acme Partners", "slug": "acme", "type": "affiliate", "currency": "EUR", "headline": "Earn with Acme",
			"destination_url": "https://www.acme.example/pricing", "allowed_domains": []string{"shop.acme.example"},
		})
		created := decodeAs[tandemhttp.Program](t, res, http.StatusCreated)
		if !tandem.HasPrefix(created.ID, tandem.PrefixProgram) || res.header.Get("Location") != "https://partners.example.com/api/v1/programs/"+created.ID {
			t.Errorf("created %s at %q", created.ID, res.header.Get("Location"))
		}
		if created.Type != tandem.ProgramAffiliate || created.TimeZone != "UTC" || created.CookieDays != 30 || created.Attribution != tandem.LastClick ||
			created.Status != tandem.ProgramActive || !slices.Equal(created.AllowedDomains, []string{"www.acme.example", "shop.acme.example"}) ||
			!created.CreatedAt.Equal(clock.Now()) {
			t.Errorf("created = %+v", created)
		}
		var raw map[string]any
		_ = json.Unmarshal([]byte(res.body), &raw)
		for _, field := range []string{"created_at", "updated_at"} {
			if s, _ := raw[field].(string); !rfc3339UTC.MatchString(s) {
				t.Errorf("%s = %v; want RFC 3339 in UTC", field, raw[field])
			}
		}
		if got := decodeAs[tandemhttp.Program](t, apiCall(t, a, "GET", "/programs/"+created.ID, read, nil), http.StatusOK); !programsEqual(got, created) {
			t.Errorf("GET = %+v; want %+v", got, created)
		}

		// Bad input names the field, whether huma or the domain refuses it.
		valid := map[string]any{"name": "Beta", "slug": "beta", "type": "referral", "currency": "USD"}
		for _, c := range []struct {
			name   string
			change map[string]any
			status int
			field  string
		}{
			{"no slug", map[string]any{"slug": nil}, 400, "slug"},
			{"no name", map[string]any{"name": nil}, 400, "name"},
			{"empty name", map[string]any{"name": " "}, 400, "name"},
			{"bad slug", map[string]any{"slug": "Not A Slug"}, 400, "slug"},
			{"bad type", map[string]any{"type": "pyramid"}, 400, "type"},
			{"bad currency", map[string]any{"currency": "usd"}, 400, "currency"},
			{"long cookie", map[string]any{"cookie_days": 1000}, 400, "cookie_days"},
			{"unknown field", map[string]any{"colour": "red"}, 400, "colour"},
			{"taken slug", map[string]any{"slug": "acme"}, 409, "slug"},
		} {
			body := maps.Clone(valid)
			for k, v := range c.change {
				if v == nil {
					delete(body, k)
				} else {
					body[k] = v
				}
			}
			wantProblem(t, c.name, apiCall(t, a, "POST", "/programs", write, body), c.status, c.field)
		}

		// PATCH changes what it sends, nothing else, and the audit log
		// records the change as the API key's.
		clock.set(clock.Now().Add(time.Minute))
		res = apiCall(t, a, "PATCH", "/programs/"+created.ID, write, map[string]any{"headline": "Earn more with Acme", "cookie_days": 60, "auto_approve": true})
		patched := decodeAs[tandemhttp.Program](t, res, http.StatusOK)
		want := created
		want.Headline, want.CookieDays, want.AutoApprove, want.UpdatedAt = "Earn more with Acme", 60, true, clock.Now()
		if !programsEqual(patched, want) {
			t.Errorf("patched = %+v\nwant %+v", patched, want)
		}
		stored, _ := a.programs.FindProgramByID(ctx, created.ID)
		if stored.Headline != "Earn more with Acme" || stored.Name != "Acme Partners" || stored.Currency != "EUR" || len(stored.AllowedDomains) != 2 {
			t.Errorf("stored = %+v", stored)
		}
		entries, _ := audit.FindAuditEntries(ctx, tandem.AuditFilter{EntityID: created.ID})
		if len(entries) != 2 || entries[0].Action != "program.update" || entries[0].ActorKind != tandem.ActorAPIKey || entries[0].ActorID != writeKey.ID ||
			entries[1].Action != "program.create" || entries[1].ActorKind != tandem.ActorAPIKey {
			t.Fatalf("audit = %+v", entries)
		}
		var changed map[string]any
		_ = json.Unmarshal([]byte(entries[0].Detail), &changed)
		if keys := slices.Sorted(maps.Keys(changed)); !slices.Equal(keys, []string{"auto_approve", "cookie_days", "headline"}) {
			t.Errorf("audited changes = %v", keys)
		}
		// Sending nothing changes and audits nothing.
		if got := decodeAs[tandemhttp.Program](t, apiCall(t, a, "PATCH", "/programs/"+created.ID, write, map[string]any{}), http.StatusOK); !programsEqual(got, want) {
			t.Errorf("empty PATCH = %+v", got)
		}
		if entries, _ := audit.FindAuditEntries(ctx, tandem.AuditFilter{EntityID: created.ID}); len(entries) != 2 {
			t.Errorf("an empty PATCH was audited: %d entries", len(entries))
		}
		// null is the same as leaving a field out.
		if got := decodeAs[tandemhttp.Program](t, apiCall(t, a, "PATCH", "/programs/"+created.ID, write, map[string]any{"name": nil}), http.StatusOK); got.Name != "Acme Partners" {
			t.Errorf("PATCH name null = %+v", got)
		}
		// Clearing a list is sending it empty; the destination's host stays.
		cleared := decodeAs[tandemhttp.Program](t, apiCall(t, a, "PATCH", "/programs/"+created.ID, write, map[string]any{"allowed_domains": []string{}}), http.StatusOK)
		if !slices.Equal(cleared.AllowedDomains, []string{"www.acme.example"}) || cleared.Headline != "Earn more with Acme" {
			t.Errorf("cleared = %+v", cleared)
		}
		decodeAs[tandemhttp.Program](t, apiCall(t, a, "POST", "/programs", write, valid), http.StatusCreated)
		for _, c := range []struct {
			name   string
			body   map[string]any
			status int
			field  string
		}{
			{"cookie window", map[string]any{"cookie_days": 0}, 400, "cookie_days"},
			{"currency", map[string]any{"currency": "usd"}, 400, "currency"},
			{"status", map[string]any{"status": "deleted"}, 400, "status"},
			{"unknown field", map[string]any{"colour": "red"}, 400, "colour"},
			{"taken slug", map[string]any{"slug": "beta"}, 409, "slug"},
		} {
			wantProblem(t, "PATCH "+c.name, apiCall(t, a, "PATCH", "/programs/"+created.ID, write, c.body), c.status, c.field)
		}
		if got, _ := a.programs.FindProgramByID(ctx, created.ID); got.Slug != "acme" || got.CookieDays != 60 {
			t.Errorf("a refused PATCH changed the program: %+v", got)
		}

		// Unknown IDs are 404 problems on every operation under a program.
		unknown := tandem.NewID(tandem.PrefixProgram)
		for _, c := range []struct {
			method, path string
			body         any
		}{
			{"GET", "/programs/" + unknown, nil},
			{"GET", "/programs/nonsense", nil},
			{"PATCH", "/programs/" + unknown, map[string]any{"headline": "x"}},
			{"GET", "/programs/" + unknown + "/questions", nil},
			{"GET", "/programs/" + unknown + "/groups", nil},
			{"GET", "/programs/" + unknown + "/resources", nil},
			{"POST", "/programs/" + unknown + "/applications", map[string]any{"name": "Jane", "email": "jane@example.com"}},
		} {
			res := apiCall(t, a, c.method, c.path, write, c.body)
			if res.status != http.StatusNotFound || res.problem.Code != tandem.ENOTFOUND || res.problem.Detail != "Program not found." {
				t.Errorf("%s %s = %d %+v", c.method, c.path, res.status, res.problem)
			}
		}
	})
}

// programsEqual compares programs with their times as instants.
func programsEqual(a, b tandemhttp.Program) bool {
	ok := a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt)
	a.CreatedAt, a.UpdatedAt, b.CreatedAt, b.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	return ok && fmt.Sprint(a) == fmt.Sprint(b)
}

// The program list filters by status and type, and pages through a filter
// that matches few programs among many.
func TestAPIProgramFilters(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		clock := newAPIClock(db)
		a := newApp(t, db, "https://partners.example.com")
		_, _, read, _ := apiKeys(t, a)
		ctx := context.Background()
		var archived, affiliates, archivedAffiliates []string
		base := clock.Now()
		for i := range 130 {
			clock.set(base.Add(time.Duration(i) * time.Second))
			p := &tandem.Program{Name: fmt.Sprintf("Program %d", i), Slug: fmt.Sprintf("p%d", i), Type: tandem.ProgramReferral, Currency: "USD"}
			if i%4 == 0 {
				p.Status = tandem.ProgramArchived
			}
			// Affiliate programs are rare: the filter must read past
			// the first batch of programs to fill a page.
			if slices.Contains([]int{5, 50, 105, 108, 124}, i) {
				p.Type = tandem.ProgramAffiliate
			}
			if err := a.programs.CreateProgram(ctx, p); err != nil {
				t.Fatal(err)
			}
			if p.Status == tandem.ProgramArchived {
				archived = append(archived, p.ID)
			}
			if p.Type == tandem.ProgramAffiliate {
				affiliates = append(affiliates, p.ID)
				if p.Status == tandem.ProgramArchived {
					archivedAffiliates = append(archivedAffiliates, p.ID)
				}
			}
		}
		for _, c := range []struct {
			query string
			limit int
			want  []string
			pages int
		}{
			{"status=archived", 25, archived, 2},
			{"type=affiliate", 3, affiliates, 2},
			{"type=affiliate", 2, affiliates, 3},
			{"type=affiliate", 5, affiliates, 1},
			{"type=affiliate&status=archived", 25, archivedAffiliates, 1},
			{"type=strategic", 25, nil, 1},
		} {
			got, pages := walk(t, a, read, "/programs?"+c.query, c.limit)
			if !slices.Equal(got, c.want) || pages != c.pages {
				t.Errorf("%s in pages of %d: %d pages %v; want %d pages %v", c.query, c.limit, pages, got, c.pages, c.want)
			}
		}
	})
}

// A program's questions and groups are listed in their order.
func TestAPIQuestionsAndGroups(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a := newApp(t, db, "https://partners.example.com")
		_, _, read, _ := apiKeys(t, a)
		ctx := context.Background()
		recruiting := sqldb.NewRecruitingService(db)
		prog := &tandem.Program{Name: "Acme", Slug: "acme", Type: tandem.ProgramReferral, Currency: "USD"}
		if err := a.programs.CreateProgram(ctx, prog); err != nil {
			t.Fatal(err)
		}
		empty := apiCall(t, a, "GET", "/programs/"+prog.ID+"/questions", read, nil)
		if empty.status != 200 || !strings.HasSuffix(empty.body, `"data":[],"next_cursor":null,"has_more":false}`+"\n") {
			t.Errorf("no questions = %d %s", empty.status, empty.body)
		}
		q1 := &tandem.ApplicationQuestion{ProgramID: prog.ID, Label: "Where do you post?", Kind: tandem.QuestionText, Required: true}
		q2 := &tandem.ApplicationQuestion{ProgramID: prog.ID, Label: "Audience size", Kind: tandem.QuestionChoice, Choices: []string{"Under 1k", "1k or more"}}
		q3 := &tandem.ApplicationQuestion{ProgramID: prog.ID, Label: "Old question", Kind: tandem.QuestionURL}
		for _, q := range []*tandem.ApplicationQuestion{q1, q2, q3} {
			if err := recruiting.AddQuestion(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		if err := recruiting.ArchiveQuestion(ctx, prog.ID, q3.ID); err != nil {
			t.Fatal(err)
		}
		qs := decodeAs[tandemhttp.Page[tandemhttp.ApplicationQuestion]](t, apiCall(t, a, "GET", "/programs/"+prog.ID+"/questions", read, nil), http.StatusOK)
		if len(qs.Data) != 2 || qs.HasMore || qs.Data[0].ID != q1.ID || !qs.Data[0].Required || qs.Data[0].Choices == nil ||
			qs.Data[1].Kind != tandem.QuestionChoice || !slices.Equal(qs.Data[1].Choices, q2.Choices) {
			t.Errorf("questions = %+v", qs)
		}
		var groups []string
		for _, name := range []string{"Bronze", "Silver", "Gold"} {
			g, err := recruiting.CreateGroup(ctx, prog.ID, name)
			if err != nil {
				t.Fatal(err)
			}
			groups = append(groups, g.ID)
		}
		if got, pages := walk(t, a, read, "/programs/"+prog.ID+"/groups", 2); !slices.Equal(got, groups) || pages != 2 {
			t.Errorf("groups = %v in %d pages", got, pages)
		}
		gs := decodeAs[tandemhttp.Page[tandemhttp.PartnerGroup]](t, apiCall(t, a, "GET", "/programs/"+prog.ID+"/groups", read, nil), http.StatusOK)
		if len(gs.Data) != 3 || gs.Data[2].Name != "Gold" || gs.Data[2].ProgramID != prog.ID || gs.Data[2].Position != 2 || gs.Data[2].CreatedAt.IsZero() {
			t.Errorf("groups = %+v", gs.Data)
		}
	})
}
