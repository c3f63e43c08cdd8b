package http_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tandem-prm/tandem"
	tandemhttp "github.com/tandem-prm/tandem/http"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

func newServer(t *testing.T, db tandemhttp.Database) *httptest.Server {
	t.Helper()
	s, err := tandemhttp.NewServer(tandemhttp.Config{DB: db, Logger: sqldbtest.Logger(t), Registry: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts
}

func get(t *testing.T, url string, header ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ts := newServer(t, db)
		if resp, body := get(t, ts.URL+"/healthz"); resp.StatusCode != 200 || !strings.Contains(body, `"ok"`) {
			t.Errorf("healthz = %d %s", resp.StatusCode, body)
		}
		resp, body := get(t, ts.URL+"/readyz")
		if resp.StatusCode != 200 || !strings.Contains(body, `"ready"`) {
			t.Errorf("readyz on a migrated database = %d %s", resp.StatusCode, body)
		}
	})
}

func TestNotReadyUntilMigrated(t *testing.T) {
	t.Parallel()
	for _, d := range []sqldb.Dialect{sqldb.SQLite, sqldb.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			db, err := sqldb.Open(context.Background(), sqldbtest.URL(t, d), sqldbtest.Logger(t))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ts := newServer(t, db)
			resp, body := get(t, ts.URL+"/readyz")
			if resp.StatusCode != 503 || !strings.Contains(body, "pending") {
				t.Errorf("readyz before migrations = %d %s; want 503 naming pending migrations", resp.StatusCode, body)
			}
			if err := db.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			if resp, body := get(t, ts.URL+"/readyz"); resp.StatusCode != 200 {
				t.Errorf("readyz after migrations = %d %s", resp.StatusCode, body)
			}
			db.Close()
			if resp, body := get(t, ts.URL+"/readyz"); resp.StatusCode != 503 || !strings.Contains(body, "unreachable") {
				t.Errorf("readyz with the database closed = %d %s; want 503", resp.StatusCode, body)
			}
		})
	}
}

// stubDB is a Database that is always ready, for tests of the HTTP layer alone.
type stubDB struct{}

func (stubDB) Ping(context.Context) error        { return nil }
func (stubDB) CheckSchema(context.Context) error { return nil }

func TestUnknownAPIRouteIsAJSONProblem(t *testing.T) {
	t.Parallel()
	ts := newServer(t, stubDB{})
	resp, body := get(t, ts.URL+"/api/v1/nothing-here")
	if resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var p tandemhttp.Problem
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatal(err)
	}
	if p.Status != 404 || p.Code != "not_found" || p.RequestID != resp.Header.Get("X-Request-ID") || p.RequestID == "" || p.Instance != "/api/v1/nothing-here" {
		t.Errorf("problem = %+v", p)
	}
	// A browser gets a page, not JSON, with the request ID to quote.
	resp, body = get(t, ts.URL+"/nowhere", "Accept", "text/html")
	if resp.StatusCode != 404 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "Request ID: <code>"+resp.Header.Get("X-Request-ID")) {
		t.Errorf("page 404 = %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}

func TestSecurityHeadersAndRequestIDs(t *testing.T) {
	t.Parallel()
	ts := newServer(t, stubDB{})
	resp, _ := get(t, ts.URL+"/healthz")
	for h, want := range map[string]string{
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
		"Referrer-Policy":        "strict-origin-when-cross-origin",
	} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q; want %q", h, got, want)
		}
	}
	if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("CSP = %q", resp.Header.Get("Content-Security-Policy"))
	}
	// A sane proxy request ID is kept; an unsafe one is replaced.
	if resp, _ := get(t, ts.URL+"/healthz", "X-Request-ID", "lb-1234abcd"); resp.Header.Get("X-Request-ID") != "lb-1234abcd" {
		t.Errorf("proxy request ID not kept: %q", resp.Header.Get("X-Request-ID"))
	}
	if resp, _ := get(t, ts.URL+"/healthz", "X-Request-ID", "evil\" injected=1"); strings.Contains(resp.Header.Get("X-Request-ID"), "evil") {
		t.Errorf("unsafe request ID kept: %q", resp.Header.Get("X-Request-ID"))
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	s, err := tandemhttp.NewServer(tandemhttp.Config{DB: stubDB{}, Logger: sqldbtest.Logger(t), Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	get(t, ts.URL+"/healthz")
	get(t, ts.URL+"/api/v1/missing/prt_123")
	_, body := get(t, ts.URL+"/metrics")
	for _, want := range []string{
		`tandem_http_requests_total{code="200",method="GET",route="GET /healthz"} 1`,
		`tandem_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
		`tandem_http_request_duration_seconds_bucket{route="GET /healthz"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestErrorMapsCodesAndHidesInternalText(t *testing.T) {
	t.Parallel()
	s, err := tandemhttp.NewServer(tandemhttp.Config{DB: stubDB{}, Logger: sqldbtest.Logger(t), Registry: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		err    error
		status int
		detail string
	}{
		{tandem.Invalidf("email", "Email is required."), 400, "Email is required."},
		{tandem.Errorf(tandem.ECONFLICT, "Slug taken."), 409, "Slug taken."},
		{tandem.Errorf(tandem.ENOTFOUND, "Partner not found."), 404, "Partner not found."},
		{tandem.Errorf(tandem.EFORBIDDEN, "Not yours."), 403, "Not yours."},
		{tandem.Errorf(tandem.EUNAUTHORIZED, "Sign in."), 401, "Sign in."},
		{tandem.Errorf(tandem.ETOOMANY, "Slow down."), 429, "Slow down."},
		{tandem.Errorf(tandem.EUNAVAILABLE, "Migrating."), 503, "Migrating."},
		{errors.New(`ERROR: relation "partners" does not exist (SQLSTATE 42P01)`), 500, "Internal error."},
	} {
		rec := httptest.NewRecorder()
		s.Error(rec, httptest.NewRequest("POST", "/api/v1/partners", nil), tt.err)
		var p tandemhttp.Problem
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		if rec.Code != tt.status || p.Status != tt.status || p.Detail != tt.detail {
			t.Errorf("%v: %d %+v; want %d %q", tt.err, rec.Code, p, tt.status, tt.detail)
		}
		if strings.Contains(rec.Body.String(), "SQLSTATE") {
			t.Errorf("internal text leaked: %s", rec.Body.String())
		}
	}
}
