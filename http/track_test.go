package http_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/tandem-prm/tandem"
	tandemhttp "github.com/tandem-prm/tandem/http"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// trackResult is what a track call got: status, headers and the decoded body.
type trackResult struct {
	status  int
	header  http.Header
	body    string
	click   tandemhttp.TrackedClick
	problem tandemhttp.Problem
}

// visit sends a request straight to the server's handler from the given
// client address, so that tests choose the visitor's network.
func visit(t *testing.T, a *app, method, path, remoteAddr string, body any, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	var b string
	if body != nil {
		j, _ := json.Marshal(body)
		b = string(j)
	}
	req := httptest.NewRequest(method, path, strings.NewReader(b))
	req.RemoteAddr = remoteAddr
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	a.srv.Config.Handler.ServeHTTP(rec, req)
	return rec
}

// track posts a click as the snippet does, from a page on origin.
func track(t *testing.T, a *app, remoteAddr, origin string, body map[string]any) trackResult {
	t.Helper()
	// Sec-Fetch-Site as a browser sends it: the call is cross-site by design,
	// and no CSRF protection may refuse it.
	header := []string{"User-Agent", browserUA, "Sec-Fetch-Site", "cross-site"}
	if origin != "" {
		header = append(header, "Origin", origin)
	}
	rec := visit(t, a, "POST", "/api/v1/track/click", remoteAddr, body, header...)
	res := trackResult{status: rec.Code, header: rec.Header(), body: rec.Body.String()}
	if rec.Code == http.StatusOK {
		if err := json.Unmarshal(rec.Body.Bytes(), &res.click.Body); err != nil {
			t.Fatalf("track answer %s: %v", res.body, err)
		}
	} else if err := json.Unmarshal(rec.Body.Bytes(), &res.problem); err != nil {
		t.Fatalf("track problem %s: %v", res.body, err)
	}
	return res
}

// trackSetup is a program on shop.acme.example (destination www.acme.example)
// with one partner and one link.
func trackSetup(t *testing.T, a *app) (*tandem.Program, *tandem.Link, string) {
	t.Helper()
	ctx := context.Background()
	prog := a.partnerIn("acme", "me@example.com")
	linkProgram(t, a, prog)
	ps, err := a.partners.FindPartners(ctx, tandem.PartnerFilter{})
	if err != nil || len(ps) != 1 {
		t.Fatalf("partners = %v, %v", ps, err)
	}
	l, err := sqldb.NewLinkService(a.db).CreateLink(ctx, ps[0].ID, prog.ID, tandem.LinkInput{Channel: tandem.ChannelNewsletter})
	if err != nil {
		t.Fatal(err)
	}
	return prog, l, ps[0].ID
}

// storedClick is a recorded click's landing URL, referrer and flags.
func storedClick(t *testing.T, db *sqldb.DB, id string) (landing, referrer string, bot, attributable bool) {
	t.Helper()
	if err := db.InTx(context.Background(), func(tx *sql.Tx) error {
		return tx.QueryRow(`SELECT landing_url, referrer, bot, attributable FROM clicks WHERE id = $1`, id).Scan(&landing, &referrer, &bot, &attributable)
	}); err != nil {
		t.Fatalf("click %s: %v", id, err)
	}
	return landing, referrer, bot, attributable
}

