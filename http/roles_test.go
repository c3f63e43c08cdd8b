package http_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// matrixRoles are the roles of a roleCase's want, in order.
var matrixRoles = []tandem.Role{tandem.RoleOwner, tandem.RoleAdmin, tandem.RoleManager, tandem.RoleFinance, tandem.RoleReadOnly}

// roleCase is one admin route and the status each role must get.
type roleCase struct {
	method, path string
	form         url.Values // "%s" in a value becomes the role, to keep posts distinct
	want         [5]int     // owner, admin, manager, finance, read_only
}

// roleClients creates the owner (owner@example.com) and a user of every other
// role, each signed in with the password "password of EMAIL".
func (a *app) roleClients() (*tandem.User, map[tandem.Role]*client) {
	a.t.Helper()
	owner, err := a.accounts.CreateOwner(context.Background(), "owner@example.com", "Olivia", "password of owner@example.com")
	if err != nil {
		a.t.Fatal(err)
	}
	clients := map[tandem.Role]*client{}
	for _, role := range matrixRoles {
		email := string(role) + "@example.com"
		if role != tandem.RoleOwner {
			a.user(owner.ID, email, role)
		}
		clients[role] = a.client()
		clients[role].signIn(tandem.PrincipalUser, email, "password of "+email)
	}
	return owner, clients
}

// checkRoleMatrix tries every case as every role; a refusal must say why.
func checkRoleMatrix(t *testing.T, clients map[tandem.Role]*client, cases []roleCase) {
	t.Helper()
	for _, tt := range cases {
		for i, role := range matrixRoles {
			var form url.Values
			if tt.method != "GET" {
				form = url.Values{}
				for k, v := range tt.form {
					form[k] = []string{strings.ReplaceAll(v[0], "%s", string(role))}
				}
			}
			r := clients[role].do(tt.method, tt.path, form)
			if r.status != tt.want[i] {
				t.Errorf("%s %s as %s = %d; want %d", tt.method, tt.path, role, r.status, tt.want[i])
			}
			if r.status == http.StatusForbidden && !strings.Contains(r.body, fmt.Sprintf("Your role (%s) does not allow this.", role)) {
				t.Errorf("%s %s as %s: the refusal does not say why", tt.method, tt.path, role)
			}
		}
	}
}

