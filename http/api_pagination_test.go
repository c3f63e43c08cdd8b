package http_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandem-prm/tandem"
	tandemhttp "github.com/tandem-prm/tandem/http"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// apiClock is a clock the test moves by hand; db.Now reads it from the
// server's goroutines, hence the lock.
type apiClock struct {
	mu  sync.Mutex
	now time.Time
}

// newAPIClock makes db use a clock that starts at a fixed time. Call it
// before newApp: nothing may read db.Now while it is being set.
func newAPIClock(db *sqldb.DB) *apiClock {
	c := &apiClock{now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	db.Now = c.Now
	return c
}

func (c *apiClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *apiClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// tick sets the clock for the i-th of 60 items of a list: the first 30 a
// second apart, the other 30 in three groups of 10 that share one
// created_at, so that only the ID orders them.
func (c *apiClock) tick(base time.Time, i int) {
	step := i
	if i >= 30 {
		step = 30 + (i-30)/10
	}
	c.set(base.Add(time.Duration(step) * time.Second))
}

// apiKeys creates an owner and a read and a write API key.
func apiKeys(t *testing.T, a *app) (read, write *tandem.APIKey, readSecret, writeSecret string) {
	t.Helper()
	ctx := context.Background()
	owner, err := a.accounts.CreateOwner(ctx, "owner@example.com", "Olivia", "the owners password")
	if err != nil {
		t.Fatal(err)
	}
	if read, readSecret, err = a.accounts.CreateAPIKey(ctx, owner.ID, "Reporting", tandem.ScopeRead); err != nil {
		t.Fatal(err)
	}
	if write, writeSecret, err = a.accounts.CreateAPIKey(ctx, owner.ID, "CRM sync", tandem.ScopeWrite); err != nil {
		t.Fatal(err)
	}
	return read, write, readSecret, writeSecret
}

// apiResult is what an API call got.
type apiResult struct {
	status  int
	body    string
	header  http.Header
	problem tandemhttp.Problem
}

// apiCall calls the API at path (under /api/v1) with the key and a JSON
// body (nil for none). Every error must be a well-formed problem document.
func apiCall(t *testing.T, a *app, method, path, secret string, body any) apiResult {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.srv.URL+"/api/v1"+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	res := apiResult{status: resp.StatusCode, body: string(b), header: resp.Header}
	if res.status >= 400 {
		if err := json.Unmarshal(b, &res.problem); err != nil {
			t.Fatalf("%s %s = %d with a body that is not a problem: %s", method, path, res.status, b)
		}
		p := res.problem
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") ||
			p.Status != res.status || p.Code == "" || p.Type != "urn:tandem:problem:"+p.Code || p.Title == "" || p.Detail == "" || p.RequestID == "" {
			t.Errorf("%s %s = %d, a malformed problem (%s): %s", method, path, res.status, ct, b)
		}
	}
	return res
}

// decodeAs decodes an API result's body, which must have the status.
func decodeAs[T any](t *testing.T, res apiResult, status int) T {
	t.Helper()
	var v T
	if res.status != status {
		t.Fatalf("status = %d; want %d: %s", res.status, status, res.body)
	}
	if err := json.Unmarshal([]byte(res.body), &v); err != nil {
		t.Fatalf("decode %T: %v: %s", v, err, res.body)
	}
	return v
}

// wantProblem checks that a call was refused with the status and the field.
func wantProblem(t *testing.T, what string, res apiResult, status int, field string) {
	t.Helper()
	if res.status != status || res.problem.Field != field {
		t.Errorf("%s = %d, field %q; want %d, field %q: %s", what, res.status, res.problem.Field, status, field, res.body)
	}
}

// walk reads a whole list page by page, checking each page's envelope, and
// returns the IDs in the order the API gave them and how many pages it took.
func walk(t *testing.T, a *app, secret, path string, limit int) (ids []string, pages int) {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	cursor := ""
	for {
		p := fmt.Sprintf("%s%slimit=%d", path, sep, limit)
		if cursor != "" {
			p += "&cursor=" + url.QueryEscape(cursor)
		}
		res := apiCall(t, a, "GET", p, secret, nil)
		page := decodeAs[struct {
			Data []struct {
				ID string `json:"id"`
			} `json:"data"`
			NextCursor *string `json:"next_cursor"`
			HasMore    bool    `json:"has_more"`
		}](t, res, http.StatusOK)
		pages++
		if page.Data == nil || page.HasMore != (page.NextCursor != nil) || (page.HasMore && len(page.Data) != limit) {
			t.Fatalf("GET %s: a malformed page: %s", p, res.body)
		}
		if !page.HasMore && !strings.Contains(res.body, `"next_cursor":null`) {
			t.Errorf("GET %s: the last page's next_cursor is not null: %s", p, res.body)
		}
		for _, d := range page.Data {
			ids = append(ids, d.ID)
		}
		if !page.HasMore {
			return ids, pages
		}
		if pages > 100 {
			t.Fatalf("GET %s: more than 100 pages", path)
		}
		cursor = *page.NextCursor
	}
}

// sortKey is an item's place in a list, to compute the order a list must have.
type sortKey struct {
	position int
	created  time.Time
	id       string
}

func sortedIDs(keys []sortKey) []string {
	keys = slices.Clone(keys)
	slices.SortFunc(keys, func(a, b sortKey) int {
		return cmp.Or(cmp.Compare(a.position, b.position), a.created.Compare(b.created), cmp.Compare(a.id, b.id))
	})
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.id
	}
	return ids
}

// checkWalk walks a list in pages of 25 and checks that it returned every
// item once, in order: 60 items are pages of 25, 25 and 10.
func checkWalk(t *testing.T, a *app, secret, path string, keys []sortKey) {
	t.Helper()
	want := sortedIDs(keys)
	got, pages := walk(t, a, secret, path, 25)
	seen := map[string]bool{}
	for _, id := range got {
		if seen[id] {
			t.Errorf("GET %s: %s came twice", path, id)
		}
		seen[id] = true
	}
	if pages != 3 || !slices.Equal(got, want) {
		t.Errorf("GET %s: %d pages, %d items; want 3 pages, %d items in order\n got %v\nwant %v", path, pages, len(got), len(want), got, want)
	}
}

// Every list walks in pages of 25 without duplicates or gaps, in its order,
// with the ID breaking ties between items created in the same millisecond.
func TestAPIPagination(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		clock := newAPIClock(db)
		a := newApp(t, db, "https://partners.example.com")
		_, _, read, _ := apiKeys(t, a)
		ctx := context.Background()
		recruiting, resources := sqldb.NewRecruitingService(db), sqldb.NewResourceService(db)

		var programs, partners, memberships, library []sortKey
		base := time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)
		var first *tandem.Program
		for i := range 60 {
			clock.tick(base, i)
			p := &tandem.Program{Name: fmt.Sprintf("Program %02d", i), Slug: fmt.Sprintf("program-%02d", i), Type: tandem.ProgramReferral, Currency: "USD"}
			if err := a.programs.CreateProgram(ctx, p); err != nil {
				t.Fatal(err)
			}
			programs = append(programs, sortKey{created: p.CreatedAt, id: p.ID})
			if first == nil {
				first = p
			}
		}
		base = base.Add(time.Hour)
		var partnerIDs []string
		for i := range 60 {
			clock.tick(base, i)
			p := &tandem.Partner{Name: fmt.Sprintf("Partner %02d", i), Email: fmt.Sprintf("partner%02d@example.com", i)}
			if err := a.partners.CreatePartner(ctx, p); err != nil {
				t.Fatal(err)
			}
			partners = append(partners, sortKey{created: p.CreatedAt, id: p.ID})
			partnerIDs = append(partnerIDs, p.ID)
		}
		base = base.Add(time.Hour)
		for i, id := range partnerIDs {
			clock.tick(base, i)
			m, err := a.partners.JoinProgram(ctx, first.ID, id)
			if err != nil {
				t.Fatal(err)
			}
			memberships = append(memberships, sortKey{created: m.CreatedAt, id: m.ID})
		}
		// The library is in position order: the first 30 in reverse order of
		// creation, the other 30 sharing one position and, by tens, one time.
		base = base.Add(time.Hour)
		for i := range 60 {
			clock.tick(base, i)
			position := 100 - i
			if i >= 30 {
				position = 7
			}
			r := &tandem.Resource{ProgramID: first.ID, Kind: tandem.ResourcePersona, Title: fmt.Sprintf("Persona %02d", i), Body: "Who buys.", Position: position}
			if err := resources.CreateResource(ctx, r, nil); err != nil {
				t.Fatal(err)
			}
			library = append(library, sortKey{position: r.Position, created: r.CreatedAt, id: r.ID})
		}
		clock.set(base.Add(time.Hour))

		checkWalk(t, a, read, "/programs", programs)
		checkWalk(t, a, read, "/partners", partners)
		checkWalk(t, a, read, "/memberships", memberships)
		checkWalk(t, a, read, "/memberships?program_id="+first.ID, memberships)
		checkWalk(t, a, read, "/programs/"+first.ID+"/resources", library)

		// Without a limit, a page has 25 items.
		page := decodeAs[tandemhttp.Page[tandemhttp.Program]](t, apiCall(t, a, "GET", "/programs", read, nil), http.StatusOK)
		if len(page.Data) != 25 || !page.HasMore || page.NextCursor == nil {
			t.Errorf("default page: %d items, has_more %v", len(page.Data), page.HasMore)
		}
		// A page started while items are added still goes on after its
		// last item: keys, not offsets.
		clock.set(base.Add(2 * time.Hour))
		if err := a.programs.CreateProgram(ctx, &tandem.Program{Name: "Late", Slug: "late", Type: tandem.ProgramReferral, Currency: "USD"}); err != nil {
			t.Fatal(err)
		}
		next := decodeAs[tandemhttp.Page[tandemhttp.Program]](t, apiCall(t, a, "GET", "/programs?limit=25&cursor="+*page.NextCursor, read, nil), http.StatusOK)
		if len(next.Data) != 25 || next.Data[0].ID != sortedIDs(programs)[25] {
			t.Errorf("second page after an insert starts at %v", next.Data[0].ID)
		}

		// Short lists are paged the same way, in memory.
		for i := range 5 {
			if _, err := recruiting.CreateGroup(ctx, first.ID, fmt.Sprintf("Tier %d", i)); err != nil {
				t.Fatal(err)
			}
			if err := recruiting.AddQuestion(ctx, &tandem.ApplicationQuestion{ProgramID: first.ID, Label: fmt.Sprintf("Question %d", i), Kind: tandem.QuestionText}); err != nil {
				t.Fatal(err)
			}
		}
		for _, list := range []string{"groups", "questions"} {
			ids, pages := walk(t, a, read, "/programs/"+first.ID+"/"+list, 2)
			if pages != 3 || len(ids) != 5 || len(slices.Compact(slices.Sorted(slices.Values(ids)))) != 5 {
				t.Errorf("%s: %d pages, %v", list, pages, ids)
			}
		}
	})
}

