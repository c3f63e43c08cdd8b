// Package sqldb stores Tandem's domain in SQLite or PostgreSQL. It is the only
// package that imports database drivers. Both dialects share one set of
// hand-written queries (modernc's SQLite driver and pgx both take $1
// placeholders) and one set of embedded migrations, with per-dialect files
// only where the SQL must differ.
//
// Every exported service method is a transaction boundary; the unexported
// find/insert helpers take the transaction. Times are stored as INTEGER Unix
// milliseconds in both dialects, so comparisons in SQL are numeric and exact.
package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/tandem-prm/tandem"
)

// Dialect is the SQL database behind a DB.
type Dialect string

// Supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is an open Tandem database. On SQLite it keeps one writer connection
// (SQLite allows one writer at a time; queueing in Go beats SQLITE_BUSY) and
// a pool of readers; on PostgreSQL both are one pool.
type DB struct {
	dialect Dialect
	target  string // the file path (SQLite) or the URL (PostgreSQL)
	write   *sql.DB
	read    *sql.DB
	jobs    *river.Client[*sql.Tx] // insert-only: enqueues jobs inside our transactions
	logger  *slog.Logger
	// versions caches plan versions by ID: they are immutable once stored.
	versions sync.Map
	// redirects is FindRedirect's memory, cleared by the writes that change a redirect.
	redirects redirectCache
	// apiKeys caches authenticated API keys for APIKeyTTL.
	apiKeys apiKeyCache
	// stmts are the hot paths' statements, prepared once on the writer pool (see DB.prepared).
	stmts sync.Map // query -> *sql.Stmt
	// toPrepare are statements to prepare once the writer is free (see Tx.execRows).
	toPrepare sync.Map // query -> true
	// checkpoints copies SQLite's WAL into the database file off the writer's path (nil on PostgreSQL).
	checkpoints *checkpointer

	// Now is the clock every write uses for its timestamps.
	Now tandem.Clock
}

// ParseURL splits a --database value into its dialect and target: "sqlite:PATH"
// gives the file path, "postgres://…" (or "postgresql://…") the URL itself.
func ParseURL(s string) (Dialect, string, error) {
	switch {
	case strings.HasPrefix(s, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(s, "sqlite:"), "//")
		if path == "" || strings.ContainsAny(path, "?#") {
			return "", "", fmt.Errorf("database URL %q: want sqlite:PATH with a file path and no options", s)
		}
		return SQLite, path, nil
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		if _, err := pgconn.ParseConfig(s); err != nil {
			return "", "", fmt.Errorf("database URL is not a valid PostgreSQL URL: %s", redactedParseError(err))
		}
		return Postgres, s, nil
	default:
		return "", "", fmt.Errorf("database URL %q: want sqlite:PATH or postgres://USER@HOST/NAME", redactURL(s))
	}
}

// Open opens the database named by a --database URL (see ParseURL) and checks
// that it answers. It does not migrate; see Migrate.
func Open(ctx context.Context, databaseURL string, logger *slog.Logger) (*DB, error) {
	dialect, target, err := ParseURL(databaseURL)
	if err != nil {
		return nil, err
	}
	db := &DB{dialect: dialect, target: target, logger: logger, Now: tandem.SystemClock}
	switch dialect {
	case SQLite:
		err = db.openSQLite()
	case Postgres:
		err = db.openPostgres()
	}
	if err != nil {
		return nil, err
	}
	if err := db.write.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("cannot reach the %s database: %s", dialect, describeConnError(err))
	}
	if db.jobs, err = river.NewClient(db.RiverDriver(), &river.Config{Logger: logger}); err != nil {
		db.Close()
		return nil, fmt.Errorf("job queue: %w", err)
	}
	return db, nil
}

func (db *DB) openSQLite() error {
	if err := os.MkdirAll(filepath.Dir(db.target), 0o750); err != nil {
		return fmt.Errorf("cannot create the directory of the database file: %w", err)
	}
	// Fail early and clearly on an unwritable or non-regular file, before
	// the driver turns it into "unable to open database file".
	f, err := os.OpenFile(db.target, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("cannot open the database file: %w", err)
	}
	f.Close()
	// synchronous=FULL: a commit survives a power cut, not only a crash;
	// group commits keep its fsync cost low on the hot paths.
	common := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)"
	path := (&url.URL{Scheme: "file", Opaque: db.target}).String()
	// The writer's page cache (64 MiB, against SQLite's 2 MiB default) keeps
	// the indexes that batched inserts touch in memory. Its own checkpoints,
	// every 10,000 WAL pages (40 MiB) rather than 1,000, are a backstop: the
	// checkpointer, on a connection of its own, copies the WAL twice a second
	// off the writer's path (see checkpointer), each hot page (the right
	// edges of the indexes, the balances) once per copy.
	if db.write, err = sql.Open("sqlite", path+"?"+common+"&_txlock=immediate&_pragma=cache_size(-65536)&_pragma=wal_autocheckpoint(10000)"); err != nil {
		return err
	}
	db.write.SetMaxOpenConns(1)
	db.write.SetConnMaxIdleTime(0)
	if db.read, err = sql.Open("sqlite", path+"?"+common+"&_pragma=query_only(1)"); err != nil {
		db.write.Close()
		return err
	}
	db.read.SetMaxOpenConns(8)
	ckpt, err := sql.Open("sqlite", path+"?"+common)
	if err != nil {
		db.write.Close()
		db.read.Close()
		return err
	}
	ckpt.SetMaxOpenConns(1)
	db.checkpoints = newCheckpointer(ckpt, db.logger)
	return nil
}

