package http_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/clicks"
	tandemhttp "github.com/tandem-prm/tandem/http"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// app is a Tandem server on a real database, for HTTP scenario tests.
type app struct {
	t        *testing.T
	db       *sqldb.DB
	srv      *httptest.Server
	accounts *sqldb.AccountService
	programs *sqldb.ProgramService
	partners *sqldb.PartnerService
}

// newApp starts the server; options may change its configuration.
func newApp(t *testing.T, db *sqldb.DB, baseURL string, options ...func(*tandemhttp.Config)) *app {
	t.Helper()
	clickStore := sqldb.NewClickStore(db)
	secret, err := clickStore.VisitorSecret(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	writer := clicks.NewWriter(clickStore, secret, clicks.Options{Logger: sqldbtest.Logger(t)})
	t.Cleanup(func() { _ = writer.Close(context.Background()) })
	cfg := tandemhttp.Config{DB: db, Logger: sqldbtest.Logger(t), Registry: prometheus.NewRegistry(), BaseURL: baseURL,
		Services: tandemhttp.Services{
			Programs: sqldb.NewProgramService(db), Partners: sqldb.NewPartnerService(db), Audit: sqldb.NewAuditService(db),
			Accounts: sqldb.NewAccountService(db), RateLimiter: sqldb.NewRateLimiter(db), Sessions: sqldb.NewSessionStore(db),
			Recruiting: sqldb.NewRecruitingService(db), Agreements: sqldb.NewAgreementService(db),
			Onboarding: sqldb.NewOnboardingService(db),
			Resources:  sqldb.NewResourceService(db), Invitations: sqldb.NewInvitationService(db),
			Links: sqldb.NewLinkService(db), Clicks: writer,
			Conversions: sqldb.NewConversionService(db), Commissions: sqldb.NewCommissionService(db),
			Plans: sqldb.NewPlanService(db), Ledger: sqldb.NewLedgerService(db), Coupons: sqldb.NewCouponService(db),
			Payouts:   sqldb.NewPayoutService(db),
			Referrals: sqldb.NewReferralService(db),
		}}
	for _, o := range options {
		o(&cfg)
	}
	s, err := tandemhttp.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &app{t: t, db: db, srv: srv, accounts: sqldb.NewAccountService(db), programs: sqldb.NewProgramService(db), partners: sqldb.NewPartnerService(db)}
}

// client is one browser: its own cookies, redirects not followed.
type client struct {
	t    *testing.T
	app  *app
	http *http.Client
}

func (a *app) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: a.t, app: a, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// response is what a request got.
type response struct {
	status   int
	body     string
	location string
	header   http.Header
}

func (c *client) do(method, path string, form url.Values, header ...string) response {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.app.srv.URL+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, body: string(b), location: resp.Header.Get("Location"), header: resp.Header}
}

func (c *client) get(path string, header ...string) response {
	return c.do("GET", path, nil, header...)
}
func (c *client) post(path string, form url.Values, header ...string) response {
	return c.do("POST", path, form, header...)
}

// signIn signs the client in with a password and checks it landed home.
func (c *client) signIn(kind tandem.PrincipalKind, email, password string) {
	c.t.Helper()
	path := "/login"
	if kind == tandem.PrincipalPartner {
		path = "/portal/login"
	}
	r := c.post(path, url.Values{"email": {email}, "password": {password}})
	if r.status != http.StatusSeeOther {
		c.t.Fatalf("sign in as %s: %d %s", email, r.status, r.body)
	}
}

// user creates an active business user with the role and a password.
func (a *app) user(ownerID, email string, role tandem.Role) {
	a.t.Helper()
	ctx := context.Background()
	if _, err := a.accounts.InviteUser(ctx, ownerID, email, role); err != nil {
		a.t.Fatal(err)
	}
	if _, err := a.accounts.AcceptInvite(ctx, sqldbtest.LastLink(a.t, a.db, email, "user_invite"), "Test "+string(role), "password of "+email); err != nil {
		a.t.Fatal(err)
	}
}

// partnerIn creates a partner approved in a new program, with a portal user
// whose password is "password of EMAIL", and returns the program.
func (a *app) partnerIn(slug, email string) *tandem.Program {
	a.t.Helper()
	ctx := context.Background()
	prog := &tandem.Program{Name: "Program " + slug, Slug: slug, Type: tandem.ProgramReferral, Currency: "USD", AutoApprove: true}
	if err := a.programs.CreateProgram(ctx, prog); err != nil {
		a.t.Fatal(err)
	}
	p := &tandem.Partner{Name: "Partner " + slug, Email: email}
	if err := a.partners.CreatePartner(ctx, p); err != nil {
		a.t.Fatal(err)
	}
	if _, err := a.partners.JoinProgram(ctx, prog.ID, p.ID); err != nil {
		a.t.Fatal(err)
	}
	pu, err := a.accounts.CreatePartnerUser(ctx, p.ID, email, "Partner user "+slug)
	if err != nil {
		a.t.Fatal(err)
	}
	if _, err := a.accounts.SetPassword(ctx, tandem.Principal{Kind: tandem.PrincipalPartner, ID: pu.ID}, "", "password of "+email); err != nil {
		a.t.Fatal(err)
	}
	return prog
}
