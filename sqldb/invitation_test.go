package sqldb_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// inviteEmail returns the data of the newest invitation emailed to the
// address, and the token of its link.
func inviteEmail(t *testing.T, db *sqldb.DB, to string) (map[string]any, string) {
	t.Helper()
	var data string
	if err := db.InTx(context.Background(), func(tx *sql.Tx) error {
		return tx.QueryRow(`SELECT data FROM emails WHERE to_address = $1 AND template = 'partner_invite'
			ORDER BY created_at DESC, id DESC LIMIT 1`, to).Scan(&data)
	}); err != nil {
		t.Fatalf("no invitation emailed to %s: %v", to, err)
	}
	var fields map[string]any
	if err := json.Unmarshal([]byte(data), &fields); err != nil {
		t.Fatal(err)
	}
	link, err := url.Parse(fields["LinkPath"].(string))
	if err != nil {
		t.Fatal(err)
	}
	return fields, link.Query().Get("invite")
}

// countRows returns the result of a COUNT(*) query.
func countRows(t *testing.T, db *sqldb.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.InTx(context.Background(), func(tx *sql.Tx) error { return tx.QueryRow(query, args...).Scan(&n) }); err != nil {
		t.Fatal(err)
	}
	return n
}

// invitationSetup makes an owner and a program that lets invitees skip review.
func invitationSetup(t *testing.T, db *sqldb.DB) (owner *tandem.User, prog *tandem.Program) {
	t.Helper()
	ctx := context.Background()
	owner, err := sqldb.NewAccountService(db).CreateOwner(ctx, "owner@example.com", "Olivia Owner", "password of owner@example.com")
	if err != nil {
		t.Fatal(err)
	}
	prog = &tandem.Program{Name: "Referral Partners", Slug: "refer", Type: tandem.ProgramReferral, Currency: "USD", InvitesSkipReview: true}
	if err := sqldb.NewProgramService(db).CreateProgram(ctx, prog); err != nil {
		t.Fatal(err)
	}
	return owner, prog
}

