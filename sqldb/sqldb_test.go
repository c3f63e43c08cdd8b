package sqldb_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

func TestParseURL(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in      string
		dialect sqldb.Dialect
		target  string
		wantErr bool
	}{
		{"sqlite:tandem-data/tandem.db", sqldb.SQLite, "tandem-data/tandem.db", false},
		{"sqlite:///var/lib/tandem.db", sqldb.SQLite, "/var/lib/tandem.db", false},
		{"postgres://u@localhost/tandem", sqldb.Postgres, "postgres://u@localhost/tandem", false},
		{"postgresql://u@localhost:5433/tandem?sslmode=disable", sqldb.Postgres, "postgresql://u@localhost:5433/tandem?sslmode=disable", false},
		{"sqlite:", "", "", true},
		{"sqlite:x.db?mode=memory", "", "", true},
		{"mysql://root@localhost/tandem", "", "", true},
		{"tandem.db", "", "", true},
		{"postgres://u@localhost:notaport/x", "", "", true},
	} {
		d, target, err := sqldb.ParseURL(tt.in)
		if (err != nil) != tt.wantErr || d != tt.dialect || target != tt.target {
			t.Errorf("ParseURL(%q) = %q, %q, %v; want %q, %q, error %v", tt.in, d, target, err, tt.dialect, tt.target, tt.wantErr)
		}
	}
}

func TestParseURLHidesPassword(t *testing.T) {
	t.Parallel()
	_, _, err := sqldb.ParseURL("mysql://root:hunter2@localhost/tandem")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error %v leaks the password", err)
	}
	_, _, err = sqldb.ParseURL("postgres://root:hunter2@localhost:badport/tandem")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error %v leaks the password", err)
	}
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		if err := db.CheckSchema(ctx); err != nil {
			t.Fatalf("CheckSchema after Migrate: %v", err)
		}
		// Migrating again is a no-op.
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		states, err := db.MigrationStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		components := map[string]int{}
		for _, s := range states {
			if !s.Applied {
				t.Errorf("migration %s %d %s not applied", s.Component, s.Version, s.Name)
			}
			components[s.Component]++
		}
		if components["tandem"] == 0 || components["river"] == 0 {
			t.Errorf("status lists %v; want tandem and river migrations", components)
		}
	})
}

func TestSchemaNewerThanBinaryIsRefusedUntouched(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		programs := sqldb.NewProgramService(db)
		if err := programs.CreateProgram(ctx, &tandem.Program{Name: "Kept", Slug: "kept", Type: tandem.ProgramReferral, Currency: "EUR"}); err != nil {
			t.Fatal(err)
		}
		// A newer binary applied a migration this one does not know.
		if err := db.InTx(ctx, func(tx *sql.Tx) error {
			_, err := tx.Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (99999, true)`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		var newer *sqldb.ErrSchemaNewer
		if err := db.Migrate(ctx); !errors.As(err, &newer) || newer.Database != 99999 {
			t.Fatalf("Migrate = %v; want ErrSchemaNewer at 99999", err)
		}
		if err := db.CheckSchema(ctx); !errors.As(err, &newer) {
			t.Fatalf("CheckSchema = %v; want ErrSchemaNewer", err)
		}
		ps, err := programs.FindPrograms(ctx, tandem.ProgramFilter{})
		if err != nil || len(ps) != 1 || ps[0].Slug != "kept" {
			t.Fatalf("programs after refused migration = %v, %v", ps, err)
		}
	})
}

// fixedClock returns a clock stopped at t, truncated as the store truncates.
func fixedClock(t time.Time) tandem.Clock {
	return func() time.Time { return t }
}
