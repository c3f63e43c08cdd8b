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

func TestPasswordSignInAndOut(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a := newApp(t, db, "https://partners.example.com")
		if _, err := a.accounts.CreateOwner(context.Background(), "owner@example.com", "Olivia", "the owners password"); err != nil {
			t.Fatal(err)
		}
		c := a.client()
		if r := c.get("/admin"); r.status != http.StatusSeeOther || r.location != "/login?next=%2Fadmin" {
			t.Fatalf("signed out /admin = %d %q; want a redirect to sign in", r.status, r.location)
		}
		// Wrong password and unknown account: one answer, nothing to enumerate.
		wrong := c.post("/login", url.Values{"email": {"owner@example.com"}, "password": {"nope nope nope"}})
		unknown := c.post("/login", url.Values{"email": {"ghost@example.com"}, "password": {"nope nope nope"}})
		if wrong.status != 401 || unknown.status != 401 || !strings.Contains(wrong.body, "The email or password is incorrect.") ||
			strings.ReplaceAll(wrong.body, "owner@example.com", "") != strings.ReplaceAll(unknown.body, "ghost@example.com", "") {
			t.Errorf("wrong password (%d) and unknown email (%d) answer differently", wrong.status, unknown.status)
		}
		r := c.post("/login", url.Values{"email": {"owner@example.com"}, "password": {"the owners password"}, "next": {"/admin/team"}})
		if r.status != http.StatusSeeOther || r.location != "/admin/team" {
			t.Fatalf("sign in = %d %q", r.status, r.location)
		}
		// The cookie: HttpOnly, SameSite=Lax, Secure behind an https base URL.
		cookie := r.header.Get("Set-Cookie")
		for _, want := range []string{"tandem_session=", "HttpOnly", "SameSite=Lax", "Secure"} {
			if !strings.Contains(cookie, want) {
				t.Errorf("session cookie %q lacks %s", cookie, want)
			}
		}
		if r := c.get("/admin"); r.status != 200 || !strings.Contains(r.body, "Dashboard") {
			t.Fatalf("/admin after sign in = %d", r.status)
		}
		// A sign-in never redirects off-site.
		c2 := a.client()
		for _, next := range []string{"//evil.example/x", "/\t/evil.example/x", "/\\evil.example", "https://evil.example"} {
			if r := c2.post("/login", url.Values{"email": {"owner@example.com"}, "password": {"the owners password"}, "next": {next}}); r.location != "/admin" {
				t.Errorf("next=%q redirected to %q", next, r.location)
			}
		}
		if r := c.post("/logout", nil); r.status != http.StatusSeeOther || r.location != "/login" {
			t.Errorf("sign out = %d %q", r.status, r.location)
		}
		if r := c.get("/admin"); r.status != http.StatusSeeOther {
			t.Errorf("/admin after sign out = %d; want redirect", r.status)
		}
	})
}

func TestSessionRotatesOnSignIn(t *testing.T) {
	t.Parallel()
	a := newApp(t, sqldbtest.Open(t, sqldb.SQLite), "http://127.0.0.1")
	if _, err := a.accounts.CreateOwner(context.Background(), "owner@example.com", "Olivia", "the owners password"); err != nil {
		t.Fatal(err)
	}
	c := a.client()
	// An anonymous session exists first (a flash from a sent link).
	before := c.post("/login/link", url.Values{"email": {"owner@example.com"}})
	planted := c.http.Jar.Cookies(mustURL(a.srv.URL))
	after := c.post("/login", url.Values{"email": {"owner@example.com"}, "password": {"the owners password"}})
	got := c.http.Jar.Cookies(mustURL(a.srv.URL))
	if before.status != 200 || after.status != http.StatusSeeOther || len(got) != 1 {
		t.Fatalf("statuses %d %d, cookies %v", before.status, after.status, got)
	}
	if len(planted) == 1 && planted[0].Value == got[0].Value {
		t.Error("the session token did not change at sign-in")
	}
}

func mustURL(s string) *url.URL {
	u, _ := url.Parse(s)
	return u
}

func TestSignOutEverywhere(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a := newApp(t, db, "http://127.0.0.1")
		if _, err := a.accounts.CreateOwner(context.Background(), "owner@example.com", "Olivia", "the owners password"); err != nil {
			t.Fatal(err)
		}
		laptop, phone := a.client(), a.client()
		laptop.signIn(tandem.PrincipalUser, "owner@example.com", "the owners password")
		phone.signIn(tandem.PrincipalUser, "owner@example.com", "the owners password")
		if r := phone.post("/logout/everywhere", nil); r.status != http.StatusSeeOther {
			t.Fatalf("sign out everywhere = %d", r.status)
		}
		if r := laptop.get("/admin"); r.status != http.StatusSeeOther {
			t.Errorf("the other device is still signed in: %d", r.status)
		}
	})
}

