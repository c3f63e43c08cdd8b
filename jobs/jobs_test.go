package jobs

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/riverqueue/river"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/mail"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// probeJob is a test job whose worker records which runner ran it.
type probeJob struct {
	N       int `json:"n"`
	SleepMS int `json:"sleep_ms,omitempty"`
}

func (probeJob) Kind() string { return "test_probe" }

// recorder counts the runs of each probe job, across runners.
type recorder struct {
	mu      sync.Mutex
	runs    map[int][]string // job N -> runner names, in order
	started chan int
	done    chan int
}

func newRecorder() *recorder {
	return &recorder{runs: map[int][]string{}, started: make(chan int, 10_000), done: make(chan int, 10_000)}
}

type probeWorker struct {
	river.WorkerDefaults[probeJob]
	name string
	rec  *recorder
}

func (w *probeWorker) Work(ctx context.Context, job *river.Job[probeJob]) error {
	w.rec.started <- job.Args.N
	time.Sleep(2 * time.Millisecond) // long enough for the other runner to compete
	time.Sleep(time.Duration(job.Args.SleepMS) * time.Millisecond)
	w.rec.mu.Lock()
	w.rec.runs[job.Args.N] = append(w.rec.runs[job.Args.N], w.name)
	w.rec.mu.Unlock()
	w.rec.done <- job.Args.N
	return nil
}

// newTestRunner returns a runner that also works probe jobs, recording them in rec.
func newTestRunner(t *testing.T, db *sqldb.DB, name string, rec *recorder, cfg Config) *Runner {
	t.Helper()
	cfg.Logger = sqldbtest.Logger(t)
	cfg.PollInterval = 50 * time.Millisecond
	if cfg.Mailer == nil {
		cfg.Mailer = mail.NewDirSender(t.TempDir())
	}
	services := Services{Audit: sqldb.NewAuditService(db), Emails: sqldb.NewEmailService(db), Accounts: sqldb.NewAccountService(db), Invitations: sqldb.NewInvitationService(db)}
	r, err := newRunner(db, services, cfg, func(w *river.Workers) {
		river.AddWorker(w, &probeWorker{name: name, rec: rec})
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// startRunner starts a test runner, stopped when the test ends.
func startRunner(t *testing.T, db *sqldb.DB, name string, rec *recorder, cfg Config) *Runner {
	t.Helper()
	r := newTestRunner(t, db, name, rec, cfg)
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := r.Stop(ctx); err != nil {
			t.Errorf("stop %s: %v", name, err)
		}
	})
	return r
}

func waitFor(t *testing.T, ch <-chan int, n int) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for range n {
		select {
		case <-ch:
		case <-timeout:
			t.Fatalf("timed out waiting for %d jobs", n)
		}
	}
}