func TestTrackClick(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		a := newApp(t, db, "https://partners.example.com")
		_, l, partnerID := trackSetup(t, a)
		const shop = "https://shop.acme.example"
		landing := shop + "/pricing?ref=" + l.Code + "&plan=pro"

		// A visit through a direct link: recorded once committed, with the
		// page, the referrer and what the snippet needs to keep the ID.
		res := track(t, a, "192.0.2.10:5555", shop, map[string]any{"ref": l.Code, "url": landing, "referrer": "https://blog.example/post"})
		if res.status != http.StatusOK {
			t.Fatalf("track = %d %s", res.status, res.body)
		}
		c := res.click.Body
		if !tandem.HasPrefix(c.ClickID, tandem.PrefixClick) || c.CookieDays != 30 || c.ClickParam != "tandem_click" || !slices.Equal(c.RefParams, []string{"ref", "via", "fp_ref"}) {
			t.Errorf("answer = %+v", c)
		}
		if res.header.Get("Access-Control-Allow-Origin") != shop || !slices.Contains(res.header.Values("Vary"), "Origin") ||
			res.header.Get("Set-Cookie") != "" || res.header.Get("Access-Control-Allow-Credentials") != "" {
			t.Errorf("headers = %v", res.header)
		}
		if got, ref, bot, attr := storedClick(t, db, c.ClickID); got != landing || ref != "https://blog.example/post" || bot || !attr {
			t.Errorf("click = %q %q bot %v attributable %v", got, ref, bot, attr)
		}

		// A subdomain of an allowed domain may record; a bot is recorded
		// but never attributable; a long landing URL is cut to 4000 bytes.
		res = track(t, a, "192.0.2.10:5555", "https://m.www.acme.example", map[string]any{"ref": l.Code, "url": shop + "/" + strings.Repeat("x", 5000)})
		if res.status != http.StatusOK {
			t.Fatalf("subdomain = %d %s", res.status, res.body)
		}
		if got, _, _, _ := storedClick(t, db, res.click.Body.ClickID); len(got) != 4000 {
			t.Errorf("landing kept %d bytes; want 4000", len(got))
		}
		rec := visit(t, a, "POST", "/api/v1/track/click", "192.0.2.10:5555", map[string]any{"ref": l.Code, "url": shop}, "Origin", shop, "User-Agent", "curl/8.5.0")
		var bot tandemhttp.TrackedClick
		if err := json.Unmarshal(rec.Body.Bytes(), &bot.Body); rec.Code != http.StatusOK || err != nil {
			t.Fatalf("bot track = %d %s", rec.Code, rec.Body)
		}
		if _, _, isBot, attr := storedClick(t, db, bot.Body.ClickID); !isBot || attr {
			t.Errorf("bot click: bot %v attributable %v", isBot, attr)
		}
		if n := libCount(t, db, "clicks"); n != 3 {
			t.Fatalf("%d clicks; want 3", n)
		}

		// Pages elsewhere may not record: 403, no CORS grant, nothing written.
		for _, origin := range []string{"", "null", "https://evil.example", "https://acme.example", "https://shop.acme.example.evil.example",
			"https://evilshop.acme.example.com", "ftp://shop.acme.example", "https://shop.acme.example/path", "https://user@shop.acme.example"} {
			res := track(t, a, "192.0.2.10:5555", origin, map[string]any{"ref": l.Code, "url": shop})
			if res.status != http.StatusForbidden || res.problem.Code != tandem.EFORBIDDEN || res.header.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("origin %q = %d %v", origin, res.status, res.header)
			}
		}

		// Malformed refs are 400 on "ref"; unknown and archived links 404.
		for _, ref := range []string{"", "ab", "a b c d", "x'; DROP TABLE links;--", strings.Repeat("z", 33), "jane\x00"} {
			res := track(t, a, "192.0.2.10:5555", shop, map[string]any{"ref": ref, "url": shop})
			if res.status != http.StatusBadRequest || res.problem.Field != "ref" {
				t.Errorf("ref %q = %d %+v", ref, res.status, res.problem)
			}
		}
		archived, err := sqldb.NewLinkService(db).CreateLink(ctx, partnerID, l.ProgramID, tandem.LinkInput{Channel: tandem.ChannelEmail})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sqldb.NewLinkService(db).ArchiveLink(ctx, partnerID, archived.ID); err != nil {
			t.Fatal(err)
		}
		for _, ref := range []string{"nope-nope", archived.Code} {
			if res := track(t, a, "192.0.2.10:5555", shop, map[string]any{"ref": ref, "url": shop}); res.status != http.StatusNotFound || res.problem.Code != tandem.ENOTFOUND {
				t.Errorf("ref %q = %d %+v", ref, res.status, res.problem)
			}
		}
		if res := track(t, a, "192.0.2.10:5555", shop, map[string]any{"url": shop}); res.status != http.StatusBadRequest || res.problem.Field != "ref" {
			t.Errorf("no ref = %d %+v", res.status, res.problem)
		}
		if n := libCount(t, db, "clicks"); n != 3 {
			t.Errorf("%d clicks after refused calls; want 3", n)
		}

		// A suspended partner's visit is recorded but attributes nothing.
		libExec(t, db, `UPDATE memberships SET status = 'suspended' WHERE partner_id = $1`, partnerID)
		res = track(t, a, "192.0.2.10:5555", shop, map[string]any{"ref": l.Code, "url": shop})
		if res.status != http.StatusOK {
			t.Fatalf("suspended = %d", res.status)
		}
		if _, _, _, attr := storedClick(t, db, res.click.Body.ClickID); attr {
			t.Error("a suspended partner's click is attributable")
		}
	})
}

