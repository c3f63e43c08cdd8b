package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/tandem-prm/tandem"
)

// invitationImportWorker invites the rows of an uploaded CSV file. The work
// is the service's: it commits progress every few dozen rows and resumes
// where it stopped, so a retried or timed-out job never invites anyone twice.
type invitationImportWorker struct {
	river.WorkerDefaults[tandem.InvitationImportJob]
	invitations tandem.InvitationService
}

// Timeout gives a 5,000-row import room; River's default is one minute.
func (w *invitationImportWorker) Timeout(*river.Job[tandem.InvitationImportJob]) time.Duration {
	return 15 * time.Minute
}

func (w *invitationImportWorker) Work(ctx context.Context, job *river.Job[tandem.InvitationImportJob]) error {
	err := w.invitations.ProcessImport(ctx, job.Args.ImportID)
	if tandem.ErrorCode(err) == tandem.ENOTFOUND {
		return river.JobCancel(err) // retrying would not help
	}
	return err
}
