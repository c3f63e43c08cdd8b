package http_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/jobs"
	"github.com/tandem-prm/tandem/mail"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// invitationLink returns the path of the newest invitation emailed to the
// address (/p/SLUG?invite=TOKEN) and its token.
func invitationLink(t *testing.T, db *sqldb.DB, to string) (path, token string) {
	t.Helper()
	var data string
	if err := db.InTx(context.Background(), func(tx *sql.Tx) error {
		return tx.QueryRow(`SELECT data FROM emails WHERE to_address = $1 AND template = 'partner_invite'
			ORDER BY created_at DESC, id DESC LIMIT 1`, to).Scan(&data)
	}); err != nil {
		t.Fatalf("no invitation emailed to %s: %v", to, err)
	}
	var fields struct{ LinkPath string }
	if err := json.Unmarshal([]byte(data), &fields); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(fields.LinkPath)
	if err != nil {
		t.Fatal(err)
	}
	return fields.LinkPath, u.Query().Get("invite")
}

// invitationApp is a server with an owner, a manager (Mia), finance and
// read-only users, signed in, and two programs: one whose invitees skip
// review, one that reviews them.
type invitationApp struct {
	*app
	owner                  *tandem.User
	mia, finance, readOnly *client
	skip, review           *tandem.Program
}