// The browser's preflight is answered for the allowed sites only, with
// their exact origin, never "*".
func TestTrackPreflight(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		a := newApp(t, db, "https://partners.example.com")
		preflight := func(origin string) *httptest.ResponseRecorder {
			return visit(t, a, "OPTIONS", "/api/v1/track/click", "192.0.2.1:1", nil,
				"Origin", origin, "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type")
		}
		if rec := preflight("https://shop.acme.example"); rec.Code != http.StatusForbidden {
			t.Errorf("preflight before any program allows the site = %d", rec.Code)
		}
		_, l, _ := trackSetup(t, a)
		rec := preflight("https://shop.acme.example")
		h := rec.Header()
		if rec.Code != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != "https://shop.acme.example" || h.Get("Access-Control-Allow-Methods") != "POST" ||
			!strings.EqualFold(h.Get("Access-Control-Allow-Headers"), "Content-Type") || !slices.Contains(h.Values("Vary"), "Origin") || h.Get("Access-Control-Max-Age") == "" {
			t.Errorf("preflight = %d %v", rec.Code, h)
		}
		for _, origin := range []string{"https://evil.example", "", "null"} {
			if rec := preflight(origin); rec.Code != http.StatusForbidden || rec.Header().Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("preflight from %q = %d %v", origin, rec.Code, rec.Header())
			}
		}

		// The operation is public in the OpenAPI document (no key), and its
		// answers, good and bad, are what the document says.
		doc, err := openapi3.NewLoader().LoadFromData([]byte(a.client().get("/api/v1/openapi.json").body))
		if err != nil {
			t.Fatal(err)
		}
		router, err := legacy.NewRouter(doc)
		if err != nil {
			t.Fatal(err)
		}
		if op := doc.Paths.Find("/track/click").Post; op.Security == nil || len(*op.Security) != 0 {
			t.Errorf("track-click security = %v; want none", op.Security)
		}
		for _, c := range []struct {
			body   map[string]any
			origin string
			status int
		}{
			{map[string]any{"ref": l.Code, "url": "https://shop.acme.example/?ref=" + l.Code, "referrer": ""}, "https://shop.acme.example", 200},
			{map[string]any{"ref": l.Code, "url": "https://evil.example/"}, "https://evil.example", 403},
			{map[string]any{"ref": "a b", "url": "https://shop.acme.example/"}, "https://shop.acme.example", 400},
			{map[string]any{"ref": "nope-nope", "url": "https://shop.acme.example/"}, "https://shop.acme.example", 404},
		} {
			res := track(t, a, "192.0.2.1:1", c.origin, c.body)
			b, _ := json.Marshal(c.body)
			req, _ := http.NewRequest("POST", "https://partners.example.com/api/v1/track/click", bytes.NewReader(b))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Origin", c.origin)
			route, params, err := router.FindRoute(req)
			if err != nil || res.status != c.status {
				t.Fatalf("%v = %d (want %d); route: %v", c.body, res.status, c.status, err)
			}
			in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
				Options: &openapi3filter.Options{IncludeResponseStatus: true}}
			if err := openapi3filter.ValidateRequest(ctx, in); err != nil && c.status < 400 {
				t.Errorf("%v: the request does not match the document: %v", c.body, err)
			}
			if err := openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{RequestValidationInput: in,
				Status: res.status, Header: res.header, Body: io.NopCloser(strings.NewReader(res.body)), Options: in.Options}); err != nil {
				t.Errorf("%v = %d: the answer does not match the document: %v\n%s", c.body, res.status, err, res.body)
			}
		}
	})
}