func countJobs(t *testing.T, db *sqldb.DB, kind string) int {
	t.Helper()
	var n int
	err := db.InTx(context.Background(), func(tx *sql.Tx) error {
		return tx.QueryRow(`SELECT COUNT(*) FROM river_job WHERE kind = $1`, kind).Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A job enqueued in a transaction exists if and only if the transaction commits.
func TestEnqueueIsPartOfTheTransaction(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		rec := newRecorder()
		errRollback := errors.New("the business write failed")
		err := db.InTx(ctx, func(tx *sql.Tx) error {
			if err := sqldb.Enqueue(ctx, db, tx, probeJob{N: 1}); err != nil {
				t.Fatal(err)
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatalf("InTx = %v", err)
		}
		if n := countJobs(t, db, "test_probe"); n != 0 {
			t.Fatalf("%d jobs left by a rolled-back transaction; want 0", n)
		}
		if err := db.InTx(ctx, func(tx *sql.Tx) error { return sqldb.Enqueue(ctx, db, tx, probeJob{N: 2}) }); err != nil {
			t.Fatal(err)
		}
		startRunner(t, db, "only", rec, Config{})
		waitFor(t, rec.done, 1)
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if len(rec.runs) != 1 || len(rec.runs[2]) != 1 {
			t.Fatalf("runs = %v; want job 2 once and job 1 never", rec.runs)
		}
	})
}

// Stopping a runner (as SIGTERM does) lets the job it is running finish.
func TestStopFinishesRunningJobs(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		if err := db.InTx(ctx, func(tx *sql.Tx) error { return sqldb.Enqueue(ctx, db, tx, probeJob{N: 7, SleepMS: 700}) }); err != nil {
			t.Fatal(err)
		}
		rec := newRecorder()
		r := newTestRunner(t, db, "only", rec, Config{})
		if err := r.Start(ctx); err != nil {
			t.Fatal(err)
		}
		waitFor(t, rec.started, 1)
		stopCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := r.Stop(stopCtx); err != nil {
			t.Fatalf("Stop = %v", err)
		}
		select {
		case <-rec.done:
		default:
			t.Fatal("Stop returned before the running job finished")
		}
		var state string
		if err := db.InTx(ctx, func(tx *sql.Tx) error {
			return tx.QueryRow(`SELECT state FROM river_job WHERE kind = 'test_probe'`).Scan(&state)
		}); err != nil || state != "completed" {
			t.Errorf("job state after Stop = %q, %v; want completed", state, err)
		}
	})
}

// The periodic audit retention job deletes entries past the retention period.
func TestAuditRetentionJob(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
		programs := sqldb.NewProgramService(db)
		for _, age := range []int{400, 10} { // days before now
			db.Now = func() time.Time { return now.AddDate(0, 0, -age) }
			if err := programs.CreateProgram(ctx, &tandem.Program{Name: "P", Slug: "p" + time.Duration(age).String(), Type: tandem.ProgramReferral, Currency: "USD"}); err != nil {
				t.Fatal(err)
			}
		}
		reg := prometheus.NewRegistry()
		r := startRunner(t, db, "only", newRecorder(), Config{AuditRetention: 365 * 24 * time.Hour, Now: func() time.Time { return now }, Registerer: reg})
		completed, cancel := r.client.Subscribe(river.EventKindJobCompleted)
		defer cancel()
		deadline := time.After(30 * time.Second)
		for done := false; !done; {
			select {
			case ev := <-completed:
				done = ev.Job.Kind == tandem.AuditRetentionJob{}.Kind()
			case <-deadline:
				// RunOnStart may have completed before Subscribe; look at the table.
				if entries, _ := sqldb.NewAuditService(db).FindAuditEntries(ctx, tandem.AuditFilter{}); len(entries) == 1 {
					done = true
				} else {
					t.Fatal("audit retention job did not complete")
				}
			}
		}
		entries, err := sqldb.NewAuditService(db).FindAuditEntries(ctx, tandem.AuditFilter{})
		if err != nil || len(entries) != 1 || !entries[0].OccurredAt.Equal(now.AddDate(0, 0, -10)) {
			t.Fatalf("entries after retention = %v, %v; want only the 10-day-old one", entries, err)
		}
		if got := testutil.ToFloat64(r.runs.WithLabelValues("audit_retention", "ok")); got != 1 {
			t.Errorf("tandem_jobs_total{audit_retention,ok} = %v; want 1", got)
		}
	})
}

// Two instances on one database (each with its own connection pool, as two
// processes have) run every job exactly once, and the periodic job once.
// Several instances share one database only on PostgreSQL.
func TestTwoInstancesNeverRunAJobTwice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := sqldbtest.URL(t, sqldb.Postgres)
	var dbs [2]*sqldb.DB
	for i := range dbs {
		db, err := sqldb.Open(ctx, url, sqldbtest.Logger(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		dbs[i] = db
	}
	const jobs = 300
	if err := dbs[0].InTx(ctx, func(tx *sql.Tx) error {
		for n := range jobs {
			if err := sqldb.Enqueue(ctx, dbs[0], tx, probeJob{N: n}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	startRunner(t, dbs[0], "a", rec, Config{MaxWorkers: 4})
	startRunner(t, dbs[1], "b", rec, Config{MaxWorkers: 4})
	waitFor(t, rec.done, jobs)

	// The elected leader enqueues the periodic job; the other instance must not.
	retention := tandem.AuditRetentionJob{}.Kind()
	for deadline := time.Now().Add(20 * time.Second); countJobs(t, dbs[0], retention) == 0; {
		if time.Now().After(deadline) {
			t.Fatal("no instance enqueued the periodic audit retention job")
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // room for a duplicate run or enqueue to show up

	rec.mu.Lock()
	defer rec.mu.Unlock()
	byRunner := map[string]int{}
	for n := range jobs {
		if len(rec.runs[n]) != 1 {
			t.Errorf("job %d ran %d times (%v); want once", n, len(rec.runs[n]), rec.runs[n])
		}
		for _, name := range rec.runs[n] {
			byRunner[name]++
		}
	}
	t.Logf("jobs worked per instance: %v", byRunner)
	if n := countJobs(t, dbs[0], retention); n != 1 {
		t.Errorf("%d audit retention jobs enqueued by two instances; want 1", n)
	}
}
