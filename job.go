package tandem

// Job is a unit of background work: a small JSON-serialisable value whose
// Kind names the worker that runs it. It is enqueued in the same transaction
// as the business write that asks for it, so it runs if and only if that
// write commits.
type Job interface {
	Kind() string
}

// AuditRetentionJob deletes audit entries older than the retention period.
// It runs daily as a periodic job.
type AuditRetentionJob struct{}

// Kind implements Job.
func (AuditRetentionJob) Kind() string { return "audit_retention" }

// SendEmailJob sends one email from the outbox. It is idempotent: an email
// already sent is not sent again.
type SendEmailJob struct {
	EmailID string `json:"email_id"`
}

// Kind implements Job.
func (SendEmailJob) Kind() string { return "send_email" }

// ClickWindowCleanupJob deletes the click windows (see
// sqldb.ClickStore.PurgeClickWindows) that have passed. It runs hourly.
type ClickWindowCleanupJob struct{}

// Kind implements Job.
func (ClickWindowCleanupJob) Kind() string { return "click_window_cleanup" }

// CommissionApprovalJob approves the pending commissions whose hold has
// ended and which nothing blocks. It runs every ten minutes.
type CommissionApprovalJob struct{}

// Kind implements Job.
func (CommissionApprovalJob) Kind() string { return "commission_approval" }

// SessionCleanupJob deletes expired sessions and one-time links, and old rate
// limit windows. It runs hourly.
type SessionCleanupJob struct{}

// Kind implements Job.
func (SessionCleanupJob) Kind() string { return "session_cleanup" }