// One network that clicks too fast: the redirect still redirects but
// records nothing, the track call answers 429; other networks are not
// affected.
func TestClickFlood(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		const burst = 8
		a := newApp(t, db, "https://partners.example.com", func(c *tandemhttp.Config) {
			c.Flood = tandemhttp.FloodLimit{PerSecond: 0.001, Burst: burst} // no refill during the test
		})
		_, l, _ := trackSetup(t, a)
		const shop = "https://shop.acme.example"

		redirected, recorded := 0, 0
		for i := range 100 {
			rec := visit(t, a, "GET", "/r/"+l.Code, "198.51.100."+strconv.Itoa(i%200+1)+":4000", nil, "User-Agent", browserUA)
			if rec.Code != http.StatusFound || !strings.HasPrefix(rec.Header().Get("Location"), "https://www.acme.example/") {
				t.Fatalf("redirect %d = %d %q", i, rec.Code, rec.Header().Get("Location"))
			}
			redirected++
			if strings.Contains(rec.Header().Get("Location"), "tandem_click=") {
				recorded++
			}
		}
		if redirected != 100 || recorded != burst || libCount(t, db, "clicks") != burst {
			t.Errorf("100 redirects from one /24: %d redirected, %d with a click ID, %d stored; want 100, %d, %d",
				redirected, recorded, libCount(t, db, "clicks"), burst, burst)
		}

		// The same network's track calls are refused with a Retry-After.
		res := track(t, a, "198.51.100.250:1", shop, map[string]any{"ref": l.Code, "url": shop})
		if wait, err := strconv.Atoi(res.header.Get("Retry-After")); res.status != http.StatusTooManyRequests || res.problem.Code != tandem.ETOOMANY || err != nil || wait < 1 {
			t.Errorf("flooded track = %d %q %+v", res.status, res.header.Get("Retry-After"), res.problem)
		}

		// Another /24 is not affected, for either way in; then it too is limited.
		got := map[int]int{}
		for range burst + 2 {
			got[track(t, a, "203.0.113.9:1", shop, map[string]any{"ref": l.Code, "url": shop}).status]++
		}
		if got[http.StatusOK] != burst || got[http.StatusTooManyRequests] != 2 {
			t.Errorf("other network's track calls = %v; want %d OK then 2 refused", got, burst)
		}
		if rec := visit(t, a, "GET", "/r/"+l.Code, "[2001:db8:1:2::1]:1", nil, "User-Agent", browserUA); !strings.Contains(rec.Header().Get("Location"), "tandem_click=clk_") {
			t.Errorf("an IPv6 visitor's redirect = %d %q", rec.Code, rec.Header().Get("Location"))
		}
		if n := libCount(t, db, "clicks"); n != 2*burst+1 {
			t.Errorf("%d clicks; want %d", n, 2*burst+1)
		}
		// Operators see the refusals.
		metrics := a.client().get("/metrics").body
		for _, want := range []string{fmt.Sprintf(`tandem_clicks_flood_refused_total{way="redirect"} %d`, 100-burst), `tandem_clicks_flood_refused_total{way="track"} 3`} {
			if !strings.Contains(metrics, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
	})
}

// A program's own click parameter is what its short links append, and what
// the snippet is told.
func TestCustomClickParam(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a := newApp(t, db, "https://partners.example.com")
		prog, l, _ := trackSetup(t, a)
		prog.ClickParam, prog.RefParams = "aff_click", []string{"aff"}
		if err := a.programs.UpdateProgram(context.Background(), prog); err != nil {
			t.Fatal(err)
		}
		rec := visit(t, a, "GET", "/r/"+l.Code, "192.0.2.1:1", nil, "User-Agent", browserUA)
		u, err := url.Parse(rec.Header().Get("Location"))
		if err != nil || rec.Code != http.StatusFound || !tandem.HasPrefix(u.Query().Get("aff_click"), tandem.PrefixClick) || u.Query().Has("tandem_click") {
			t.Errorf("redirect = %d %q", rec.Code, rec.Header().Get("Location"))
		}
		res := track(t, a, "192.0.2.1:1", "https://shop.acme.example", map[string]any{"ref": l.Code, "url": "https://shop.acme.example/?aff=" + l.Code})
		if res.click.Body.ClickParam != "aff_click" || !slices.Equal(res.click.Body.RefParams, []string{"aff"}) {
			t.Errorf("track answer = %+v", res.click.Body)
		}
	})
}