// A cursor or a limit that is not one the API gives is a 400 naming it.
func TestAPIBadPaging(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a := newApp(t, db, "https://partners.example.com")
		_, _, read, _ := apiKeys(t, a)
		ctx := context.Background()
		prog := a.partnerIn("acme", "jane@example.com")
		p2 := a.partnerIn("beta", "joe@example.com")
		memberships := decodeAs[tandemhttp.Page[tandemhttp.Membership]](t, apiCall(t, a, "GET", "/memberships?limit=1", read, nil), http.StatusOK)
		if memberships.NextCursor == nil {
			t.Fatal("no next cursor")
		}
		b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
		for name, cursor := range map[string]string{
			"not base64":          "!!!",
			"padded":              b64("1:" + prog.ID + "="),
			"no key":              b64("hello"),
			"not a number":        b64("x:" + prog.ID),
			"not canonical":       b64("0001:" + prog.ID),
			"too many parts":      b64("1:2:" + prog.ID),
			"another list's":      *memberships.NextCursor,
			"not an ID":           b64("1:prg_short"),
			"standard base64 '+'": "MTo+cHJn",
		} {
			wantProblem(t, "cursor "+name, apiCall(t, a, "GET", "/programs?cursor="+url.QueryEscape(cursor), read, nil), http.StatusBadRequest, "cursor")
		}
		// The list the cursor came from takes it; the same cursor is refused by resources (three-part keys).
		if res := apiCall(t, a, "GET", "/memberships?limit=1&cursor="+*memberships.NextCursor, read, nil); res.status != 200 {
			t.Errorf("own cursor = %d", res.status)
		}
		wantProblem(t, "resources with a two-part cursor", apiCall(t, a, "GET", "/programs/"+prog.ID+"/resources?cursor="+b64("1:"+p2.ID), read, nil), http.StatusBadRequest, "cursor")
		for _, limit := range []string{"0", "101", "-1", "ten"} {
			wantProblem(t, "limit "+limit, apiCall(t, a, "GET", "/partners?limit="+limit, read, nil), http.StatusBadRequest, "limit")
		}
		wantProblem(t, "unknown status", apiCall(t, a, "GET", "/memberships?status=maybe", read, nil), http.StatusBadRequest, "status")
		wantProblem(t, "unknown type", apiCall(t, a, "GET", "/programs?type=pyramid", read, nil), http.StatusBadRequest, "type")

		// The stores refuse a malformed key themselves, on the same field.
		for _, after := range []string{"nonsense", "x:prg_a", ":"} {
			_, err := a.programs.FindPrograms(ctx, tandem.ProgramFilter{After: after})
			if tandem.ErrorCode(err) != tandem.EINVALID || tandem.ErrorField(err) != "cursor" {
				t.Errorf("FindPrograms after %q: %v", after, err)
			}
		}
		if _, err := sqldb.NewResourceService(db).FindResources(ctx, tandem.ResourceFilter{After: "1:" + prog.ID}); tandem.ErrorField(err) != "cursor" {
			t.Errorf("FindResources with a two-part key: %v", err)
		}
	})
}

// rfc3339UTC is how the API writes times.
var rfc3339UTC = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$`)
