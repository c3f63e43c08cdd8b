package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/mail"
	"github.com/tandem-prm/tandem/payout"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// The payout schedule job proposes a batch for a program whose payout day
// has come, once; a program paid by hand gets none.
func TestPayoutScheduleJobProposesDueBatches(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		programs, pay := sqldb.NewProgramService(db), sqldb.NewPayoutService(db)
		due := &tandem.Program{Name: "Weekly", Slug: "weekly", Type: tandem.ProgramAffiliate, Currency: "EUR"}
		manual := &tandem.Program{Name: "Manual", Slug: "manual", Type: tandem.ProgramAffiliate, Currency: "EUR"}
		for _, p := range []*tandem.Program{due, manual} {
			if err := programs.CreateProgram(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		today := time.Now().UTC().Weekday()
		if err := pay.SaveSettings(ctx, &tandem.PayoutSettings{ProgramID: due.ID, Schedule: tandem.ScheduleWeekly, Weekday: today, TimeZone: "UTC"}); err != nil {
			t.Fatal(err)
		}
		services := Services{Audit: sqldb.NewAuditService(db), Emails: sqldb.NewEmailService(db), Accounts: sqldb.NewAccountService(db),
			Invitations: sqldb.NewInvitationService(db), Payouts: pay}
		r, err := newRunner(db, services, Config{Logger: sqldbtest.Logger(t), PollInterval: 50 * time.Millisecond,
			Mailer: mail.NewDirSender(t.TempDir()), PayoutProviders: payout.DefaultProviders()}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = r.Stop(context.Background()) })
		deadline := time.Now().Add(30 * time.Second)
		for {
			bs, err := pay.Batches(ctx, due.ID, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(bs) == 1 && bs[0].Status == tandem.BatchProposed {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no batch proposed: %+v", bs)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if bs, _ := pay.Batches(ctx, manual.ID, 10); len(bs) != 0 {
			t.Fatalf("a manual program got a batch: %+v", bs)
		}
		if ids, _ := pay.DuePrograms(ctx); len(ids) != 0 {
			t.Fatalf("still due after the proposal: %v", ids)
		}
	})
}
