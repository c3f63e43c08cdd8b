package sqldb_test

import (
	"context"
	"testing"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// defaultLinks returns how many default links the partner has in the program.
func defaultLinks(t *testing.T, db *sqldb.DB, partnerID, programID string) int {
	t.Helper()
	return countRows(t, db, `SELECT COUNT(*) FROM links WHERE partner_id = $1 AND program_id = $2 AND is_default`, partnerID, programID)
}

// Every way a membership becomes approved gives the partner its default
// link in the same transaction, when links may be created.
func TestDefaultLinkAtApproval(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		programs, partners, rec := sqldb.NewProgramService(db), sqldb.NewPartnerService(db), sqldb.NewRecruitingService(db)
		invitations, links := sqldb.NewInvitationService(db), sqldb.NewLinkService(db)
		owner, invited := invitationSetup(t, db) // invitees skip review
		reviewed := &tandem.Program{Name: "Reviewed", Slug: "reviewed", Type: tandem.ProgramReferral, Currency: "USD"}
		auto := &tandem.Program{Name: "Auto", Slug: "auto", Type: tandem.ProgramAffiliate, Currency: "USD", AutoApprove: true}
		for _, p := range []*tandem.Program{reviewed, auto} {
			if err := programs.CreateProgram(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		apply := func(programID, email, token string) *tandem.Membership {
			t.Helper()
			m, err := rec.Apply(ctx, &tandem.Application{ProgramID: programID, Name: "Applicant", Email: email, InviteToken: token})
			if err != nil {
				t.Fatal(err)
			}
			return m
		}

		// Manual approval: nothing while pending, the link with the approval.
		m := apply(reviewed.ID, "ada@example.com", "")
		if n := defaultLinks(t, db, m.PartnerID, reviewed.ID); n != 0 {
			t.Fatalf("pending applicant has %d default links", n)
		}
		if _, err := rec.ReviewMembership(ctx, m.ID, tandem.Decision{Kind: tandem.DecideApprove}); err != nil {
			t.Fatal(err)
		}
		if n := defaultLinks(t, db, m.PartnerID, reviewed.ID); n != 1 {
			t.Errorf("approved by review: %d default links; want 1", n)
		}
		if d, err := links.EnsureDefaultLink(ctx, m.PartnerID, reviewed.ID); err != nil || d.Label != "Default" || d.Destination != "" {
			t.Errorf("the links page's fallback = %+v, %v; want the link of approval", d, err)
		}
		if n := defaultLinks(t, db, m.PartnerID, reviewed.ID); n != 1 {
			t.Errorf("after the fallback: %d default links; want still 1", n)
		}

		// Auto-approve, by application and by joining.
		if m := apply(auto.ID, "bob@example.com", ""); m.Status != tandem.MembershipApproved || defaultLinks(t, db, m.PartnerID, auto.ID) != 1 {
			t.Errorf("auto-approved application: status %s, %d default links", m.Status, defaultLinks(t, db, m.PartnerID, auto.ID))
		}
		joiner := &tandem.Partner{Name: "Joiner", Email: "join@example.com"}
		if err := partners.CreatePartner(ctx, joiner); err != nil {
			t.Fatal(err)
		}
		if _, err := partners.JoinProgram(ctx, auto.ID, joiner.ID); err != nil || defaultLinks(t, db, joiner.ID, auto.ID) != 1 {
			t.Errorf("auto-approved join: %v, %d default links", err, defaultLinks(t, db, joiner.ID, auto.ID))
		}

		// An invitation that skips review.
		if _, err := invitations.InviteToProgram(ctx, owner.ID, invited.ID, "kari@example.com", "Kari", ""); err != nil {
			t.Fatal(err)
		}
		_, token := inviteEmail(t, db, "kari@example.com")
		if m := apply(invited.ID, "kari@example.com", token); m.Status != tandem.MembershipApproved || defaultLinks(t, db, m.PartnerID, invited.ID) != 1 {
			t.Errorf("invited applicant: status %s, %d default links", m.Status, defaultLinks(t, db, m.PartnerID, invited.ID))
		}

		// Approval by status: a rejected applicant approved after all, and a
		// suspended partner (whose link went missing) reactivated.
		late := apply(reviewed.ID, "late@example.com", "")
		if _, err := partners.SetMembershipStatus(ctx, late.ID, tandem.MembershipRejected, "not now"); err != nil {
			t.Fatal(err)
		}
		if n := defaultLinks(t, db, late.PartnerID, reviewed.ID); n != 0 {
			t.Errorf("rejected: %d default links", n)
		}
		if _, err := partners.SetMembershipStatus(ctx, late.ID, tandem.MembershipApproved, ""); err != nil || defaultLinks(t, db, late.PartnerID, reviewed.ID) != 1 {
			t.Errorf("approved after rejection: %v, %d default links", err, defaultLinks(t, db, late.PartnerID, reviewed.ID))
		}
		if _, err := partners.SetMembershipStatus(ctx, late.ID, tandem.MembershipSuspended, "paused"); err != nil {
			t.Fatal(err)
		}
		resExec(t, db, `DELETE FROM links WHERE partner_id = $1`, late.PartnerID)
		if _, err := partners.SetMembershipStatus(ctx, late.ID, tandem.MembershipApproved, ""); err != nil || defaultLinks(t, db, late.PartnerID, reviewed.ID) != 1 {
			t.Errorf("reactivated: %v, %d default links", err, defaultLinks(t, db, late.PartnerID, reviewed.ID))
		}

		// Links that come with approval are audited as any link (one was
		// deleted above).
		if n, made := countRows(t, db, `SELECT COUNT(*) FROM audit_log WHERE action = 'link.create'`), resCount(t, db, "links")+1; n != made {
			t.Errorf("%d link.create audit entries for %d links made", n, made)
		}
	})
}

// With an agreement published, approval makes no link (links may not be
// created yet); accepting the agreement makes it. An archived program's
// approval makes none, and still succeeds.
func TestDefaultLinkAtAcceptance(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		prog := linkFixture(t, db)
		agreements := sqldb.NewAgreementService(db)
		v, err := agreements.PublishAgreement(ctx, prog.ID, "Terms", "Be nice.")
		if err != nil {
			t.Fatal(err)
		}
		p := resMember(t, db, prog.ID, "jane@example.com", tandem.MembershipApproved, "")
		if n := defaultLinks(t, db, p.ID, prog.ID); n != 0 {
			t.Fatalf("approved before accepting: %d default links; want 0", n)
		}
		pu, err := sqldb.NewAccountService(db).CreatePartnerUser(ctx, p.ID, p.Email, "Jane")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := agreements.AcceptAgreement(ctx, pu.ID, prog.ID, v.ID, "Jane Doe"); err != nil {
			t.Fatal(err)
		}
		if n := defaultLinks(t, db, p.ID, prog.ID); n != 1 {
			t.Errorf("after accepting: %d default links; want 1", n)
		}
		if _, err := agreements.AcceptAgreement(ctx, pu.ID, prog.ID, v.ID, "Jane Doe"); err != nil || defaultLinks(t, db, p.ID, prog.ID) != 1 {
			t.Errorf("accepting again: %v, %d default links; want 1", err, defaultLinks(t, db, p.ID, prog.ID))
		}

		// A pending partner who accepts gets the link at approval instead.
		pending := resMember(t, db, prog.ID, "pending@example.com", tandem.MembershipPending, "")
		pu2, err := sqldb.NewAccountService(db).CreatePartnerUser(ctx, pending.ID, pending.Email, "Pat")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := agreements.AcceptAgreement(ctx, pu2.ID, prog.ID, v.ID, "Pat Doe"); err != nil || defaultLinks(t, db, pending.ID, prog.ID) != 0 {
			t.Errorf("pending partner accepts: %v, %d default links; want 0", err, defaultLinks(t, db, pending.ID, prog.ID))
		}
		ms, _ := sqldb.NewPartnerService(db).FindMemberships(ctx, tandem.MembershipFilter{PartnerID: pending.ID})
		if _, err := sqldb.NewRecruitingService(db).ReviewMembership(ctx, ms[0].ID, tandem.Decision{Kind: tandem.DecideApprove}); err != nil ||
			defaultLinks(t, db, pending.ID, prog.ID) != 1 {
			t.Errorf("approved after accepting: %v, %d default links; want 1", err, defaultLinks(t, db, pending.ID, prog.ID))
		}

		// An archived program takes no new links, but approvals still work.
		closed := &tandem.Program{Name: "Closed", Slug: "closed", Type: tandem.ProgramReferral, Currency: "USD"}
		if err := sqldb.NewProgramService(db).CreateProgram(ctx, closed); err != nil {
			t.Fatal(err)
		}
		late := resMember(t, db, closed.ID, "late@example.com", tandem.MembershipPending, "")
		resExec(t, db, `UPDATE programs SET status = 'archived' WHERE id = $1`, closed.ID)
		ms, _ = sqldb.NewPartnerService(db).FindMemberships(ctx, tandem.MembershipFilter{PartnerID: late.ID})
		if m, err := sqldb.NewPartnerService(db).SetMembershipStatus(ctx, ms[0].ID, tandem.MembershipApproved, ""); err != nil ||
			m.Status != tandem.MembershipApproved || defaultLinks(t, db, late.ID, closed.ID) != 0 {
			t.Errorf("approval in an archived program: %+v, %v, %d default links; want approved, none", m, err, defaultLinks(t, db, late.ID, closed.ID))
		}
	})
}