// Every admin route is checked on the server against the role: a table of
// routes × roles, each cell the status the role must get.
func TestRoleMatrix(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a := newApp(t, db, "http://127.0.0.1")
		ctx := context.Background()
		owner, clients := a.roleClients()
		// A user for the team-change routes to act on.
		a.user(owner.ID, "target@example.com", tandem.RoleReadOnly)
		users, _ := a.accounts.FindUsers(ctx)
		var target string
		for _, u := range users {
			if u.Email == "target@example.com" {
				target = u.ID
			}
		}
		key, _, err := a.accounts.CreateAPIKey(ctx, owner.ID, "matrix", tandem.ScopeRead)
		if err != nil {
			t.Fatal(err)
		}
		linked := a.partnerIn("linked", "linked@example.com")
		linkedPartner := viewerPartnerID(t, a, "linked@example.com")
		refProgram := a.partnerIn("refs", "refs@example.com")
		ref, err := sqldb.NewReferralService(db).CreateReferral(ctx, tandem.ReferralInput{ProgramID: refProgram.ID,
			PartnerID: viewerPartnerID(t, a, "refs@example.com"), Source: tandem.ReferralFromAPI, Email: "lead@buyer.example"})
		if err != nil {
			t.Fatal(err)
		}

		payProg := a.partnerIn("payouts", "payouts@example.com")

		const ok, redirect, forbidden = 200, 303, 403
		checkRoleMatrix(t, clients, []roleCase{
			{"GET", "/admin", nil, [5]int{ok, ok, ok, ok, ok}},
			{"GET", "/admin/programs", nil, [5]int{ok, ok, ok, ok, ok}},
			{"GET", "/admin/partners", nil, [5]int{ok, ok, ok, ok, ok}},
			{"GET", "/admin/team", nil, [5]int{ok, ok, ok, ok, ok}},
			{"GET", "/admin/account", nil, [5]int{ok, ok, ok, ok, ok}},
			{"GET", "/admin/api-keys", nil, [5]int{ok, ok, forbidden, forbidden, forbidden}},
			{"GET", "/admin/audit", nil, [5]int{ok, forbidden, forbidden, forbidden, forbidden}},
			{"GET", "/admin/programs/" + linked.ID + "/links", nil, [5]int{ok, ok, ok, ok, ok}},
			{"GET", "/admin/partners/" + linkedPartner + "/links", nil, [5]int{ok, ok, ok, ok, ok}},
			{"GET", "/admin/commissions", nil, [5]int{ok, ok, ok, ok, ok}},
			{"GET", "/admin/conversions", nil, [5]int{ok, ok, ok, ok, ok}},
			{"GET", "/admin/programs/" + linked.ID + "/plans", nil, [5]int{ok, ok, ok, ok, ok}},
			{"POST", "/admin/programs/" + linked.ID + "/plans", url.Values{"name": {"Plan %s"}, "rules": {`[{"key": "s", "triggers": ["first_sale"], "kind": "fixed", "amount": 100}]`}},
				[5]int{redirect, redirect, redirect, forbidden, forbidden}},
			{"POST", "/admin/programs/" + linked.ID + "/plan-assignments", url.Values{"target": {""}}, [5]int{400, 400, 400, forbidden, forbidden}},
			{"POST", "/admin/commissions/decide", url.Values{"ids": {"com_%s"}, "action": {"approve"}}, [5]int{redirect, redirect, forbidden, redirect, forbidden}},
			{"GET", "/admin/payouts", nil, [5]int{ok, ok, ok, ok, ok}},
			{"GET", "/admin/payouts/lines.csv", nil, [5]int{ok, ok, ok, ok, ok}},
			{"GET", "/admin/payouts/balances.csv", nil, [5]int{ok, ok, ok, ok, ok}},
			{"GET", "/admin/programs/" + payProg.ID + "/payouts", nil, [5]int{ok, ok, ok, ok, ok}},
			{"POST", "/admin/programs/" + payProg.ID + "/payouts", url.Values{"schedule": {"manual"}, "methods": {"paypal"}}, [5]int{redirect, redirect, forbidden, redirect, forbidden}},
			{"POST", "/admin/payouts/propose", url.Values{"program_id": {payProg.ID}}, [5]int{redirect, redirect, forbidden, redirect, forbidden}},
			{"POST", "/admin/payouts/pbt_x/approve", nil, [5]int{redirect, redirect, forbidden, redirect, forbidden}},
			{"POST", "/admin/payouts/pbt_x/paid", url.Values{"reference": {"r-%s"}}, [5]int{redirect, redirect, forbidden, redirect, forbidden}},
			{"GET", "/admin/payouts/pbt_x/export/paypal", nil, [5]int{404, 404, forbidden, 404, forbidden}},
			{"POST", "/admin/team/invite", url.Values{"email": {"new-%s@example.com"}, "role": {"read_only"}}, [5]int{redirect, redirect, forbidden, forbidden, forbidden}},
			{"POST", "/admin/team/" + target + "/role", url.Values{"role": {"read_only"}}, [5]int{redirect, redirect, forbidden, forbidden, forbidden}},
			{"POST", "/admin/api-keys", url.Values{"name": {"k"}, "scope": {"read"}}, [5]int{201, 201, forbidden, forbidden, forbidden}},
			{"POST", "/admin/api-keys/" + key.ID + "/revoke", nil, [5]int{redirect, 404, forbidden, forbidden, forbidden}},
			{"GET", "/admin/referrals", nil, [5]int{ok, ok, ok, ok, ok}},
			{"GET", "/admin/referrals/" + ref.ID, nil, [5]int{ok, ok, ok, ok, ok}},
			// Past the permission check, customer is refused by the pipeline (400): no state changes between roles.
			{"POST", "/admin/referrals/" + ref.ID + "/status", url.Values{"status": {"customer"}}, [5]int{400, 400, 400, forbidden, forbidden}},
		})
		// The UI hides what the role may not do.
		if r := clients[tandem.RoleReadOnly].get("/admin/team"); strings.Contains(r.body, "Invite a teammate") || strings.Contains(r.body, `href="/admin/audit"`) {
			t.Error("a read-only user sees the invite form or the audit log link")
		}
		if r := clients[tandem.RoleOwner].get("/admin/team"); !strings.Contains(r.body, "Invite a teammate") || !strings.Contains(r.body, `href="/admin/audit"`) {
			t.Error("the owner does not see the invite form or the audit log link")
		}
		// Admins may not make owners, even by posting the form by hand.
		if r := clients[tandem.RoleAdmin].post("/admin/team/invite", url.Values{"email": {"o2@example.com"}, "role": {"owner"}}); r.status != forbidden {
			t.Errorf("admin invites an owner = %d; want 403", r.status)
		}
		// Partners have no business in the admin, nor users in the portal.
		partner := a.client()
		a.partnerIn("matrix", "p@example.com")
		partner.signIn(tandem.PrincipalPartner, "p@example.com", "password of p@example.com")
		if r := partner.get("/admin"); r.status != redirect || !strings.HasPrefix(r.location, "/login") {
			t.Errorf("partner opens /admin = %d %q", r.status, r.location)
		}
		if r := partner.post("/admin/team/invite", url.Values{"email": {"x@example.com"}, "role": {"owner"}}); r.status != http.StatusUnauthorized {
			t.Errorf("partner posts an invitation = %d; want 401", r.status)
		}
		if r := clients[tandem.RoleOwner].get("/portal"); r.status != redirect || !strings.HasPrefix(r.location, "/portal/login") {
			t.Errorf("owner opens /portal = %d %q", r.status, r.location)
		}
	})
}

