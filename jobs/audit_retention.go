package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/tandem-prm/tandem"
)

// auditRetentionWorker deletes audit entries older than the retention period.
type auditRetentionWorker struct {
	river.WorkerDefaults[tandem.AuditRetentionJob]
	audit     tandem.AuditService
	retention time.Duration
	now       tandem.Clock
}

func (w *auditRetentionWorker) Work(ctx context.Context, job *river.Job[tandem.AuditRetentionJob]) error {
	if w.retention <= 0 {
		return nil // kept forever
	}
	cutoff := w.now().Add(-w.retention)
	n, err := w.audit.PurgeAuditEntries(ctx, cutoff)
	if err != nil {
		return err
	}
	river.RecordOutput(ctx, map[string]any{"deleted": n, "before": cutoff})
	return nil
}
