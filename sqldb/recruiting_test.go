package sqldb_test

import (
	"context"
	"slices"
	"testing"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

func TestApplyAndReview(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		programs, rec := sqldb.NewProgramService(db), sqldb.NewRecruitingService(db)
		prog := &tandem.Program{Name: "Partners", Slug: "partners", Type: tandem.ProgramReferral, Currency: "USD"}
		if err := programs.CreateProgram(ctx, prog); err != nil {
			t.Fatal(err)
		}
		audience := &tandem.ApplicationQuestion{ProgramID: prog.ID, Label: "Who is your audience?", Kind: tandem.QuestionLongText, Required: true}
		channel := &tandem.ApplicationQuestion{ProgramID: prog.ID, Label: "Main channel", Kind: tandem.QuestionChoice, Choices: []string{"Newsletter", "YouTube", " Newsletter "}}
		for _, q := range []*tandem.ApplicationQuestion{audience, channel} {
			if err := rec.AddQuestion(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		if len(channel.Choices) != 2 {
			t.Errorf("choices = %q; want duplicates dropped", channel.Choices)
		}
		gold, err := rec.CreateGroup(ctx, prog.ID, "Gold")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rec.CreateGroup(ctx, prog.ID, "Gold"); tandem.ErrorCode(err) != tandem.ECONFLICT {
			t.Errorf("duplicate group: %v", err)
		}

		app := func(email string, answers map[string]string) *tandem.Application {
			return &tandem.Application{ProgramID: prog.ID, Name: "Ada", Email: email, Answers: answers}
		}
		// Bad input stores nothing.
		for _, bad := range []struct {
			a     *tandem.Application
			field string
		}{
			{app("ada@lovelace.example", map[string]string{}), "answer_" + audience.ID},
			{app("ada@lovelace.example", map[string]string{audience.ID: "Founders", channel.ID: "TikTok"}), "answer_" + channel.ID},
			{app("ada@lovelace.example", map[string]string{audience.ID: "Founders", "apq_forged": "x"}), "answer_apq_forged"},
			{app("not-an-email", map[string]string{audience.ID: "Founders"}), "email"},
		} {
			if _, err := rec.Apply(ctx, bad.a); tandem.ErrorField(err) != bad.field {
				t.Errorf("Apply(%+v) = %v; want an error on %s", bad.a, err, bad.field)
			}
		}
		if ps, _ := sqldb.NewPartnerService(db).FindPartners(ctx, tandem.PartnerFilter{}); len(ps) != 0 {
			t.Fatalf("refused applications left %d partners", len(ps))
		}

		m, err := rec.Apply(ctx, app("ada@gmail.com", map[string]string{audience.ID: "B2B founders", channel.ID: "Newsletter"}))
		if err != nil {
			t.Fatal(err)
		}
		if m.Status != tandem.MembershipPending || !slices.Contains(m.Flags, tandem.FlagFreeEmail) || m.Answers[audience.ID] != "B2B founders" {
			t.Errorf("membership = %+v", m)
		}
		if sqldbtest.LastLink(t, db, "ada@gmail.com", "application_received") == "" {
			t.Error("no confirmation email queued")
		}
		if _, err := rec.Apply(ctx, app("ada@gmail.com", map[string]string{audience.ID: "again"})); tandem.ErrorCode(err) != tandem.ECONFLICT {
			t.Errorf("second application: %v; want conflict", err)
		}

		if _, err := rec.ReviewMembership(ctx, m.ID, tandem.Decision{Kind: tandem.DecideReject}); tandem.ErrorField(err) != "reason" {
			t.Errorf("reject without reason: %v", err)
		}
		asked, err := rec.ReviewMembership(ctx, m.ID, tandem.Decision{Kind: tandem.DecideAskMoreInfo, Reason: "Which newsletter?"})
		if err != nil || asked.Status != tandem.MembershipPending || !slices.Contains(asked.Flags, "more_info_requested") {
			t.Fatalf("ask = %+v, %v", asked, err)
		}
		if sqldbtest.LastLink(t, db, "ada@gmail.com", "application_more_info") == "" {
			t.Error("no more-information email queued")
		}
		other, _ := sqldb.NewRecruitingService(db).CreateGroup(ctx, mustProgram(t, programs, "other").ID, "Gold")
		if _, err := rec.ReviewMembership(ctx, m.ID, tandem.Decision{Kind: tandem.DecideApprove, GroupID: other.ID}); tandem.ErrorField(err) != "group_id" {
			t.Errorf("approve into another program's group: %v", err)
		}
		approved, err := rec.ReviewMembership(ctx, m.ID, tandem.Decision{Kind: tandem.DecideApprove, GroupID: gold.ID})
		if err != nil || approved.Status != tandem.MembershipApproved || approved.GroupID != gold.ID {
			t.Fatalf("approve = %+v, %v", approved, err)
		}
		if sqldbtest.LastLink(t, db, "ada@gmail.com", "application_approved") == "" {
			t.Error("no approval email queued")
		}

		// One partner account across programs: a second program's application
		// reuses the partner and flags it; auto-approve applies.
		open := mustProgram(t, programs, "open")
		open.AutoApprove = true
		if err := programs.UpdateProgram(ctx, open); err != nil {
			t.Fatal(err)
		}
		m2, err := rec.Apply(ctx, &tandem.Application{ProgramID: open.ID, Name: "Ada", Email: "ADA@gmail.com"})
		if err != nil || m2.PartnerID != m.PartnerID || m2.Status != tandem.MembershipApproved || !slices.Contains(m2.Flags, tandem.FlagExistingPartner) {
			t.Errorf("second program = %+v, %v", m2, err)
		}
	})
}

func mustProgram(t *testing.T, s *sqldb.ProgramService, slug string) *tandem.Program {
	t.Helper()
	p := &tandem.Program{Name: slug, Slug: slug, Type: tandem.ProgramAffiliate, Currency: "USD"}
	if err := s.CreateProgram(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return p
}
