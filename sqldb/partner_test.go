package sqldb_test

import (
	"context"
	"testing"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

func TestPartnerService(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := sqldb.NewPartnerService(db)
		p := &tandem.Partner{Name: "Kari Nordmann", Email: " Kari@Example.NO ", Type: tandem.TypeAffiliate}
		if err := s.CreatePartner(ctx, p); err != nil {
			t.Fatal(err)
		}
		got, err := s.FindPartnerByID(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Email != "kari@example.no" || got.Kind != tandem.PartnerPerson || got.Source != tandem.SourceApplied || got.Type != tandem.TypeAffiliate {
			t.Errorf("stored partner = %+v", got)
		}
		if byEmail, err := s.FindPartners(ctx, tandem.PartnerFilter{Email: "KARI@example.no"}); err != nil || len(byEmail) != 1 {
			t.Errorf("find by email = %v, %v", byEmail, err)
		}
		err = s.CreatePartner(ctx, &tandem.Partner{Name: "Someone Else", Email: "kari@example.no"})
		if tandem.ErrorCode(err) != tandem.ECONFLICT || tandem.ErrorField(err) != "email" {
			t.Errorf("duplicate email: %v; want conflict on email", err)
		}
		err = s.CreatePartner(ctx, &tandem.Partner{Name: "No Mail", Email: "not-an-email"})
		if tandem.ErrorCode(err) != tandem.EINVALID || tandem.ErrorField(err) != "email" {
			t.Errorf("bad email: %v; want invalid email", err)
		}
		if all, _ := s.FindPartners(ctx, tandem.PartnerFilter{}); len(all) != 1 {
			t.Errorf("partners = %d; want 1", len(all))
		}
	})
}

func TestMemberships(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		programs, partners := sqldb.NewProgramService(db), sqldb.NewPartnerService(db)
		vetted := &tandem.Program{Name: "Vetted", Slug: "vetted", Type: tandem.ProgramReferral, Currency: "USD"}
		open := &tandem.Program{Name: "Open", Slug: "open", Type: tandem.ProgramAffiliate, Currency: "USD", AutoApprove: true}
		closed := &tandem.Program{Name: "Closed", Slug: "closed", Type: tandem.ProgramAffiliate, Currency: "USD", Status: tandem.ProgramArchived}
		for _, p := range []*tandem.Program{vetted, open, closed} {
			if err := programs.CreateProgram(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		ola := &tandem.Partner{Name: "Ola", Email: "ola@example.com"}
		if err := partners.CreatePartner(ctx, ola); err != nil {
			t.Fatal(err)
		}

		m, err := partners.JoinProgram(ctx, vetted.ID, ola.ID)
		if err != nil || m.Status != tandem.MembershipPending {
			t.Fatalf("join vetted = %+v, %v; want pending", m, err)
		}
		if auto, err := partners.JoinProgram(ctx, open.ID, ola.ID); err != nil || auto.Status != tandem.MembershipApproved {
			t.Fatalf("join auto-approve = %+v, %v; want approved", auto, err)
		}
		if _, err := partners.JoinProgram(ctx, vetted.ID, ola.ID); tandem.ErrorCode(err) != tandem.ECONFLICT {
			t.Errorf("join twice: %v; want conflict", err)
		}
		if _, err := partners.JoinProgram(ctx, closed.ID, ola.ID); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("join archived: %v; want invalid", err)
		}
		if _, err := partners.JoinProgram(ctx, vetted.ID, "prt_missing"); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("join unknown partner: %v; want not found", err)
		}

		steps := []struct {
			to     tandem.MembershipStatus
			reason string
			code   string
		}{
			{tandem.MembershipSuspended, "spam", tandem.EINVALID}, // pending cannot be suspended
			{tandem.MembershipRejected, "", tandem.EINVALID},      // a rejection needs a reason
			{tandem.MembershipApproved, "", ""},
			{tandem.MembershipSuspended, "Paid search on our brand", ""},
			{tandem.MembershipApproved, "", ""},
			{tandem.MembershipPending, "", tandem.EINVALID},
		}
		for _, st := range steps {
			got, err := partners.SetMembershipStatus(ctx, m.ID, st.to, st.reason)
			if tandem.ErrorCode(err) != st.code {
				t.Fatalf("to %s: %v; want code %q", st.to, err, st.code)
			}
			if err == nil && (got.Status != st.to || got.Reason != st.reason) {
				t.Errorf("to %s: got %+v", st.to, got)
			}
		}
		stored, err := partners.FindMemberships(ctx, tandem.MembershipFilter{ProgramID: vetted.ID})
		if err != nil || len(stored) != 1 || stored[0].Status != tandem.MembershipApproved {
			t.Fatalf("memberships = %v, %v", stored, err)
		}
		// Three accepted status changes, each audited.
		entries, err := sqldb.NewAuditService(db).FindAuditEntries(ctx, tandem.AuditFilter{EntityID: m.ID})
		if err != nil || len(entries) != 4 {
			t.Errorf("audit entries for the membership = %d, %v; want create + 3 changes", len(entries), err)
		}
	})
}