func newInvitationApp(t *testing.T, db *sqldb.DB) *invitationApp {
	t.Helper()
	a := &invitationApp{app: newApp(t, db, "http://127.0.0.1")}
	ctx := context.Background()
	var err error
	if a.owner, err = a.accounts.CreateOwner(ctx, "owner@example.com", "Olivia", "password of owner@example.com"); err != nil {
		t.Fatal(err)
	}
	for email, c := range map[string]**client{"mia@example.com": &a.mia, "fin@example.com": &a.finance, "ro@example.com": &a.readOnly} {
		role := map[string]tandem.Role{"mia@example.com": tandem.RoleManager, "fin@example.com": tandem.RoleFinance, "ro@example.com": tandem.RoleReadOnly}[email]
		a.user(a.owner.ID, email, role)
		*c = a.client()
		(*c).signIn(tandem.PrincipalUser, email, "password of "+email)
	}
	a.skip = &tandem.Program{Name: "Happy Customers", Slug: "happy", Type: tandem.ProgramReferral, Currency: "USD", InvitesSkipReview: true}
	a.review = &tandem.Program{Name: "Resellers", Slug: "resell", Type: tandem.ProgramReseller, Currency: "EUR"}
	for _, p := range []*tandem.Program{a.skip, a.review} {
		if err := a.programs.CreateProgram(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

func TestInviteToAProgramAndApplyWithTheLink(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		// The clock moves on by an offset, set without racing the server's reads.
		var ahead atomic.Int64
		db.Now = func() time.Time { return time.Now().UTC().Add(time.Duration(ahead.Load())) }
		a := newInvitationApp(t, db)
		ctx := context.Background()
		base := "/admin/programs/" + a.skip.ID + "/invitations"
		if r := a.mia.get("/admin/programs/" + a.skip.ID); !strings.Contains(r.body, `href="`+base+`"`) {
			t.Error("the program page does not link to its invitations")
		}
		if r := a.mia.get(base); r.status != 200 || !strings.Contains(r.body, "Invite someone") || !strings.Contains(r.body, "No invitations yet") ||
			!strings.Contains(r.body, "<code>name</code>, <code>email</code> and <code>company</code>") {
			t.Fatalf("invitations page = %d", r.status)
		}
		if r := a.mia.post(base, url.Values{"name": {"Kari"}, "email": {"kari@"}}); r.status != 400 || !strings.Contains(r.body, `aria-describedby="e-email"`) || !strings.Contains(r.body, `value="Kari"`) {
			t.Errorf("bad email = %d; want the error next to the field and the form kept", r.status)
		}
		invite := url.Values{"name": {"Kari Nordmann"}, "email": {"Kari@Example.com"}, "company": {"Fjord AS"}}
		if r := a.mia.post(base, invite); r.status != http.StatusSeeOther || r.location != base {
			t.Fatalf("invite = %d %q", r.status, r.location)
		}
		if r := a.mia.get(base); !strings.Contains(r.body, "Invitation sent to kari@example.com.") || !strings.Contains(r.body, "Kari Nordmann") ||
			!strings.Contains(r.body, `badge sent`) || !strings.Contains(r.body, "Test manager") {
			t.Error("the list does not show the sent invitation and who sent it")
		}
		link, token := invitationLink(t, db, "kari@example.com")
		if link != "/p/happy?invite="+url.QueryEscape(token) {
			t.Errorf("link = %q", link)
		}

		// The emailed link opens the public page filled in.
		kari := a.client()
		page := kari.get(link)
		for _, want := range []string{`value="Kari Nordmann"`, `value="kari@example.com"`, `value="Fjord AS"`, "You were invited by Test manager.",
			"approved as soon as you send this form", `name="invite" value="` + token + `"`} {
			if page.status != 200 || !strings.Contains(page.body, want) {
				t.Errorf("invited public page = %d, lacks %q", page.status, want)
			}
		}
		apply := url.Values{"name": {"Kari Nordmann"}, "email": {"someone@example.com"}, "kind": {"person"}, "invite": {token}}
		if r := kari.post("/p/happy/apply", apply); r.status != 400 || !strings.Contains(r.body, "This invitation is for another address.") ||
			!strings.Contains(r.body, `aria-describedby="e-email"`) || !strings.Contains(r.body, `name="invite" value="`+token+`"`) {
			t.Errorf("apply from another address = %d; want the error on email and the invitation kept", r.status)
		}
		if ps, _ := a.partners.FindPartners(ctx, tandem.PartnerFilter{}); len(ps) != 0 {
			t.Fatalf("a refused application stored %d partners", len(ps))
		}
		apply.Set("email", "kari@example.com")
		if r := kari.post("/p/happy/apply", apply); r.status != http.StatusCreated || !strings.Contains(r.body, "Welcome to Happy Customers") {
			t.Fatalf("apply with the invitation = %d", r.status)
		}
		ms, _ := a.partners.FindMemberships(ctx, tandem.MembershipFilter{ProgramID: a.skip.ID})
		partner, _ := a.partners.FindPartnerByID(ctx, ms[0].PartnerID)
		if len(ms) != 1 || ms[0].Status != tandem.MembershipApproved || partner.Source != tandem.SourceInvited {
			t.Errorf("membership %+v of a partner from %s; want approved and invited", ms[0], partner.Source)
		}
		if r := a.mia.get(base); !strings.Contains(r.body, `badge accepted`) {
			t.Error("the list does not show the invitation accepted")
		}

		// The link works once: the page and the form refuse it after.
		if r := kari.get(link); r.status != 400 || !strings.Contains(r.body, "already been used") || strings.Contains(r.body, `name="invite"`) {
			t.Errorf("used link page = %d", r.status)
		}
		if r := kari.post("/p/happy/apply", apply); r.status != 400 || !strings.Contains(r.body, "already been used") {
			t.Errorf("apply with a used link = %d", r.status)
		}
		if r := a.mia.post(base, invite); r.status != http.StatusConflict || !strings.Contains(r.body, "already in this program") {
			t.Errorf("invite a partner of the program = %d", r.status)
		}

		// Where invitees are reviewed, the application waits.
		reviewBase := "/admin/programs/" + a.review.ID + "/invitations"
		if r := a.mia.post(reviewBase, url.Values{"name": {"Ola"}, "email": {"ola@example.com"}}); r.status != http.StatusSeeOther {
			t.Fatalf("invite = %d", r.status)
		}
		olaLink, olaToken := invitationLink(t, db, "ola@example.com")
		if r := a.client().get(olaLink); strings.Contains(r.body, "approved as soon as") || !strings.Contains(r.body, "You were invited by") {
			t.Error("a reviewing program's page promises approval")
		}

		// Another program's link is refused on every partner-facing route,
		// and shows nothing of its invitee.
		stranger := a.client()
		if r := stranger.get("/p/happy?invite=" + url.QueryEscape(olaToken)); r.status != 400 || !strings.Contains(r.body, "another program") ||
			strings.Contains(r.body, "ola@example.com") || strings.Contains(r.body, `name="invite"`) {
			t.Errorf("page with another program's link = %d", r.status)
		}
		if r := stranger.post("/p/happy/apply", url.Values{"name": {"Ola"}, "email": {"ola@example.com"}, "invite": {olaToken}}); r.status != 400 || !strings.Contains(r.body, "another program") {
			t.Errorf("apply with another program's link = %d", r.status)
		}
		if ms, _ := a.partners.FindMemberships(ctx, tandem.MembershipFilter{}); len(ms) != 1 {
			t.Errorf("refused links stored memberships: %d", len(ms))
		}
		if r := a.client().post("/p/resell/apply", url.Values{"name": {"Ola"}, "email": {"ola@example.com"}, "invite": {olaToken}}); r.status != http.StatusCreated ||
			!strings.Contains(r.body, "Thank you for applying") {
			t.Errorf("apply to a reviewing program = %d", r.status)
		}

		// Sending again kills the old link; withdrawing kills the new one.
		if r := a.mia.post(base, url.Values{"email": {"per@example.com"}}); r.status != http.StatusSeeOther {
			t.Fatal(r.status)
		}
		_, oldToken := invitationLink(t, db, "per@example.com")
		if r := a.mia.post(base, url.Values{"email": {"per@example.com"}}); r.status != http.StatusSeeOther {
			t.Fatal(r.status)
		}
		if r := a.mia.get(base); !strings.Contains(r.body, "Invitation sent again to per@example.com. The earlier link no longer works.") {
			t.Error("no word that the earlier link died")
		}
		if r := a.client().post("/p/happy/apply", url.Values{"name": {"Per"}, "email": {"per@example.com"}, "invite": {oldToken}}); r.status != 400 || !strings.Contains(r.body, "not valid") {
			t.Errorf("apply with a replaced link = %d", r.status)
		}
		_, newToken := invitationLink(t, db, "per@example.com")
		invs, _ := sqldb.NewInvitationService(db).FindInvitations(ctx, tandem.InvitationFilter{Email: "per@example.com"})
		if r := a.mia.post(base+"/"+invs[0].ID+"/revoke", nil); r.status != http.StatusSeeOther {
			t.Errorf("withdraw = %d", r.status)
		}
		if r := a.mia.post(reviewBase+"/"+invs[0].ID+"/revoke", nil); r.status != 404 {
			t.Errorf("withdraw through another program = %d; want 404", r.status)
		}
		if r := a.client().post("/p/happy/apply", url.Values{"name": {"Per"}, "email": {"per@example.com"}, "invite": {newToken}}); r.status != 400 || !strings.Contains(r.body, "withdrawn") {
			t.Errorf("apply with a withdrawn link = %d", r.status)
		}

		// Finance and read-only users see the page and may send nothing.
		for role, c := range map[string]*client{"read_only": a.readOnly, "finance": a.finance} {
			if r := c.get(base); r.status != 200 || strings.Contains(r.body, "Invite someone") || strings.Contains(r.body, "Upload and invite") {
				t.Errorf("%s invitations page = %d, shows the forms", role, r.status)
			}
			for _, path := range []string{base, base + "/" + invs[0].ID + "/revoke"} {
				if r := c.post(path, url.Values{"email": {"x@example.com"}}); r.status != http.StatusForbidden {
					t.Errorf("%s POST %s = %d; want 403", role, path, r.status)
				}
			}
			if r := c.libUpload(base+"/import", nil, "people.csv", []byte("email\nx@example.com\n")); r.status != http.StatusForbidden {
				t.Errorf("%s import = %d; want 403", role, r.status)
			}
		}

		// An expired link is refused, and stores nothing.
		if r := a.mia.post(base, url.Values{"email": {"late@example.com"}}); r.status != http.StatusSeeOther {
			t.Fatal(r.status)
		}
		_, lateToken := invitationLink(t, db, "late@example.com")
		ahead.Store(int64(31 * 24 * time.Hour))
		if r := a.client().post("/p/happy/apply", url.Values{"name": {"Late"}, "email": {"late@example.com"}, "invite": {lateToken}}); r.status != 400 || !strings.Contains(r.body, "expired") {
			t.Errorf("apply with an expired link = %d", r.status)
		}
		if ps, _ := a.partners.FindPartners(ctx, tandem.PartnerFilter{Email: "late@example.com"}); len(ps) != 0 {
			t.Error("an expired link stored a partner")
		}
	})
}

func TestImportInvitationsFromACSVFile(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a := newInvitationApp(t, db)
		ctx := context.Background()
		base := "/admin/programs/" + a.skip.ID + "/invitations"
		// A partner of the program, and an open invitation.
		if _, err := sqldb.NewRecruitingService(db).Apply(ctx, &tandem.Application{ProgramID: a.skip.ID, Name: "Mona", Email: "member@example.com"}); err != nil {
			t.Fatal(err)
		}
		if r := a.mia.post(base, url.Values{"email": {"open@example.com"}}); r.status != http.StatusSeeOther {
			t.Fatal(r.status)
		}

		file := "\ufeffname;email;company\r\nAda;ada@example.com;Lovelace Ltd\r\nBad;not-an-email;\r\nAda again;ada@example.com;\r\n" +
			"Mona;member@example.com;\r\nOda;open@example.com;\r\nBen;ben@example.com;Ben & Co\r\n"
		r := a.mia.libUpload(base+"/import", nil, "customers.csv", []byte(file))
		importPath := regexp.MustCompile(`^` + regexp.QuoteMeta(base) + `/imports/imp_[a-z2-7]{26}$`)
		if r.status != http.StatusSeeOther || !importPath.MatchString(r.location) {
			t.Fatalf("upload = %d %q %s", r.status, r.location, r.body)
		}
		// Before the job runs, the page shows the progress and polls for it.
		page := a.mia.get(r.location)
		for _, want := range []string{"customers.csv uploaded: inviting 6 people.", `<progress value="2" max="6"`, `hx-trigger="every 1s"`,
			`hx-get="` + r.location + `"`, "2 of 6"} {
			if page.status != 200 || !strings.Contains(page.body, want) {
				t.Errorf("import page = %d, lacks %q", page.status, want)
			}
		}
		if fragment := a.mia.get(r.location, "HX-Request", "true"); fragment.status != 200 || strings.Contains(fragment.body, "<html") ||
			!strings.HasPrefix(strings.TrimSpace(fragment.body), `<div class="card" id="import-progress"`) {
			t.Errorf("progress fragment = %d %q", fragment.status, fragment.body)
		}
		if r := a.mia.get(base); !strings.Contains(r.body, "customers.csv") || !strings.Contains(r.body, "badge queued") {
			t.Error("the invitations page does not list the import")
		}

		// A real job runner works the import (and sends the emails).
		runner, err := jobs.New(db, jobs.Services{Audit: sqldb.NewAuditService(db), Emails: sqldb.NewEmailService(db),
			Accounts: a.accounts, Invitations: sqldb.NewInvitationService(db)},
			jobs.Config{Logger: sqldbtest.Logger(t), PollInterval: 50 * time.Millisecond, Mailer: mail.NewDirSender(t.TempDir()), BaseURL: "http://127.0.0.1"})
		if err != nil {
			t.Fatal(err)
		}
		if err := runner.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = runner.Stop(stopCtx)
		})
		var fragment response
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			if fragment = a.mia.get(r.location, "HX-Request", "true"); !strings.Contains(fragment.body, "hx-trigger") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the import did not finish: %s", fragment.body)
			}
		}
		for _, want := range []string{"Import finished", "6 of 6</strong> rows processed: 2 invited, 4 skipped, 0 failed.",
			"Invalid email address.", "Duplicate in the file: the same email is on line 2.", "Already in this program (pending).",
			"the invitation is still open.", "Ben &amp; Co"} {
			if !strings.Contains(fragment.body, want) {
				t.Errorf("finished report lacks %q", want)
			}
		}
		if n := strings.Count(fragment.body, `<span class="badge approved">invited</span>`); n != 2 {
			t.Errorf("%d rows reported invited; want 2", n)
		}
		for email, want := range map[string]int{"ada@example.com": 1, "ben@example.com": 1, "open@example.com": 1, "member@example.com": 0} {
			if n := emailsTo(t, db, email, "partner_invite"); n != want {
				t.Errorf("%d invitations to %s; want %d", n, email, want)
			}
		}
		// The emailed link works for an imported invitee.
		link, _ := invitationLink(t, db, "ben@example.com")
		if r := a.client().get(link); !strings.Contains(r.body, `value="Ben &amp; Co"`) {
			t.Error("an imported invitee's page is not filled in")
		}

		// Files that cannot be imported are refused whole, with the reason
		// next to the file field. Files over the UI's usual 1 MiB are read.
		var tooMany strings.Builder
		tooMany.WriteString("name,email,company\n")
		for i := range tandem.MaxImportRows + 1 {
			fmt.Fprintf(&tooMany, "Person %d,p%d@example.com,\n", i, i)
		}
		noHeader := "Kari Nordmann,kari@example.com,Fjord AS\n"
		bigNoHeader := strings.Repeat("Kari Nordmann,kari@example.com,"+strings.Repeat("x", 200)+"\n", 6000) // 1.4 MiB
		for _, tt := range []struct {
			name string
			data []byte
			want string
		}{
			{"5,001 rows", []byte(tooMany.String()), "more than 5,000 people"},
			{"no header", []byte(noHeader), "The first row must be a header naming the columns: name, email, company"},
			{"1.4 MiB without a header", []byte(bigNoHeader), "The first row must be a header"},
			{"over 2 MiB", bytes.Repeat([]byte("email\n"), 400_000), "at most 2 MB"},
			{"no file", nil, "Choose a CSV file to upload."},
		} {
			name := "people.csv"
			if tt.data == nil {
				name = ""
			}
			r := a.mia.libUpload(base+"/import", nil, name, tt.data)
			if r.status != 400 || !strings.Contains(r.body, tt.want) || !strings.Contains(r.body, `aria-describedby="e-file"`) {
				t.Errorf("%s = %d; want 400 saying %q next to the file", tt.name, r.status, tt.want)
			}
		}
		if imports, _ := sqldb.NewInvitationService(db).FindImports(ctx, a.skip.ID); len(imports) != 1 {
			t.Errorf("%d imports stored; want only the good one", len(imports))
		}
		if r := a.mia.get("/admin/programs/" + a.review.ID + "/invitations/imports/" + strings.TrimPrefix(r.location, base+"/imports/")); r.status != 404 {
			t.Errorf("an import through another program = %d; want 404", r.status)
		}
	})
}
