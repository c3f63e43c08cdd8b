// Package jobs runs Tandem's background work on River: the workers for each
// tandem.Job kind (emails from the outbox, audit retention, session cleanup;
// hold release, payout schedules and rollups later), the periodic schedule,
// and the metrics of what ran.
//
// Jobs are enqueued with sqldb.Enqueue inside the transaction of the business
// write that asks for them. River takes each job with a row lock, so several
// tandem instances on one PostgreSQL database never run the same job twice,
// and only the elected leader enqueues periodic jobs.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/mail"
	"github.com/tandem-prm/tandem/payout"
	"github.com/tandem-prm/tandem/sqldb"
)

// Config configures a Runner.
type Config struct {
	// AuditRetention is how long audit entries are kept.
	AuditRetention time.Duration
	// MaxWorkers is how many jobs one instance runs at once.
	MaxWorkers int
	// PollInterval is how often the queue is polled when no notification
	// arrives; River's default (1s) when zero. Tests shorten it.
	PollInterval time.Duration
	Logger       *slog.Logger
	// Registerer receives the job metrics; nil registers none.
	Registerer prometheus.Registerer
	Now        tandem.Clock
	// Mailer sends the outbox's emails.
	Mailer mail.Sender
	// BaseURL is the server's public URL, which links in emails start with.
	BaseURL string
	// PayoutProviders send payout lines, by method.
	PayoutProviders payout.Providers
}

// Services are what the workers act through.
type Services struct {
	Audit    tandem.AuditService
	Emails   tandem.EmailService
	Accounts tandem.AccountService
	// Invitations works through invitation imports.
	Invitations tandem.InvitationService
	// Commissions approves commissions at the end of their hold.
	Commissions tandem.CommissionService
	// Payouts proposes scheduled batches and sends approved lines.
	Payouts Payouts
	// Clicks forgets the click windows that have passed.
	Clicks ClickWindows
}

// ClickWindows are the windows in which a visitor's clicks on a link count
// once (sqldb.ClickStore).
type ClickWindows interface {
	PurgeClickWindows(ctx context.Context) (int, error)
}

// Runner works the queue of one tandem instance.
type Runner struct {
	client  *river.Client[*sql.Tx]
	logger  *slog.Logger
	runs    *prometheus.CounterVec
	seconds *prometheus.HistogramVec
}

// New returns a Runner on db; call Start to begin working.
func New(db *sqldb.DB, services Services, cfg Config) (*Runner, error) {
	return newRunner(db, services, cfg, nil)
}

// newRunner is New with a hook that registers extra workers (for tests).
func newRunner(db *sqldb.DB, services Services, cfg Config, extra func(*river.Workers)) (*Runner, error) {
	if cfg.Now == nil {
		cfg.Now = tandem.SystemClock
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = river.FetchPollIntervalDefault
	}
	if cfg.MaxWorkers <= 0 {
		cfg.MaxWorkers = 10
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	r := &Runner{
		logger: cfg.Logger,
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tandem_jobs_total",
			Help: "Background jobs worked by this instance, by kind and outcome (ok, error).",
		}, []string{"kind", "outcome"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tandem_job_duration_seconds",
			Help:    "How long background jobs ran, by kind.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 10),
		}, []string{"kind"}),
	}
	if cfg.Registerer != nil {
		for _, c := range []prometheus.Collector{r.runs, r.seconds} {
			if err := cfg.Registerer.Register(c); err != nil {
				return nil, err
			}
		}
	}

	workers := river.NewWorkers()
	river.AddWorker(workers, &auditRetentionWorker{audit: services.Audit, retention: cfg.AuditRetention, now: cfg.Now})
	river.AddWorker(workers, &sendEmailWorker{emails: services.Emails, sender: cfg.Mailer, baseURL: cfg.BaseURL, logger: cfg.Logger})
	river.AddWorker(workers, &sessionCleanupWorker{accounts: services.Accounts})
	river.AddWorker(workers, &invitationImportWorker{invitations: services.Invitations})
	if services.Commissions != nil {
		river.AddWorker(workers, &commissionApprovalWorker{commissions: services.Commissions})
	}
	periodic := periodicJobs()
	if services.Clicks != nil {
		river.AddWorker(workers, &clickWindowCleanupWorker{clicks: services.Clicks})
		periodic = append(periodic, every(time.Hour, tandem.ClickWindowCleanupJob{}))
	}
	if services.Payouts != nil {
		s := &sender{payouts: services.Payouts, providers: cfg.PayoutProviders, now: cfg.Now}
		river.AddWorker(workers, &sendPayoutWorker{sender: s})
		river.AddWorker(workers, &payoutScheduleWorker{sender: s})
		periodic = append(periodic, payoutPeriodic())
	}
	if extra != nil {
		extra(workers)
	}
	client, err := river.NewClient(db.RiverDriver(), &river.Config{
		Logger:            cfg.Logger,
		FetchCooldown:     min(cfg.PollInterval, river.FetchCooldownDefault),
		FetchPollInterval: cfg.PollInterval,
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.MaxWorkers}},
		Workers:           workers,
		PeriodicJobs:      periodic,
		Middleware:        []rivertype.Middleware{river.WorkerMiddlewareFunc(r.measure)},
	})
	if err != nil {
		return nil, fmt.Errorf("job runner: %w", err)
	}
	r.client = client
	return r, nil
}

// every is the periodic job that enqueues job every interval, unique per
// interval, and once at start.
func every(interval time.Duration, job tandem.Job) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) {
			return job, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: interval}}
		},
		&river.PeriodicJobOpts{ID: job.Kind(), RunOnStart: true})
}

// periodicJobs is Tandem's schedule. Each is unique per period, so a leader
// change or a restart does not run one twice in its period.
func periodicJobs() []*river.PeriodicJob {
	return []*river.PeriodicJob{
		every(24*time.Hour, tandem.AuditRetentionJob{}),
		every(time.Hour, tandem.SessionCleanupJob{}),
		every(10*time.Minute, tandem.CommissionApprovalJob{}),
	}
}

// measure is River middleware that counts and times every job worked here.
func (r *Runner) measure(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	start := time.Now()
	err := doInner(ctx)
	outcome := "ok"
	if err != nil {
		outcome = "error"
		r.logger.Warn("job failed", "kind", job.Kind, "job_id", job.ID, "attempt", job.Attempt, "err", err)
	}
	r.runs.WithLabelValues(job.Kind, outcome).Inc()
	r.seconds.WithLabelValues(job.Kind).Observe(time.Since(start).Seconds())
	return err
}

// Start begins working jobs in the background.
func (r *Runner) Start(ctx context.Context) error {
	return r.client.Start(ctx)
}

// Stop stops fetching new jobs and waits for the running ones to finish; if
// ctx ends first, it cancels them (River retries them later) and returns.
func (r *Runner) Stop(ctx context.Context) error {
	err := r.client.Stop(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		cancelCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return errors.Join(err, r.client.StopAndCancel(cancelCtx))
	}
	return err
}
