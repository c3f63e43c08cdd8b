package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/payout"
)

// Payouts is what the payout workers need of storage (sqldb.PayoutService).
type Payouts interface {
	DuePrograms(ctx context.Context) ([]string, error)
	Propose(ctx context.Context, programID string) (*tandem.PayoutBatch, error)
	Unsent(ctx context.Context, before time.Time) ([]string, error)
	StartSending(ctx context.Context, lineID string) (*tandem.PayoutLine, error)
	SettleLine(ctx context.Context, lineID string, r payout.Result) error
}

// payoutInterval is how often scheduled proposals and interrupted sends are
// looked for.
const payoutInterval = 5 * time.Minute

// payoutPeriodic runs the payout schedule every payoutInterval and at
// start, without a uniqueness window: it is idempotent (one open batch per
// program, commissions claimed once, sends keyed by line), and running it
// at start resumes at once the sends a crash interrupted.
func payoutPeriodic() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(payoutInterval),
		func() (river.JobArgs, *river.InsertOpts) { return tandem.PayoutScheduleJob{}, nil },
		&river.PeriodicJobOpts{ID: tandem.PayoutScheduleJob{}.Kind(), RunOnStart: true})
}

// sender sends payout lines through their providers.
type sender struct {
	payouts   Payouts
	providers payout.Providers
	now       tandem.Clock
}

// send sends one line: approved → sending, the provider call keyed by the
// line's ID, then the provider's answer recorded. A crash anywhere leaves
// the line sending, and sending it again cannot pay twice.
func (s *sender) send(ctx context.Context, lineID string) error {
	l, err := s.payouts.StartSending(ctx, lineID)
	if err != nil || l.Status != tandem.LineSending {
		return err
	}
	p := s.providers[l.MethodKind]
	if p == nil {
		return fmt.Errorf("payout %s: no provider for %s is configured", l.ID, l.MethodKind)
	}
	r, err := p.Send(ctx, l)
	if err != nil || !r.Settled {
		return err
	}
	return s.payouts.SettleLine(ctx, l.ID, r)
}

// sendPayoutWorker sends one approved line.
type sendPayoutWorker struct {
	river.WorkerDefaults[tandem.SendPayoutJob]
	*sender
}

func (w *sendPayoutWorker) Work(ctx context.Context, job *river.Job[tandem.SendPayoutJob]) error {
	return w.send(ctx, job.Args.PayoutID)
}

// payoutScheduleWorker proposes the batches that are due and sends again
// the lines a crash left unsent.
type payoutScheduleWorker struct {
	river.WorkerDefaults[tandem.PayoutScheduleJob]
	*sender
}

func (w *payoutScheduleWorker) Work(ctx context.Context, job *river.Job[tandem.PayoutScheduleJob]) error {
	due, err := w.payouts.DuePrograms(ctx)
	if err != nil {
		return err
	}
	for _, id := range due {
		if _, err := w.payouts.Propose(ctx, id); err != nil {
			return err
		}
	}
	unsent, err := w.payouts.Unsent(ctx, w.now())
	if err != nil {
		return err
	}
	// One line that cannot be sent (no provider configured, an outage)
	// does not hold up the others; the job fails and retries if any failed.
	var errs []error
	for _, id := range unsent {
		if err := w.send(ctx, id); err != nil {
			errs = append(errs, err)
		}
	}
	river.RecordOutput(ctx, map[string]int{"proposed": len(due), "resent": len(unsent) - len(errs)})
	return errors.Join(errs...)
}