func TestMagicLinkSignInForPartners(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a := newApp(t, db, "http://127.0.0.1")
		a.partnerIn("acme", "kari@example.com")
		c := a.client()
		sent := c.post("/portal/login/link", url.Values{"email": {"KARI@example.com"}})
		ghost := c.post("/portal/login/link", url.Values{"email": {"ghost@example.com"}})
		if sent.status != 200 || ghost.status != 200 || !strings.Contains(sent.body, "Check your email") ||
			strings.ReplaceAll(sent.body, "kari@example.com", "") != strings.ReplaceAll(ghost.body, "ghost@example.com", "") {
			t.Fatalf("link for a partner (%d) and for nobody (%d) answer differently", sent.status, ghost.status)
		}
		token := sqldbtest.LastLink(t, db, "kari@example.com", "magic_link")
		if sqldbtest.LastLink(t, db, "ghost@example.com", "magic_link") != "" {
			t.Error("a link was emailed to an unknown address")
		}
		// Opening the link only shows a button (mail scanners fetch links).
		if r := c.get("/signin/" + token); r.status != 200 || !strings.Contains(r.body, "Continue") {
			t.Fatalf("link page = %d", r.status)
		}
		if r := c.post("/signin/"+token, nil); r.status != http.StatusSeeOther || r.location != "/portal" {
			t.Fatalf("use link = %d %q", r.status, r.location)
		}
		if r := c.get("/portal"); r.status != 200 || !strings.Contains(r.body, "Program acme") {
			t.Errorf("portal = %d", r.status)
		}
		if r := a.client().post("/signin/"+token, nil); r.status != http.StatusBadRequest || !strings.Contains(r.body, "expired or has already been used") {
			t.Errorf("reused link = %d", r.status)
		}
	})
}

func TestPasswordResetAnswersTheSameForUnknownEmails(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a := newApp(t, db, "http://127.0.0.1")
		if _, err := a.accounts.CreateOwner(context.Background(), "owner@example.com", "Olivia", "the owners password"); err != nil {
			t.Fatal(err)
		}
		c := a.client()
		known := c.post("/password/forgot", url.Values{"email": {"owner@example.com"}, "kind": {"user"}})
		unknown := c.post("/password/forgot", url.Values{"email": {"ghost@example.com"}, "kind": {"user"}})
		if known.status != 200 || strings.ReplaceAll(known.body, "owner@example.com", "") != strings.ReplaceAll(unknown.body, "ghost@example.com", "") {
			t.Fatalf("reset for a user (%d) and for nobody (%d) answer differently", known.status, unknown.status)
		}
		token := sqldbtest.LastLink(t, db, "owner@example.com", "password_reset")
		if r := c.post("/password/reset/"+token, url.Values{"password": {"short"}}); r.status != 400 || !strings.Contains(r.body, "at least 10 characters") {
			t.Errorf("short new password = %d", r.status)
		}
		if r := c.post("/password/reset/"+token, url.Values{"password": {"my new password"}}); r.status != http.StatusSeeOther || r.location != "/admin" {
			t.Fatalf("reset = %d %q", r.status, r.location)
		}
		a.client().signIn(tandem.PrincipalUser, "owner@example.com", "my new password")
	})
}

func TestSignInIsRateLimited(t *testing.T) {
	t.Parallel()
	a := newApp(t, sqldbtest.Open(t, sqldb.SQLite), "http://127.0.0.1")
	if _, err := a.accounts.CreateOwner(context.Background(), "owner@example.com", "Olivia", "the owners password"); err != nil {
		t.Fatal(err)
	}
	c := a.client()
	for i := range 10 {
		if r := c.post("/login", url.Values{"email": {"owner@example.com"}, "password": {"guess number " + string(rune('a'+i))}}); r.status != 401 {
			t.Fatalf("attempt %d = %d; want 401", i+1, r.status)
		}
	}
	// The 11th attempt on the account is refused, even with the right password.
	r := c.post("/login", url.Values{"email": {"owner@example.com"}, "password": {"the owners password"}})
	if r.status != http.StatusTooManyRequests || !strings.Contains(r.body, "Too many attempts. Please wait 15 minutes") {
		t.Errorf("11th attempt = %d; want 429 with a clear message", r.status)
	}
	// Many accounts from one address hit the per-address limit.
	for i := range 30 {
		r = c.post("/login", url.Values{"email": {"user" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + "@example.com"}, "password": {"x"}})
	}
	if r.status != http.StatusTooManyRequests {
		t.Errorf("attempts across accounts from one address = %d; want 429", r.status)
	}
}

