package sqldb_test

import (
	"context"
	"testing"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

func TestOnboardingSteps(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		programs, partners, s := sqldb.NewProgramService(db), sqldb.NewPartnerService(db), sqldb.NewOnboardingService(db)
		prog := mustProgram(t, programs, "mine")
		other := mustProgram(t, programs, "other")
		p := &tandem.Partner{Name: "Kari", Email: "kari@example.com"}
		if err := partners.CreatePartner(ctx, p); err != nil {
			t.Fatal(err)
		}
		m, _ := partners.JoinProgram(ctx, prog.ID, p.ID)
		call := &tandem.CustomStep{ProgramID: prog.ID, Title: "Book a kickoff call"}
		elsewhere := &tandem.CustomStep{ProgramID: other.ID, Title: "Other program's step"}
		for _, st := range []*tandem.CustomStep{call, elsewhere} {
			if err := s.AddCustomStep(ctx, st); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.AddCustomStep(ctx, &tandem.CustomStep{ProgramID: prog.ID}); tandem.ErrorField(err) != "title" {
			t.Errorf("untitled step: %v", err)
		}
		// Only approved members tick steps, and only their program's.
		if err := s.CompleteCustomStep(ctx, p.ID, prog.ID, call.ID); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("pending member ticks a step: %v", err)
		}
		if _, err := partners.SetMembershipStatus(ctx, m.ID, tandem.MembershipApproved, ""); err != nil {
			t.Fatal(err)
		}
		if err := s.CompleteCustomStep(ctx, p.ID, prog.ID, elsewhere.ID); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("another program's step: %v", err)
		}
		for range 2 { // idempotent
			if err := s.CompleteCustomStep(ctx, p.ID, prog.ID, call.ID); err != nil {
				t.Fatal(err)
			}
		}
		done, err := s.CustomStepsDone(ctx, p.ID, prog.ID)
		if _, ok := done[call.ID]; err != nil || len(done) != 1 || !ok {
			t.Errorf("done = %v, %v", done, err)
		}
		if err := s.ArchiveCustomStep(ctx, prog.ID, call.ID); err != nil {
			t.Fatal(err)
		}
		if steps, _ := s.FindCustomSteps(ctx, prog.ID); len(steps) != 0 {
			t.Errorf("archived step still listed")
		}

		// Profile updates are validated and audited.
		if _, err := s.UpdateProfile(ctx, p.ID, tandem.ProfileUpdate{Name: "Kari N", Website: "not a url"}); tandem.ErrorField(err) != "website" {
			t.Errorf("bad website: %v", err)
		}
		got, err := s.UpdateProfile(ctx, p.ID, tandem.ProfileUpdate{Name: "Kari N", Website: "https://kari.example", Audience: "Dentists"})
		if err != nil || !tandem.ProfileComplete(got) || got.Email != "kari@example.com" {
			t.Fatalf("profile = %+v, %v", got, err)
		}
		if stored, _ := partners.FindPartnerByID(ctx, p.ID); stored.Audience != "Dentists" || stored.Name != "Kari N" {
			t.Errorf("stored = %+v", stored)
		}
	})
}
