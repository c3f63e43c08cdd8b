package jobs

import (
	"context"

	"github.com/riverqueue/river"

	"github.com/tandem-prm/tandem"
)

// approvalBatch is how many commissions one transaction approves.
const approvalBatch = 500

// commissionApprovalWorker approves commissions whose hold has ended, a
// batch per transaction until none is due.
type commissionApprovalWorker struct {
	river.WorkerDefaults[tandem.CommissionApprovalJob]
	commissions tandem.CommissionService
}

func (w *commissionApprovalWorker) Work(ctx context.Context, job *river.Job[tandem.CommissionApprovalJob]) error {
	total := 0
	for {
		n, err := w.commissions.ApproveDue(ctx, approvalBatch)
		total += n
		if err != nil {
			return err
		}
		if n < approvalBatch {
			river.RecordOutput(ctx, map[string]int{"approved": total})
			return nil
		}
	}
}
