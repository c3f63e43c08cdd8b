package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// run runs the command line in-process and returns its exit status and output.
func run(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Run(context.Background(), args, strings.NewReader(env["STDIN"]), &out, &errOut, func(k string) string { return env[k] })
	return code, out.String(), errOut.String()
}

func TestBadInputGivesOneClearLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string // in stderr
	}{
		{"unknown command", nil, []string{"serv"}, exitUsage, `unknown command "serv"`},
		{"unknown flag", nil, []string{"serve", "--port", "80"}, exitUsage, "flag provided but not defined: -port"},
		{"bad flag value", nil, []string{"serve", "--shutdown-timeout", "soon"}, exitUsage, "invalid value \"soon\" for flag -shutdown-timeout"},
		{"bad env value", map[string]string{"TANDEM_AUDIT_RETENTION_DAYS": "forever"}, []string{"serve"}, exitUsage, `invalid value "forever" for TANDEM_AUDIT_RETENTION_DAYS`},
		{"stray argument", nil, []string{"serve", "now"}, exitUsage, `unexpected argument "now"`},
		{"bad log format", nil, []string{"migrate", "--data-dir", dir, "--log-format", "xml"}, exitUsage, `invalid --log-format "xml"`},
		{"data dir is a file", nil, []string{"migrate", "--data-dir", file}, exitError, "a-file"},
		{"data dir under a file", nil, []string{"serve", "--data-dir", filepath.Join(file, "sub")}, exitError, "cannot be created: not a directory"},
		{"unknown database scheme", nil, []string{"migrate", "--data-dir", dir, "--database", "mysql://root:secret@db/tandem"}, exitUsage, "want sqlite:PATH or postgres://"},
		{"malformed postgres URL", nil, []string{"migrate", "--data-dir", dir, "--database", "postgres://u@host:port/db"}, exitUsage, "not a valid PostgreSQL URL"},
		{"database from env", map[string]string{"TANDEM_DATABASE": "oracle://x"}, []string{"demo", "--data-dir", dir}, exitUsage, `database URL "oracle://x"`},
		{"unreachable postgres", nil, []string{"migrate", "--data-dir", dir, "--database", "postgres://postgres@127.0.0.1:1/test?connect_timeout=2"}, exitError, "cannot reach the postgres database"},
		{"unknown migrate action", nil, []string{"migrate", "--data-dir", dir, "down"}, exitUsage, `unknown action "down"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, _, stderr := run(t, tt.env, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, tt.code, tt.want)
			}
			if lines := strings.Count(strings.TrimSpace(stderr), "\n") + 1; lines > 2 {
				t.Errorf("stderr has %d lines; want one (plus a usage hint): %q", lines, stderr)
			}
			if strings.Contains(stderr, "secret") {
				t.Errorf("stderr leaks a password: %q", stderr)
			}
		})
	}
}

func TestHelpListsEveryFlagWithItsEnvironmentVariable(t *testing.T) {
	t.Parallel()
	code, stdout, _ := run(t, nil, "serve", "--help")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"--listen", "TANDEM_LISTEN", "127.0.0.1:8080", "--data-dir", "TANDEM_DATA_DIR", "./tandem-data", "--database", "TANDEM_DATABASE", "--log-format", "--demo", "--no-migrate"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("serve --help lacks %q", want)
		}
	}
	if code, stdout, _ := run(t, nil, "help"); code != exitOK || !strings.Contains(stdout, "migrate") {
		t.Errorf("help = %d %q", code, stdout)
	}
}

func TestMigrateDemoAndStatus(t *testing.T) {
	t.Parallel()
	for _, d := range []sqldb.Dialect{sqldb.SQLite, sqldb.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			env := map[string]string{"TANDEM_DATA_DIR": dir}
			if d == sqldb.Postgres {
				env["TANDEM_DATABASE"] = sqldbtest.URL(t, d)
			}
			if code, stdout, stderr := run(t, env, "migrate", "status"); code != exitOK || !strings.Contains(stdout, "00001_foundation  ") || !strings.HasSuffix(stdout, "  pending\n") {
				t.Fatalf("status on a new database: %d %q %q; want every migration pending", code, stdout, stderr)
			}
			if code, stdout, stderr := run(t, env, "migrate"); code != exitOK || !strings.Contains(stdout, "up to date") {
				t.Fatalf("migrate: %d %q %q", code, stdout, stderr)
			}
			code, stdout, _ := run(t, env, "migrate", "status")
			if code != exitOK || !strings.Contains(stdout, "00001_foundation") || strings.Contains(stdout, "  pending\n") {
				t.Fatalf("status after migrate: %d %q", code, stdout)
			}
			if code, stdout, stderr := run(t, env, "demo"); code != exitOK || !strings.Contains(stdout, "2 programs, 12 partners") {
				t.Fatalf("demo: %d %q %q", code, stdout, stderr)
			}
			if code, _, stderr := run(t, env, "demo"); code != exitError || !strings.Contains(stderr, "already has programs") {
				t.Fatalf("demo twice: %d %q", code, stderr)
			}
			if d == sqldb.SQLite {
				if _, err := os.Stat(filepath.Join(dir, "tandem.db")); err != nil {
					t.Errorf("no database in the data directory: %v", err)
				}
			}
		})
	}
}

// A database migrated by a newer tandem is refused by every command, and its
// data stays as it was.
func TestNewerDatabaseIsRefusedUntouched(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := map[string]string{"TANDEM_DATA_DIR": dir}
	if code, _, stderr := run(t, env, "demo"); code != exitOK {
		t.Fatal(stderr)
	}
	db := sqldbtest.OpenExisting(t, "sqlite:"+filepath.Join(dir, "tandem.db"))
	if err := db.InTx(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (424242, true)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"serve", "--listen", "127.0.0.1:0"}, {"serve", "--no-migrate", "--listen", "127.0.0.1:0"}, {"migrate"}} {
		code, _, stderr := run(t, env, args...)
		if code != exitError || !strings.Contains(stderr, "newer than this binary") || !strings.Contains(stderr, "upgrade tandem") {
			t.Errorf("%v: exit %d, %q; want a refusal naming the newer schema", args, code, stderr)
		}
	}
	partners, err := sqldb.NewPartnerService(db).FindPartners(context.Background(), tandem.PartnerFilter{})
	if err != nil || len(partners) != 12 {
		t.Errorf("partners after refusals = %d, %v; want the demo's 12", len(partners), err)
	}
}

func TestAdminCreate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := map[string]string{"TANDEM_DATA_DIR": dir}
	if code, _, stderr := run(t, env, "admin", "create", "--email", "not-an-email", "--password", "a long password"); code != exitError || !strings.Contains(stderr, "--email: Email must be a valid address") {
		t.Errorf("bad email: %d %q; want the --email flag named", code, stderr)
	}
	if code, _, stderr := run(t, env, "admin", "create", "--email", "boss@example.com", "--password", "short"); code != exitError || !strings.Contains(stderr, "--password: Password must be at least 10 characters") {
		t.Errorf("short password: %d %q", code, stderr)
	}
	if code, _, stderr := run(t, env, "admin", "create"); code != exitUsage || !strings.Contains(stderr, "--email is required") {
		t.Errorf("no email: %d %q", code, stderr)
	}
	env["STDIN"] = "piped in password\n"
	code, stdout, stderr := run(t, env, "admin", "create", "--email", "Boss@Example.com")
	if code != exitOK || !strings.Contains(stdout, "Owner boss@example.com created") {
		t.Fatalf("create: %d %q %q", code, stdout, stderr)
	}
	db := sqldbtest.OpenExisting(t, "sqlite:"+filepath.Join(dir, "tandem.db"))
	p, err := sqldb.NewAccountService(db).SignInWithPassword(context.Background(), tandem.PrincipalUser, "boss@example.com", "piped in password")
	if err != nil || p.Kind != tandem.PrincipalUser {
		t.Errorf("the new owner cannot sign in: %v", err)
	}
	if code, _, stderr := run(t, env, "admin", "create", "--email", "boss@example.com", "--password", "another password"); code != exitError || !strings.Contains(stderr, "--email: A user with this email already exists.") {
		t.Errorf("duplicate: %d %q", code, stderr)
	}
}
