package sqldb_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/mail"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// agreementFixture is a program with partners in every membership status,
// and a partner of another program, each with portal users.
type agreementFixture struct {
	program, other          *tandem.Program
	approved                *tandem.Partner
	approvedUser, teammate  *tandem.PartnerUser
	pendingUser, outsider   *tandem.PartnerUser
	suspendedUser, rejected *tandem.PartnerUser
}

func newAgreementFixture(t *testing.T, db *sqldb.DB) *agreementFixture {
	t.Helper()
	ctx := context.Background()
	programs, partners, accounts := sqldb.NewProgramService(db), sqldb.NewPartnerService(db), sqldb.NewAccountService(db)
	var f agreementFixture
	f.program = &tandem.Program{Name: "Fjordline Customer Referral Program", Slug: "fjordline", Type: tandem.ProgramReferral, Currency: "NOK"}
	f.other = &tandem.Program{Name: "Other Program", Slug: "other", Type: tandem.ProgramAffiliate, Currency: "USD", AutoApprove: true}
	for _, p := range []*tandem.Program{f.program, f.other} {
		if err := programs.CreateProgram(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	// partner joins the program and is moved through the statuses; it gets
	// one portal user per email.
	partner := func(name string, program *tandem.Program, path []tandem.MembershipStatus, emails ...string) (*tandem.Partner, []*tandem.PartnerUser) {
		t.Helper()
		p := &tandem.Partner{Name: name, Email: emails[0]}
		if err := partners.CreatePartner(ctx, p); err != nil {
			t.Fatal(err)
		}
		m, err := partners.JoinProgram(ctx, program.ID, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, to := range path {
			if m, err = partners.SetMembershipStatus(ctx, m.ID, to, "because"); err != nil {
				t.Fatal(err)
			}
		}
		var users []*tandem.PartnerUser
		for _, email := range emails {
			pu, err := accounts.CreatePartnerUser(ctx, p.ID, email, "User "+email)
			if err != nil {
				t.Fatal(err)
			}
			users = append(users, pu)
		}
		return p, users
	}
	approved := []tandem.MembershipStatus{tandem.MembershipApproved}
	var users []*tandem.PartnerUser
	f.approved, users = partner("Approved Partner", f.program, approved, "ingrid@approved.example", "ola@approved.example")
	f.approvedUser, f.teammate = users[0], users[1]
	_, users = partner("Pending Partner", f.program, nil, "per@pending.example")
	f.pendingUser = users[0]
	_, users = partner("Suspended Partner", f.program, []tandem.MembershipStatus{tandem.MembershipApproved, tandem.MembershipSuspended}, "sara@suspended.example")
	f.suspendedUser = users[0]
	_, users = partner("Rejected Partner", f.program, []tandem.MembershipStatus{tandem.MembershipRejected}, "rolf@rejected.example")
	f.rejected = users[0]
	_, users = partner("Outside Partner", f.other, nil, "otto@outside.example") // auto-approved in the other program
	f.outsider = users[0]
	return &f
}

// queuedEmail is one agreement_updated email in the outbox.
type queuedEmail struct {
	to   string
	data map[string]any
}

// agreementEmails returns the agreement_updated emails in the outbox, by address.
func agreementEmails(t *testing.T, db *sqldb.DB) []queuedEmail {
	t.Helper()
	var out []queuedEmail
	err := db.InTx(context.Background(), func(tx *sql.Tx) error {
		rows, err := tx.Query(`SELECT to_address, data FROM emails WHERE template = 'agreement_updated' ORDER BY to_address, created_at`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e queuedEmail
			var data string
			if err := rows.Scan(&e.to, &data); err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(data), &e.data); err != nil {
				return err
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// auditActions returns the actions of the audit entries about the entity, oldest first.
func auditActions(t *testing.T, db *sqldb.DB, entityID string) []*tandem.AuditEntry {
	t.Helper()
	entries, err := sqldb.NewAuditService(db).FindAuditEntries(context.Background(), tandem.AuditFilter{EntityID: entityID})
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(entries)
	return entries
}

func TestPublishAgreement(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newAgreementFixture(t, db)
		s := sqldb.NewAgreementService(db)
		ctx := tandem.WithActor(context.Background(), tandem.Actor{Kind: tandem.ActorUser, ID: "usr_manager", IP: "192.0.2.10"})

		// Nothing published yet.
		if _, err := s.CurrentAgreement(ctx, f.program.ID); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("current agreement before any = %v; want not found", err)
		}
		if vs, err := s.FindAgreementVersions(ctx, f.program.ID); err != nil || len(vs) != 0 {
			t.Errorf("versions before any = %v, %v", vs, err)
		}
		if st, err := s.AgreementStatus(ctx, f.program.ID, f.approved.ID); err != nil || st.Current != nil || st.NeedsAcceptance {
			t.Errorf("status before any = %+v, %v", st, err)
		}
		for _, bad := range []struct{ title, body, field string }{
			{"", "Terms", "title"},
			{strings.Repeat("t", 201), "Terms", "title"},
			{"Terms", " \n ", "body"},
			{"Terms", strings.Repeat("b", 100001), "body"},
		} {
			if _, err := s.PublishAgreement(ctx, f.program.ID, bad.title, bad.body); tandem.ErrorField(err) != bad.field {
				t.Errorf("publish %q/%d chars = %v; want an error on %s", bad.title, len(bad.body), err, bad.field)
			}
		}
		for _, call := range []func() error{
			func() error { _, err := s.PublishAgreement(ctx, "prg_missing", "T", "B"); return err },
			func() error { _, err := s.CurrentAgreement(ctx, "prg_missing"); return err },
			func() error { _, err := s.FindAgreementVersions(ctx, "prg_missing"); return err },
			func() error { _, err := s.FindAcceptances(ctx, "prg_missing"); return err },
			func() error { _, err := s.AgreementStatus(ctx, "prg_missing", f.approved.ID); return err },
		} {
			if err := call(); tandem.ErrorCode(err) != tandem.ENOTFOUND {
				t.Errorf("unknown program: %v; want not found", err)
			}
		}
		if got := agreementEmails(t, db); len(got) != 0 {
			t.Fatalf("refused publishes queued %d emails", len(got))
		}

		v1, err := s.PublishAgreement(ctx, f.program.ID, " Partner terms ", "# Terms\r\n\r\nRefer **customers**.")
		if err != nil {
			t.Fatal(err)
		}
		if v1.Version != 1 || !tandem.HasPrefix(v1.ID, tandem.PrefixAgreementVersion) || v1.Title != "Partner terms" ||
			v1.Body != "# Terms\n\nRefer **customers**." || v1.PublishedBy != "usr_manager" || v1.PublishedAt.IsZero() {
			t.Errorf("v1 = %+v", v1)
		}
		v2, err := s.PublishAgreement(ctx, f.program.ID, "Partner terms 2", "New commission rates.")
		if err != nil {
			t.Fatal(err)
		}
		if v2.Version != 2 {
			t.Errorf("second version is number %d", v2.Version)
		}
		// Another program counts its own versions.
		if o1, err := s.PublishAgreement(ctx, f.other.ID, "Other terms", "Other."); err != nil || o1.Version != 1 {
			t.Errorf("other program's first version = %+v, %v", o1, err)
		}
		if cur, err := s.CurrentAgreement(ctx, f.program.ID); err != nil || cur.ID != v2.ID || cur.Body != v2.Body {
			t.Errorf("current = %+v, %v; want v2", cur, err)
		}
		vs, err := s.FindAgreementVersions(ctx, f.program.ID)
		if err != nil || len(vs) != 2 || vs[0].ID != v2.ID || vs[1].ID != v1.ID || vs[1].Title != "Partner terms" {
			t.Errorf("versions = %+v, %v; want v2, v1", vs, err)
		}

		for _, v := range []*tandem.AgreementVersion{v1, v2} {
			entries := auditActions(t, db, v.ID)
			if len(entries) != 1 || entries[0].Action != "agreement.publish" || entries[0].ActorID != "usr_manager" || entries[0].IP != "192.0.2.10" ||
				!strings.Contains(entries[0].Detail, fmt.Sprintf(`"version":%d`, v.Version)) {
				t.Errorf("audit of version %d = %+v", v.Version, entries)
			}
		}

		// Each publish emailed the users of approved partners only: not the
		// pending, suspended or rejected ones, nor another program's.
		emails := agreementEmails(t, db)
		var to []string
		for _, e := range emails {
			to = append(to, e.to)
		}
		want := []string{"ingrid@approved.example", "ingrid@approved.example", "ola@approved.example", "ola@approved.example", "otto@outside.example"}
		if !slices.Equal(to, want) {
			t.Fatalf("agreement emails went to %q; want %q", to, want)
		}
		e := emails[1] // ingrid's for version 2
		for _, field := range []string{"RecipientName", "LinkPath", "ExpiresIn", "ProductName", "InviterName", "Role", "ProgramName", "Version"} {
			if _, ok := e.data[field]; !ok {
				t.Errorf("email data lacks %s: %v", field, e.data)
			}
		}
		if e.data["LinkPath"] != "/portal/programs/"+f.program.ID+"/agreement" || e.data["ProgramName"] != f.program.Name ||
			e.data["RecipientName"] != "User ingrid@approved.example" {
			t.Errorf("email data = %v", e.data)
		}
		// Rendered as the mail job does it: a map, with Link made from LinkPath.
		e.data["Link"] = "https://partners.example" + e.data["LinkPath"].(string)
		subject, text, html, err := mail.Render("agreement_updated", e.data)
		if err != nil {
			t.Fatal(err)
		}
		if subject != "New terms to accept for Fjordline Customer Referral Program" {
			t.Errorf("subject = %q", subject)
		}
		for _, part := range []string{text, html} {
			if !strings.Contains(part, "Hello User ingrid@approved.example,") || !strings.Contains(part, "(version 2)") ||
				!strings.Contains(part, "https://partners.example/portal/programs/"+f.program.ID+"/agreement") || strings.Contains(part, "no value") {
				t.Errorf("rendered email:\n%s", part)
			}
		}
	})
}

func TestAcceptAgreement(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newAgreementFixture(t, db)
		s := sqldb.NewAgreementService(db)
		admin := context.Background()
		now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { now = now.Add(time.Minute); return now } // every write a minute later
		v1, err := s.PublishAgreement(admin, f.program.ID, "Terms", "Version one.")
		if err != nil {
			t.Fatal(err)
		}
		partnerCtx := func(pu *tandem.PartnerUser, ua string) context.Context {
			ctx := tandem.WithActor(context.Background(), tandem.Actor{Kind: tandem.ActorPartner, ID: pu.ID, IP: "198.51.100.7"})
			return tandem.WithUserAgent(ctx, ua)
		}
		ctx := partnerCtx(f.approvedUser, "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0")

		if st, err := s.AgreementStatus(ctx, f.program.ID, f.approved.ID); err != nil || !st.NeedsAcceptance || st.Current.ID != v1.ID || st.Accepted != nil {
			t.Errorf("status before accepting = %+v, %v", st, err)
		}
		for _, name := range []string{"", " ", "I"} {
			if _, err := s.AcceptAgreement(ctx, f.approvedUser.ID, f.program.ID, v1.ID, name); tandem.ErrorField(err) != "full_name" {
				t.Errorf("accept with name %q = %v; want an error on full_name", name, err)
			}
		}
		a, err := s.AcceptAgreement(ctx, f.approvedUser.ID, f.program.ID, v1.ID, "  Ingrid Hansen ")
		if err != nil {
			t.Fatal(err)
		}
		if a.ProgramID != f.program.ID || a.PartnerID != f.approved.ID || a.VersionID != v1.ID || a.Version != 1 || a.PartnerUserID != f.approvedUser.ID ||
			a.FullName != "Ingrid Hansen" || a.IP != "198.51.100.7" || a.UserAgent != "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0" || a.AcceptedAt.IsZero() {
			t.Errorf("acceptance = %+v", a)
		}
		st, err := s.AgreementStatus(ctx, f.program.ID, f.approved.ID)
		if err != nil || st.NeedsAcceptance || st.Accepted == nil || st.Accepted.FullName != "Ingrid Hansen" || st.Accepted.IP != "198.51.100.7" {
			t.Errorf("status after accepting = %+v, %v", st, err)
		}

		// Accepting again, by anyone of the partner, returns the first acceptance.
		again, err := s.AcceptAgreement(partnerCtx(f.teammate, "curl/8"), f.teammate.ID, f.program.ID, v1.ID, "Ola Nordmann")
		if err != nil {
			t.Fatal(err)
		}
		if again.FullName != "Ingrid Hansen" || again.PartnerUserID != f.approvedUser.ID || !again.AcceptedAt.Equal(a.AcceptedAt) || again.UserAgent != a.UserAgent {
			t.Errorf("second acceptance = %+v; want the first", again)
		}
		memberships, err := sqldb.NewPartnerService(db).FindMemberships(admin, tandem.MembershipFilter{ProgramID: f.program.ID, PartnerID: f.approved.ID})
		if err != nil || len(memberships) != 1 {
			t.Fatal(memberships, err)
		}
		entries := auditActions(t, db, memberships[0].ID)
		var accepts []*tandem.AuditEntry
		for _, e := range entries {
			if e.Action == "agreement.accept" {
				accepts = append(accepts, e)
			}
		}
		if len(accepts) != 1 || accepts[0].ActorKind != tandem.ActorPartner || accepts[0].ActorID != f.approvedUser.ID || accepts[0].IP != "198.51.100.7" ||
			!strings.Contains(accepts[0].Detail, v1.ID) || !strings.Contains(accepts[0].Detail, "Ingrid Hansen") {
			t.Errorf("accept audit entries = %+v; want one", accepts)
		}

		// A new version asks again; the old one can no longer be accepted.
		v2, err := s.PublishAgreement(admin, f.program.ID, "Terms", "Version two.")
		if err != nil {
			t.Fatal(err)
		}
		if st, err := s.AgreementStatus(ctx, f.program.ID, f.approved.ID); err != nil || !st.NeedsAcceptance || st.Current.ID != v2.ID || st.Accepted != nil {
			t.Errorf("status after v2 = %+v, %v", st, err)
		}
		_, err = s.AcceptAgreement(partnerCtx(f.teammate, "ua"), f.teammate.ID, f.program.ID, v1.ID, "Ola Nordmann")
		if tandem.ErrorCode(err) != tandem.EINVALID || !strings.Contains(tandem.ErrorMessage(err), "A newer version exists") {
			t.Errorf("accepting v1 after v2 = %v; want invalid: a newer version exists", err)
		}
		// Unknown versions, another program's versions and other programs' partners.
		o1, err := s.PublishAgreement(admin, f.other.ID, "Other", "Other terms.")
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name                 string
			user                 *tandem.PartnerUser
			programID, versionID string
		}{
			{"unknown version", f.teammate, f.program.ID, "agv_missing"},
			{"another program's version", f.teammate, f.program.ID, o1.ID},
			{"a version of a program the partner is not in", f.outsider, f.program.ID, v2.ID},
			{"an unknown partner user", &tandem.PartnerUser{ID: "ptu_missing"}, f.program.ID, v2.ID},
		} {
			if _, err := s.AcceptAgreement(partnerCtx(tt.user, "ua"), tt.user.ID, tt.programID, tt.versionID, "Some Name"); tandem.ErrorCode(err) != tandem.ENOTFOUND {
				t.Errorf("%s: %v; want not found", tt.name, err)
			}
		}

		// The teammate accepts v2 from a browser with a very long User-Agent;
		// a pending partner may accept too.
		long := strings.Repeat("ü", 600)
		b, err := s.AcceptAgreement(partnerCtx(f.teammate, long), f.teammate.ID, f.program.ID, v2.ID, "Ola Nordmann")
		if err != nil || b.Version != 2 || b.UserAgent != strings.Repeat("ü", 500) {
			t.Errorf("v2 acceptance = %+v, %v", b, err)
		}
		if _, err := s.AcceptAgreement(partnerCtx(f.pendingUser, "ua"), f.pendingUser.ID, f.program.ID, v2.ID, "Per Pending"); err != nil {
			t.Errorf("pending partner accepts: %v", err)
		}

		all, err := s.FindAcceptances(admin, f.program.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range all {
			got = append(got, fmt.Sprintf("%s v%d %s %s", a.PartnerName, a.Version, a.FullName, a.PartnerUserEmail))
		}
		want := []string{
			"Pending Partner v2 Per Pending per@pending.example",
			"Approved Partner v2 Ola Nordmann ola@approved.example",
			"Approved Partner v1 Ingrid Hansen ingrid@approved.example",
		}
		if !slices.Equal(got, want) {
			t.Errorf("acceptances:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if others, err := s.FindAcceptances(admin, f.other.ID); err != nil || len(others) != 0 {
			t.Errorf("other program's acceptances = %v, %v", others, err)
		}
	})
}

// Publishing at the same moment never gives two versions the same number:
// each publish either gets its own number or ECONFLICT.
func TestPublishAgreementConcurrently(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		prog := &tandem.Program{Name: "Race", Slug: "race", Type: tandem.ProgramReferral, Currency: "EUR"}
		if err := sqldb.NewProgramService(db).CreateProgram(ctx, prog); err != nil {
			t.Fatal(err)
		}
		s := sqldb.NewAgreementService(db)
		const n = 8
		var wg sync.WaitGroup
		var mu sync.Mutex
		var numbers []int
		for i := range n {
			wg.Go(func() {
				v, err := s.PublishAgreement(ctx, prog.ID, fmt.Sprintf("Terms %d", i), "Body.")
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					numbers = append(numbers, v.Version)
				case tandem.ErrorCode(err) != tandem.ECONFLICT:
					t.Errorf("concurrent publish: %v", err)
				}
			})
		}
		wg.Wait()
		slices.Sort(numbers)
		if len(numbers) == 0 || len(slices.Compact(slices.Clone(numbers))) != len(numbers) {
			t.Fatalf("versions published = %v; want distinct numbers", numbers)
		}
		vs, err := s.FindAgreementVersions(ctx, prog.ID)
		if err != nil || len(vs) != len(numbers) {
			t.Fatalf("stored %d versions, %v; %d publishes succeeded", len(vs), err, len(numbers))
		}
		for i, v := range vs {
			if v.Version != len(vs)-i {
				t.Errorf("stored versions are not 1..%d: %d at %d", len(vs), v.Version, i)
			}
		}
	})
}