func TestCrossSiteFormPostsAreRefused(t *testing.T) {
	t.Parallel()
	a := newApp(t, sqldbtest.Open(t, sqldb.SQLite), "http://127.0.0.1")
	owner, err := a.accounts.CreateOwner(context.Background(), "owner@example.com", "Olivia", "the owners password")
	if err != nil {
		t.Fatal(err)
	}
	c := a.client()
	c.signIn(tandem.PrincipalUser, "owner@example.com", "the owners password")
	r := c.post("/admin/team/invite", url.Values{"email": {"x@example.com"}, "role": {"admin"}}, "Sec-Fetch-Site", "cross-site")
	if r.status != http.StatusForbidden {
		t.Errorf("cross-site post = %d; want 403", r.status)
	}
	r = c.post("/admin/team/invite", url.Values{"email": {"x@example.com"}, "role": {"admin"}}, "Origin", "https://evil.example")
	if r.status != http.StatusForbidden {
		t.Errorf("post with a foreign Origin = %d; want 403", r.status)
	}
	if users, _ := a.accounts.FindUsers(context.Background()); len(users) != 1 || users[0].ID != owner.ID {
		t.Errorf("a refused post invited someone: %d users", len(users))
	}
	if r := c.post("/admin/team/invite", url.Values{"email": {"x@example.com"}, "role": {"admin"}}, "Sec-Fetch-Site", "same-origin"); r.status != http.StatusSeeOther {
		t.Errorf("same-origin post = %d; want 303", r.status)
	}
}

func TestSetupAndInvitation(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a := newApp(t, db, "http://127.0.0.1")
		ctx := context.Background()
		token, err := a.accounts.CreateSetupLink(ctx)
		if err != nil {
			t.Fatal(err)
		}
		c := a.client()
		if r := c.get("/setup/" + token); r.status != 200 || !strings.Contains(r.body, "Create owner account") {
			t.Fatalf("setup page = %d", r.status)
		}
		if r := c.post("/setup/"+token, url.Values{"email": {"not an email"}, "name": {"Olivia"}, "password": {"the owners password"}}); r.status != 400 ||
			!strings.Contains(r.body, `aria-invalid="true" aria-describedby="e-email"`) {
			t.Errorf("bad email at setup = %d; want the error next to the field", r.status)
		}
		if r := c.post("/setup/"+token, url.Values{"email": {"owner@example.com"}, "name": {"Olivia"}, "password": {"the owners password"}}); r.status != http.StatusSeeOther {
			t.Fatalf("setup = %d", r.status)
		}
		if r := c.post("/admin/team/invite", url.Values{"email": {"fin@example.com"}, "role": {"finance"}}); r.status != http.StatusSeeOther {
			t.Fatalf("invite = %d", r.status)
		}
		if r := c.get("/admin/team"); !strings.Contains(r.body, "Invitation sent to fin@example.com.") || !strings.Contains(r.body, "fin@example.com") {
			t.Error("the team page does not show the invitation")
		}
		invite := sqldbtest.LastLink(t, db, "fin@example.com", "user_invite")
		fin := a.client()
		if r := fin.post("/invite/"+invite, url.Values{"name": {"Finn"}, "password": {"finns password!"}}); r.status != http.StatusSeeOther || r.location != "/admin" {
			t.Fatalf("accept = %d %q", r.status, r.location)
		}
		if r := fin.get("/admin"); r.status != 200 || !strings.Contains(r.body, "Finn") {
			t.Errorf("the invited user is not signed in: %d", r.status)
		}
		if r := a.client().get("/invite/" + invite); r.status != 400 {
			t.Errorf("used invitation page = %d; want 400", r.status)
		}
	})
}

// The current password asked by the password change is limited like a sign-in.
func TestPasswordChangeIsRateLimited(t *testing.T) {
	t.Parallel()
	a := newApp(t, sqldbtest.Open(t, sqldb.SQLite), "http://127.0.0.1")
	if _, err := a.accounts.CreateOwner(context.Background(), "owner@example.com", "Olivia", "the owners password"); err != nil {
		t.Fatal(err)
	}
	c := a.client()
	c.signIn(tandem.PrincipalUser, "owner@example.com", "the owners password")
	var r response
	for range 11 {
		r = c.post("/admin/account/password", url.Values{"current_password": {"a wrong guess"}, "password": {"a new password!"}})
	}
	if r.status != http.StatusTooManyRequests || !strings.Contains(r.body, "Too many attempts") {
		t.Errorf("11th guess of the current password = %d; want 429", r.status)
	}
}
