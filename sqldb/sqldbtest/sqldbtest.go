// Package sqldbtest gives tests a fresh, migrated Tandem database on every
// dialect: a temp-file SQLite database always, and a fresh schema on
// PostgreSQL when one is reachable. With CI=true PostgreSQL is required and
// its absence fails the test instead of skipping it.
package sqldbtest

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/sqldb"
)

// DefaultPostgresURL is where the tests look for PostgreSQL when
// TANDEM_TEST_POSTGRES is not set.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

var (
	probeOnce   sync.Once
	postgresURL string
	probeErr    error
)

// PostgresURL returns the PostgreSQL server the tests use: TANDEM_TEST_POSTGRES,
// or DefaultPostgresURL if a server answers there. ok is false when there is
// none; under CI=true that fails the test.
func PostgresURL(t testing.TB) (string, bool) {
	t.Helper()
	probeOnce.Do(func() {
		postgresURL = os.Getenv("TANDEM_TEST_POSTGRES")
		if !strings.Contains(postgresURL, "://") { // unset, or a flag such as 1
			postgresURL = DefaultPostgresURL
		}
		u, err := url.Parse(postgresURL)
		if err != nil {
			probeErr = fmt.Errorf("TANDEM_TEST_POSTGRES is not a URL: %w", err)
			return
		}
		host := u.Host
		if u.Port() == "" {
			host = net.JoinHostPort(u.Hostname(), "5432")
		}
		conn, err := net.DialTimeout("tcp", host, 2*time.Second)
		if err != nil {
			probeErr = fmt.Errorf("no PostgreSQL server at %s: %w", host, err)
			return
		}
		conn.Close()
	})
	if probeErr != nil {
		if os.Getenv("CI") == "true" || os.Getenv("TANDEM_TEST_POSTGRES") != "" {
			t.Fatalf("PostgreSQL is required here (CI=true or TANDEM_TEST_POSTGRES set): %v", probeErr)
		}
		return "", false
	}
	return postgresURL, true
}

// Each runs fn as a subtest on every available dialect, each with a fresh,
// migrated database.
func Each(t *testing.T, fn func(t *testing.T, db *sqldb.DB)) {
	t.Helper()
	for _, d := range []sqldb.Dialect{sqldb.SQLite, sqldb.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			if d == sqldb.Postgres {
				if _, ok := PostgresURL(t); !ok {
					t.Skip("PostgreSQL not reachable; set TANDEM_TEST_POSTGRES to run these tests")
				}
			}
			fn(t, Open(t, d))
		})
	}
}

// Open returns a fresh, migrated database of the dialect, closed (and on
// PostgreSQL dropped) when the test ends.
func Open(t testing.TB, d sqldb.Dialect) *sqldb.DB {
	t.Helper()
	db, err := sqldb.Open(context.Background(), URL(t, d), Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

// URL returns a --database URL for a fresh, empty database of the dialect,
// removed when the test ends. On PostgreSQL it is a new schema, selected
// through the URL's search_path, so tests can run in parallel on one server.
func URL(t testing.TB, d sqldb.Dialect) string {
	t.Helper()
	if d == sqldb.SQLite {
		return "sqlite:" + filepath.Join(t.TempDir(), "tandem.db")
	}
	base, ok := PostgresURL(t)
	if !ok {
		t.Skip("PostgreSQL not reachable")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	schema := "test_" + strings.ToLower(strings.TrimPrefix(tandem.NewID("x"), "x_"))
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("create test schema: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			t.Error(err)
			return
		}
		defer admin.Close()
		if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("drop test schema: %v", err)
		}
	})
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Logger returns the logger tests give the code under test: silent, unless
// TANDEM_TEST_LOG=1 asks for warnings and errors on stderr. (Logging to t.Log
// would panic when a background goroutine logs after its test ended.)
func Logger(testing.TB) *slog.Logger {
	if os.Getenv("TANDEM_TEST_LOG") == "1" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// OpenExisting opens the database at a --database URL without migrating it,
// closed when the test ends: for tests that look at what a command left.
func OpenExisting(t testing.TB, databaseURL string) *sqldb.DB {
	t.Helper()
	db, err := sqldb.Open(context.Background(), databaseURL, Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// LastLink returns the token of the newest one-time link emailed to the
// address with the template (e.g. "magic_link"), read from the outbox as
// the mail job would, or "" if none was queued.
func LastLink(t testing.TB, db *sqldb.DB, to, template string) string {
	t.Helper()
	var data string
	err := db.InTx(context.Background(), func(tx *sql.Tx) error {
		return tx.QueryRow(`SELECT data FROM emails WHERE to_address = $1 AND template = $2
			ORDER BY created_at DESC, id DESC LIMIT 1`, to, template).Scan(&data)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return ""
	} else if err != nil {
		t.Fatal(err)
	}
	var fields struct{ LinkPath string }
	if err := json.Unmarshal([]byte(data), &fields); err != nil {
		t.Fatal(err)
	}
	return fields.LinkPath[strings.LastIndex(fields.LinkPath, "/")+1:]
}