// The API reads and changes the parameter names; bad ones are 400 on their
// field and change nothing.
func TestAPITrackingSettings(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a := newApp(t, db, "https://partners.example.com")
		_, _, _, write := apiKeys(t, a)
		created := decodeAs[tandemhttp.Program](t, apiCall(t, a, "POST", "/programs", write, map[string]any{
			"name": "Acme", "slug": "acme", "type": "referral", "currency": "USD", "click_param": "aff_click", "ref_params": []string{"aff"},
		}), http.StatusCreated)
		if created.ClickParam != "aff_click" || !slices.Equal(created.RefParams, []string{"aff"}) {
			t.Errorf("created = %+v", created)
		}
		for _, c := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"click_param": "a b"}, "click_param"},
			{map[string]any{"click_param": strings.Repeat("c", 33)}, "click_param"},
			{map[string]any{"ref_params": []string{"a", "b", "c", "d", "e", "f"}}, "ref_params"},
			{map[string]any{"ref_params": []string{"ref?"}}, "ref_params"},
			{map[string]any{"ref_params": []string{"aff_click"}}, "ref_params"},
		} {
			wantProblem(t, fmt.Sprint(c.body), apiCall(t, a, "PATCH", "/programs/"+created.ID, write, c.body), http.StatusBadRequest, c.field)
		}
		// An empty list restores the defaults.
		patched := decodeAs[tandemhttp.Program](t, apiCall(t, a, "PATCH", "/programs/"+created.ID, write, map[string]any{"ref_params": []string{}}), http.StatusOK)
		if patched.ClickParam != "aff_click" || !slices.Equal(patched.RefParams, []string{"ref", "via", "fp_ref"}) {
			t.Errorf("patched = %+v", patched)
		}
		entries, err := sqldb.NewAuditService(db).FindAuditEntries(context.Background(), tandem.AuditFilter{EntityID: created.ID})
		if err != nil || len(entries) != 2 || !strings.Contains(entries[0].Detail, `"ref_params":{"from":["aff"],"to":["ref","via","fp_ref"]}`) {
			t.Errorf("audit = %+v, %v", entries, err)
		}
	})
}

// The admin sets the parameter names on the program form, with errors next
// to the field, and the page shows the tag to paste.
func TestProgramTrackingSettings(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a := newApp(t, db, "https://partners.example.com")
		ctx := context.Background()
		if _, err := a.accounts.CreateOwner(ctx, "owner@example.com", "Olivia", "password of owner@example.com"); err != nil {
			t.Fatal(err)
		}
		admin := a.client()
		admin.signIn(tandem.PrincipalUser, "owner@example.com", "password of owner@example.com")
		settings := url.Values{"name": {"Creators"}, "slug": {"creators"}, "type": {"affiliate"}, "currency": {"EUR"}, "cookie_days": {"45"},
			"attribution": {"last_click"}, "destination_url": {"https://shop.example.com/"}, "click_param": {"aff click"}, "ref_params": {"aff, ref"}}
		if r := admin.post("/admin/programs", settings); r.status != 400 || !strings.Contains(r.body, `aria-describedby="e-click_param"`) || libCount(t, db, "programs") != 0 {
			t.Errorf("bad click param = %d", r.status)
		}
		settings.Set("click_param", "aff_click")
		r := admin.post("/admin/programs", settings)
		if r.status != http.StatusSeeOther {
			t.Fatalf("create = %d %s", r.status, r.body)
		}
		p, err := a.programs.FindProgramByID(ctx, strings.TrimPrefix(r.location, "/admin/programs/"))
		if err != nil || p.ClickParam != "aff_click" || !slices.Equal(p.RefParams, []string{"aff", "ref"}) {
			t.Fatalf("stored = %+v, %v", p, err)
		}
		page := admin.get(r.location).body
		for _, want := range []string{`value="aff, ref"`, `src="https://partners.example.com/t.js" data-click-param="aff_click" data-ref-params="aff,ref" data-cookie-days="45"`} {
			if !strings.Contains(page, want) {
				t.Errorf("program page lacks %q", want)
			}
		}
	})
}

// The snippet is served at a fixed address, revalidated by its ETag.
func TestTrackScript(t *testing.T) {
	t.Parallel()
	a := newApp(t, sqldbtest.Open(t, sqldb.SQLite), "https://partners.example.com")
	r := a.client().get("/t.js")
	etag := r.header.Get("ETag")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/javascript") || etag == "" ||
		!strings.Contains(r.header.Get("Cache-Control"), "max-age=3600") || !strings.Contains(r.body, "/api/v1/track/click") {
		t.Fatalf("t.js = %d %v", r.status, r.header)
	}
	if again := a.client().get("/t.js", "If-None-Match", etag); again.status != http.StatusNotModified {
		t.Errorf("revalidation = %d; want 304", again.status)
	}
}