func TestInviteAndApply(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		invitations, rec, partners := sqldb.NewInvitationService(db), sqldb.NewRecruitingService(db), sqldb.NewPartnerService(db)
		owner, prog := invitationSetup(t, db)
		other := &tandem.Program{Name: "Resellers", Slug: "resell", Type: tandem.ProgramReseller, Currency: "EUR"}
		if err := sqldb.NewProgramService(db).CreateProgram(ctx, other); err != nil {
			t.Fatal(err)
		}

		inv, err := invitations.InviteToProgram(ctx, owner.ID, prog.ID, " Kari@Example.com ", "Kari Nordmann", "Fjord AS")
		if err != nil {
			t.Fatal(err)
		}
		if !tandem.HasPrefix(inv.ID, tandem.PrefixInvitation) || inv.Status != tandem.InvitationSent || inv.Email != "kari@example.com" ||
			inv.InvitedBy != owner.ID || inv.ExpiresAt.Sub(inv.SentAt) != 30*24*time.Hour {
			t.Errorf("invitation = %+v", inv)
		}
		data, first := inviteEmail(t, db, "kari@example.com")
		if data["LinkPath"] != "/p/refer?invite="+url.QueryEscape(first) || data["InviterName"] != "Olivia Owner" ||
			data["ProgramName"] != "Referral Partners" || data["ExpiresIn"] != "30 days" || data["RecipientName"] != "Kari Nordmann" {
			t.Errorf("email data = %v", data)
		}
		for _, field := range []string{"RecipientName", "LinkPath", "ExpiresIn", "ProductName", "InviterName", "Role", "ProgramName", "Reason", "Version"} {
			if _, ok := data[field]; !ok {
				t.Errorf("the email lacks %s", field)
			}
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM audit_log WHERE action = 'invitation.create' AND entity_id = $1 AND actor_kind = 'system'`, inv.ID); n != 1 {
			t.Errorf("audit entries = %d", n)
		}

		// Sending again gives a new link; the old one is dead.
		again, err := invitations.InviteToProgram(ctx, owner.ID, prog.ID, "kari@example.com", "Kari Nordmann", "Fjord AS")
		if err != nil || again.ID != inv.ID {
			t.Fatalf("invite again = %+v, %v; want the same invitation", again, err)
		}
		_, token := inviteEmail(t, db, "kari@example.com")
		if token == first || countRows(t, db, `SELECT COUNT(*) FROM emails WHERE template = 'partner_invite'`) != 2 {
			t.Errorf("sending again did not email a new link")
		}
		if _, err := invitations.CheckInvitation(ctx, prog.ID, first); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("old link = %v; want invalid", err)
		}
		if got, err := invitations.CheckInvitation(ctx, prog.ID, token); err != nil || got.ID != inv.ID || got.InviterName != "Olivia Owner" {
			t.Errorf("CheckInvitation = %+v, %v", got, err)
		}
		if _, err := invitations.CheckInvitation(ctx, other.ID, token); !strings.Contains(tandem.ErrorMessage(err), "another program") {
			t.Errorf("another program's link = %v", err)
		}
		for _, bad := range []struct {
			email, field string
		}{{"not-an-email", "email"}, {"x@example.com", ""}} {
			programID := prog.ID
			if bad.field == "" {
				programID = "prg_nope"
			}
			if _, err := invitations.InviteToProgram(ctx, owner.ID, programID, bad.email, "", ""); err == nil || tandem.ErrorField(err) != bad.field {
				t.Errorf("invite %s to %s = %v", bad.email, programID, err)
			}
		}

		apply := func(programID, email, token string) (*tandem.Membership, error) {
			return rec.Apply(ctx, &tandem.Application{ProgramID: programID, Name: "Kari N.", Email: email, InviteToken: token})
		}
		// Refused applications store nothing.
		for _, tt := range []struct {
			programID, email, token, want string
		}{
			{prog.ID, "someone@example.com", token, "This invitation is for another address."},
			{prog.ID, "kari@example.com", first, "not valid"},
			{other.ID, "kari@example.com", token, "another program"},
		} {
			if _, err := apply(tt.programID, tt.email, tt.token); tandem.ErrorCode(err) != tandem.EINVALID || !strings.Contains(tandem.ErrorMessage(err), tt.want) {
				t.Errorf("apply %s with %s… = %v; want %q", tt.email, tt.token[:6], err, tt.want)
			}
		}
		if ps, _ := partners.FindPartners(ctx, tandem.PartnerFilter{}); len(ps) != 0 {
			t.Fatalf("refused applications left %d partners", len(ps))
		}

		m, err := apply(prog.ID, "KARI@example.com", token)
		if err != nil {
			t.Fatal(err)
		}
		partner, _ := partners.FindPartnerByID(ctx, m.PartnerID)
		if m.Status != tandem.MembershipApproved || partner.Source != tandem.SourceInvited {
			t.Errorf("membership %s, partner source %s; want approved and invited", m.Status, partner.Source)
		}
		if got, _ := invitations.FindInvitations(ctx, tandem.InvitationFilter{ProgramID: prog.ID}); len(got) != 1 || got[0].Status != tandem.InvitationAccepted ||
			got[0].PartnerID != partner.ID || got[0].AcceptedAt.IsZero() {
			t.Errorf("after applying: %+v", got[0])
		}
		if sqldbtest.LastLink(t, db, "kari@example.com", "application_approved") == "" {
			t.Error("no welcome email")
		}
		// The link works once.
		if _, err := apply(prog.ID, "kari@example.com", token); !strings.Contains(tandem.ErrorMessage(err), "already been used") {
			t.Errorf("reused link = %v", err)
		}
		// A partner of the program is not invited again.
		if _, err := invitations.InviteToProgram(ctx, owner.ID, prog.ID, "kari@example.com", "", ""); tandem.ErrorCode(err) != tandem.ECONFLICT || tandem.ErrorField(err) != "email" {
			t.Errorf("invite a member = %v; want a conflict on email", err)
		}

		// Without InvitesSkipReview an invitee waits for review like anyone.
		if _, err := invitations.InviteToProgram(ctx, owner.ID, other.ID, "ola@example.com", "Ola", ""); err != nil {
			t.Fatal(err)
		}
		_, olaToken := inviteEmail(t, db, "ola@example.com")
		if m, err := apply(other.ID, "ola@example.com", olaToken); err != nil || m.Status != tandem.MembershipPending {
			t.Errorf("apply to a reviewing program = %+v, %v; want pending", m, err)
		}

		// Expired and withdrawn links are refused, and store nothing.
		for _, email := range []string{"late@example.com", "gone@example.com"} {
			if _, err := invitations.InviteToProgram(ctx, owner.ID, prog.ID, email, "", ""); err != nil {
				t.Fatal(err)
			}
		}
		_, lateToken := inviteEmail(t, db, "late@example.com")
		goneInv, _ := invitations.FindInvitations(ctx, tandem.InvitationFilter{Email: "gone@example.com"})
		if _, err := invitations.RevokeInvitation(ctx, other.ID, goneInv[0].ID); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("revoke through another program = %v", err)
		}
		if got, err := invitations.RevokeInvitation(ctx, prog.ID, goneInv[0].ID); err != nil || got.Status != tandem.InvitationRevoked {
			t.Fatalf("revoke = %+v, %v", got, err)
		}
		if _, err := invitations.RevokeInvitation(ctx, prog.ID, goneInv[0].ID); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("revoke twice = %v", err)
		}
		_, goneToken := inviteEmail(t, db, "gone@example.com")
		before := countRows(t, db, `SELECT COUNT(*) FROM partners`)
		if _, err := apply(prog.ID, "gone@example.com", goneToken); !strings.Contains(tandem.ErrorMessage(err), "withdrawn") {
			t.Errorf("withdrawn link = %v", err)
		}
		now := time.Now().Add(31 * 24 * time.Hour)
		db.Now = func() time.Time { return now }
		if _, err := apply(prog.ID, "late@example.com", lateToken); !strings.Contains(tandem.ErrorMessage(err), "expired") {
			t.Errorf("expired link = %v", err)
		}
		if got, _ := invitations.FindInvitations(ctx, tandem.InvitationFilter{Email: "late@example.com"}); got[0].Status != tandem.InvitationExpired {
			t.Errorf("expired invitation reads %s", got[0].Status)
		}
		if after := countRows(t, db, `SELECT COUNT(*) FROM partners`); after != before {
			t.Errorf("refused links stored %d partners", after-before)
		}
		// An expired invitation may be sent again, with a fresh lifetime.
		if got, err := invitations.InviteToProgram(ctx, owner.ID, prog.ID, "late@example.com", "", ""); err != nil || got.Status != tandem.InvitationSent {
			t.Errorf("send an expired invitation again = %+v, %v", got, err)
		}
	})
}

func TestInvitationImport(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		invitations := sqldb.NewInvitationService(db)
		owner, prog := invitationSetup(t, db)
		if _, err := sqldb.NewRecruitingService(db).Apply(ctx, &tandem.Application{ProgramID: prog.ID, Name: "Mona Member", Email: "member@example.com"}); err != nil {
			t.Fatal(err)
		}
		if _, err := invitations.InviteToProgram(ctx, owner.ID, prog.ID, "open@example.com", "Oda Open", ""); err != nil {
			t.Fatal(err)
		}
		file := "name;email;company\n" +
			"Ada;ada@example.com;Lovelace Ltd\n" +
			"Bad;not-an-email;\n" +
			"Ada again;ADA@example.com;\n" +
			"Mona;member@example.com;\n" +
			"Oda;open@example.com;\n" +
			"Ben;ben@example.com;\n"
		imp, err := invitations.StartImport(ctx, owner.ID, prog.ID, `C:\Users\olivia\customers.csv`, []byte(file))
		if err != nil {
			t.Fatal(err)
		}
		if imp.FileName != "customers.csv" || imp.Total != 6 || imp.Processed != 2 || imp.Status != tandem.ImportQueued {
			t.Errorf("started import = %+v", imp)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM river_job WHERE kind = 'invitation_import'`); n != 1 {
			t.Errorf("%d import jobs queued; want 1", n)
		}
		if err := invitations.ProcessImport(ctx, imp.ID); err != nil {
			t.Fatal(err)
		}
		if err := invitations.ProcessImport(ctx, imp.ID); err != nil { // a retried job does nothing more
			t.Fatal(err)
		}
		got, err := invitations.FindImport(ctx, prog.ID, imp.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Done() || got.Total != 6 || got.Processed != 6 || got.Invited != 2 || got.Skipped != 4 || got.Failed != 0 || got.FinishedAt.IsZero() {
			t.Errorf("finished import = %+v", got)
		}
		var report []string
		for _, r := range got.Rows {
			report = append(report, fmt.Sprintf("%d %s %s: %s", r.Line, r.Email, r.Outcome, r.Reason))
			if (r.Outcome == tandem.ImportInvited) != (r.InvitationID != "") {
				t.Errorf("row %d: outcome %s with invitation %q", r.Line, r.Outcome, r.InvitationID)
			}
		}
		want := []string{
			"2 ada@example.com invited: ",
			"3 not-an-email skipped: Invalid email address.",
			"4 ada@example.com skipped: Duplicate in the file: the same email is on line 2.",
			"5 member@example.com skipped: Already in this program (pending).",
			"6 open@example.com skipped: Already invited on " + time.Now().UTC().Format("2 Jan 2006") + "; the invitation is still open.",
			"7 ben@example.com invited: ",
		}
		if strings.Join(report, "\n") != strings.Join(want, "\n") {
			t.Errorf("report:\n%s\nwant:\n%s", strings.Join(report, "\n"), strings.Join(want, "\n"))
		}
		for email, want := range map[string]int{"ada@example.com": 1, "ben@example.com": 1, "open@example.com": 1, "member@example.com": 0} {
			if n := countRows(t, db, `SELECT COUNT(*) FROM emails WHERE template = 'partner_invite' AND to_address = $1`, email); n != want {
				t.Errorf("%d invitations emailed to %s; want %d", n, email, want)
			}
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM audit_log WHERE action = 'invitation.create' AND actor_id = $1`, owner.ID); n != 2 {
			t.Errorf("%d invitations audited as the uploader's; want 2", n)
		}
		if list, _ := invitations.FindImports(ctx, prog.ID); len(list) != 1 || list[0].ID != imp.ID || list[0].Rows != nil {
			t.Errorf("FindImports = %+v", list)
		}
		if _, err := invitations.FindImport(ctx, "prg_other", imp.ID); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("another program's import = %v", err)
		}

		// A long file is worked through in batches, each committed.
		var long strings.Builder
		long.WriteString("email\n")
		for i := range 120 {
			fmt.Fprintf(&long, "p%d@example.com\n", i)
		}
		imp, err = invitations.StartImport(ctx, owner.ID, prog.ID, "long.csv", []byte(long.String()))
		if err != nil {
			t.Fatal(err)
		}
		if err := invitations.ProcessImport(ctx, imp.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := invitations.FindImport(ctx, prog.ID, imp.ID); got.Invited != 120 || got.Processed != 120 || !got.Done() {
			t.Errorf("long import = %d invited, %d processed, %s", got.Invited, got.Processed, got.Status)
		}

		// Rows left when the program is archived are skipped with the reason.
		imp, err = invitations.StartImport(ctx, owner.ID, prog.ID, "late.csv", []byte("email\nlate@example.com\n"))
		if err != nil {
			t.Fatal(err)
		}
		prog.Status = tandem.ProgramArchived
		if err := sqldb.NewProgramService(db).UpdateProgram(ctx, prog); err != nil {
			t.Fatal(err)
		}
		if err := invitations.ProcessImport(ctx, imp.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := invitations.FindImport(ctx, prog.ID, imp.ID); got.Skipped != 1 || !strings.Contains(got.Rows[0].Reason, "archived") {
			t.Errorf("import into an archived program = %+v %+v", got, got.Rows[0])
		}

		// Unusable files are refused whole, and store nothing.
		imports := countRows(t, db, `SELECT COUNT(*) FROM invitation_imports`)
		var big strings.Builder
		big.WriteString("name,email\n")
		for i := range tandem.MaxImportRows + 1 {
			fmt.Fprintf(&big, "P,p%d@example.com\n", i)
		}
		for _, bad := range []string{big.String(), "Kari,kari@example.com\n"} {
			if _, err := invitations.StartImport(ctx, owner.ID, prog.ID, "bad.csv", []byte(bad)); tandem.ErrorField(err) != "file" {
				t.Errorf("bad file = %v; want an error on file", err)
			}
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM invitation_imports`); n != imports {
			t.Errorf("refused files stored %d imports", n-imports)
		}
	})
}