// A partner sees only its own data: every portal route is tried with a
// second partner's IDs.
func TestPartnersSeeOnlyTheirOwnData(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a := newApp(t, db, "http://127.0.0.1")
		mine := a.partnerIn("mine", "me@example.com")
		theirs := a.partnerIn("theirs", "them@example.com")
		me := a.client()
		me.signIn(tandem.PrincipalPartner, "me@example.com", "password of me@example.com")

		if r := me.get("/portal"); r.status != 200 || !strings.Contains(r.body, "Program mine") || strings.Contains(r.body, "Program theirs") {
			t.Errorf("portal home = %d, shows another partner's program: %v", r.status, strings.Contains(r.body, "Program theirs"))
		}
		if r := me.get("/portal/programs/" + mine.ID); r.status != 200 {
			t.Errorf("own program = %d", r.status)
		}
		for _, path := range []string{"/portal/programs/" + theirs.ID, "/portal/programs/prg_doesnotexist"} {
			if r := me.get(path); r.status != 404 || strings.Contains(r.body, "Program theirs") {
				t.Errorf("%s = %d; want 404 with nothing of theirs", path, r.status)
			}
		}
		// Referrals: another partner's is not found, and deals go only into
		// the partner's own programs.
		theirRef, err := sqldb.NewReferralService(db).CreateReferral(context.Background(), tandem.ReferralInput{ProgramID: theirs.ID,
			PartnerID: viewerPartnerID(t, a, "them@example.com"), Source: tandem.ReferralFromAPI, Email: "secret@lead.example"})
		if err != nil {
			t.Fatal(err)
		}
		if r := me.get("/portal/referrals/" + theirRef.ID); r.status != 404 || strings.Contains(r.body, "secret@lead.example") {
			t.Errorf("their referral = %d; want 404", r.status)
		}
		if r := me.get("/portal/referrals"); r.status != 200 || strings.Contains(r.body, "secret@lead.example") || strings.Contains(r.body, "Program theirs") {
			t.Errorf("referral list = %d, shows theirs", r.status)
		}
		if r := me.post("/portal/referrals", url.Values{"program_id": {theirs.ID}, "email": {"x@lead.example"}}); r.status != 400 {
			t.Errorf("register a deal in their program = %d; want 400", r.status)
		}
		if rs, _ := sqldb.NewReferralService(db).FindReferrals(context.Background(), tandem.ReferralFilter{ProgramID: theirs.ID}); len(rs) != 1 {
			t.Errorf("%d referrals in their program; want 1", len(rs))
		}
		// Account pages act on the signed-in partner user only.
		if r := me.get("/portal/account"); r.status != 200 || strings.Contains(r.body, "them@example.com") {
			t.Errorf("account page = %d", r.status)
		}
		if r := me.post("/portal/account/password", url.Values{"current_password": {"password of me@example.com"}, "password": {"my brand new password"}}); r.status != 303 {
			t.Fatalf("change own password = %d", r.status)
		}
		a.client().signIn(tandem.PrincipalPartner, "them@example.com", "password of them@example.com") // theirs unchanged

		// Payouts: the page shows only my method; a statement of a line
		// that is not mine is not found (TestPayoutScreens tries a real one).
		theirID := viewerPartnerID(t, a, "them@example.com")
		if _, err := sqldb.NewPayoutService(db).SetMethod(context.Background(), theirID, tandem.MethodPayPal, map[string]string{"email": "their-paypal@example.com"}); err != nil {
			t.Fatal(err)
		}
		if r := me.get("/portal/payouts"); r.status != 200 || strings.Contains(r.body, "th…@example.com") {
			t.Errorf("payouts page = %d, shows their method: %v", r.status, strings.Contains(r.body, "th…@example.com"))
		}
		if r := me.get("/portal/payouts/pay_doesnotexist/statement"); r.status != 404 {
			t.Errorf("unknown statement = %d", r.status)
		}
	})
}