func (db *DB) openPostgres() error {
	var err error
	if db.write, err = sql.Open("pgx", db.target); err != nil {
		return err
	}
	db.write.SetMaxOpenConns(20)
	db.write.SetMaxIdleConns(20)
	db.write.SetConnMaxIdleTime(5 * time.Minute)
	db.read = db.write
	return nil
}

// Close closes the database's connections.
func (db *DB) Close() error {
	var err error
	if db.checkpoints != nil {
		err = db.checkpoints.close()
	}
	err = errors.Join(err, db.write.Close())
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Dialect returns the SQL dialect of the database.
func (db *DB) Dialect() Dialect { return db.dialect }

// Pools returns the database/sql pools, for metrics: the writer and, on
// SQLite, the readers (on PostgreSQL the two are the same pool).
func (db *DB) Pools() (write, read *sql.DB) { return db.write, db.read }

// RiverDriver returns the River driver for this database, working on the
// writer pool: on SQLite River's writes must queue behind ours.
func (db *DB) RiverDriver() riverdriver.Driver[*sql.Tx] {
	if db.dialect == SQLite {
		return riversqlite.New(db.write)
	}
	return riverdatabasesql.New(db.write)
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	return db.write.PingContext(ctx)
}

// Tx is a transaction with the time it started, which every row it writes
// uses as "now".
type Tx struct {
	*sql.Tx
	db  *DB
	now time.Time
	// deltas are the ledger balance changes of the transaction's postings,
	// applied in one sorted pass before commit (see flushBalances).
	deltas map[tandem.Account]int64
}

// inWriteTx runs fn in a read-write transaction, committed if fn returns nil.
func (db *DB) inWriteTx(ctx context.Context, fn func(*Tx) error) error {
	return db.inTx(ctx, db.write, fn)
}

// inReadTx runs fn in a transaction on the reader pool: a consistent snapshot.
func (db *DB) inReadTx(ctx context.Context, fn func(*Tx) error) error {
	return db.inTx(ctx, db.read, fn)
}

func (db *DB) inTx(ctx context.Context, pool *sql.DB, fn func(*Tx) error) error {
	sqlTx, err := pool.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{Tx: sqlTx, db: db, now: db.Now().UTC().Truncate(time.Millisecond)}
	if err := fn(tx); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := tx.flushBalances(ctx); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if pool == db.write {
		if db.checkpoints != nil {
			db.checkpoints.committed()
		}
		db.prepareQueued(context.WithoutCancel(ctx))
	}
	return nil
}

// InTx runs fn in a read-write transaction and commits it if fn returns nil.
// It is for callers that must make a write and enqueue a job atomically
// outside the services, such as the job tests.
func (db *DB) InTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return db.inWriteTx(ctx, func(tx *Tx) error { return fn(tx.Tx) })
}

// Enqueue inserts a background job inside tx: it runs if and only if tx commits.
func Enqueue(ctx context.Context, db *DB, tx *sql.Tx, job tandem.Job) error {
	// A tandem.Job is a river.JobArgs: Kind names the worker.
	if _, err := db.jobs.InsertTx(ctx, tx, job, nil); err != nil {
		return fmt.Errorf("enqueue %s: %w", job.Kind(), err)
	}
	return nil
}

// isUniqueViolation reports whether err is a unique or primary key violation.
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	var sqliteErr *sqlite.Error
	if errors.As(err, &sqliteErr) {
		code := sqliteErr.Code()
		return code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// queryTimes runs a query of (id, time) rows and returns them as a map.
func queryTimes(ctx context.Context, tx *Tx, query string, args ...any) (map[string]time.Time, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var id string
		var at time.Time
		if err := rows.Scan(&id, timeCol(&at)); err != nil {
			return nil, err
		}
		out[id] = at
	}
	return out, rows.Err()
}

// isNoRows reports whether err is sql.ErrNoRows.
func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// ms converts a time to the stored form: Unix milliseconds.
func ms(t time.Time) int64 { return t.UnixMilli() }

// msTime scans stored Unix milliseconds into a time.Time in UTC.
type msTime struct{ t *time.Time }

func (m msTime) Scan(v any) error {
	switch v := v.(type) {
	case int64:
		*m.t = time.UnixMilli(v).UTC()
	case nil:
		*m.t = time.Time{}
	default:
		return fmt.Errorf("sqldb: cannot scan %T into a time", v)
	}
	return nil
}

// timeCol returns a scanner that stores into t.
func timeCol(t *time.Time) msTime { return msTime{t} }

// where builds a WHERE clause of equality conditions with $n placeholders.
type where struct {
	conds []string
	args  []any
}

// eq adds "column = value", unless value is empty (a filter's "any").
func (w *where) eq(column, value string) {
	if value == "" {
		return
	}
	w.args = append(w.args, value)
	w.conds = append(w.conds, fmt.Sprintf("%s = $%d", column, len(w.args)))
}

// String returns the clause, starting with WHERE, or "" for no conditions.
func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return "WHERE " + strings.Join(w.conds, " AND ")
}

// limit returns n capped to a sane page size, or the default page size for 0.
func limit(n int) int {
	switch {
	case n <= 0:
		return 100
	case n > 1000:
		return 1000
	default:
		return n
	}
}

func describeConnError(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Message
	}
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) {
		return redactedParseError(connErr.Unwrap())
	}
	return err.Error()
}

// redactURL removes a password from a URL-looking string so it never reaches a log.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable)"
	}
	return u.Redacted()
}

func redactedParseError(err error) string {
	msg := err.Error()
	// pgconn quotes the whole URL in some errors; drop it, the user has it.
	if i := strings.Index(msg, "cannot parse `"); i >= 0 {
		if j := strings.Index(msg[i+14:], "`"); j >= 0 {
			msg = msg[:i] + "cannot parse the URL" + msg[i+14+j+1:]
		}
	}
	return msg
}
