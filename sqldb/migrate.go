package sqldb

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/tandem-prm/tandem"
)

// migrationFS holds Tandem's migrations. A file applies to both dialects
// unless its name ends in .sqlite.sql or .postgres.sql; a version that needs
// different SQL has one file of each.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

// MigrationState is one migration and whether the database has it.
type MigrationState struct {
	Component string // "tandem" for Tandem's tables, "river" for the job queue's
	Version   int64
	Name      string
	Applied   bool
}

// ErrSchemaNewer is returned when the database was migrated by a newer
// Tandem than this binary: running would risk writing data it misreads.
type ErrSchemaNewer struct {
	Component string
	Database  int64
	Binary    int64
}

func (e *ErrSchemaNewer) Error() string {
	return fmt.Sprintf("the database schema (%s version %d) is newer than this binary knows (version %d): upgrade tandem", e.Component, e.Database, e.Binary)
}

// Migrate brings the database's schema up to date: Tandem's tables, then the
// job queue's. On PostgreSQL an advisory lock lets several instances start at
// once. A database newer than the binary is refused untouched.
func (db *DB) Migrate(ctx context.Context) error {
	return db.withMigrationLock(ctx, func() error {
		if err := db.checkNotNewer(ctx); err != nil {
			return err
		}
		p, err := db.goose()
		if err != nil {
			return err
		}
		if _, err := p.Up(ctx); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		m, err := db.riverMigrator()
		if err != nil {
			return err
		}
		if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
			return fmt.Errorf("migrate job queue: %w", err)
		}
		return nil
	})
}

// MigrationStatus lists every migration the binary knows and whether it is applied.
func (db *DB) MigrationStatus(ctx context.Context) ([]MigrationState, error) {
	p, err := db.goose()
	if err != nil {
		return nil, err
	}
	statuses, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	var out []MigrationState
	for _, s := range statuses {
		out = append(out, MigrationState{
			Component: "tandem",
			Version:   s.Source.Version,
			Name:      strings.TrimSuffix(s.Source.Path, ".sql"),
			Applied:   s.State == goose.StateApplied,
		})
	}
	m, err := db.riverMigrator()
	if err != nil {
		return nil, err
	}
	existing, err := m.ExistingVersions(ctx)
	if err != nil {
		existing = nil // no river_migration table yet: nothing applied
	}
	for _, v := range m.AllVersions() {
		out = append(out, MigrationState{
			Component: "river",
			Version:   int64(v.Version),
			Name:      v.Name,
			Applied:   slices.ContainsFunc(existing, func(e rivermigrate.Migration) bool { return e.Version == v.Version }),
		})
	}
	return out, nil
}

// CheckSchema returns nil when every migration the binary knows is applied,
// EUNAVAILABLE when some are pending, and *ErrSchemaNewer when the database
// is ahead of the binary.
func (db *DB) CheckSchema(ctx context.Context) error {
	if err := db.checkNotNewer(ctx); err != nil {
		return err
	}
	states, err := db.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	pending := 0
	for _, s := range states {
		if !s.Applied {
			pending++
		}
	}
	if pending > 0 {
		return tandem.Errorf(tandem.EUNAVAILABLE, "%d database migrations are pending: run tandem migrate up", pending)
	}
	return nil
}

func (db *DB) checkNotNewer(ctx context.Context) error {
	p, err := db.goose()
	if err != nil {
		return err
	}
	sources := p.ListSources()
	known := sources[len(sources)-1].Version
	var current int64
	// The version table may not exist yet on a new database: then it is not newer.
	err = db.write.QueryRowContext(ctx, `SELECT COALESCE(MAX(version_id), 0) FROM goose_db_version`).Scan(&current)
	if err == nil && current > known {
		return &ErrSchemaNewer{Component: "tandem", Database: current, Binary: known}
	}
	m, err := db.riverMigrator()
	if err != nil {
		return err
	}
	all := m.AllVersions()
	if existing, err := m.ExistingVersions(ctx); err == nil && len(existing) > 0 {
		newest, last := existing[len(existing)-1].Version, all[len(all)-1].Version
		if newest > last {
			return &ErrSchemaNewer{Component: "river", Database: int64(newest), Binary: int64(last)}
		}
	}
	return nil
}

func (db *DB) goose() (*goose.Provider, error) {
	migrations, err := fs.Sub(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	otherDialect := map[Dialect]string{SQLite: ".postgres.sql", Postgres: ".sqlite.sql"}[db.dialect]
	entries, err := fs.ReadDir(migrations, ".")
	if err != nil {
		return nil, err
	}
	var exclude []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), otherDialect) {
			exclude = append(exclude, e.Name())
		}
	}
	dialect := map[Dialect]goose.Dialect{SQLite: goose.DialectSQLite3, Postgres: goose.DialectPostgres}[db.dialect]
	return goose.NewProvider(dialect, db.write, migrations,
		goose.WithExcludeNames(exclude), goose.WithDisableGlobalRegistry(true))
}

func (db *DB) riverMigrator() (*rivermigrate.Migrator[*sql.Tx], error) {
	return rivermigrate.New(db.RiverDriver(), &rivermigrate.Config{Logger: db.logger})
}

// withMigrationLock runs fn holding a PostgreSQL advisory lock scoped to the
// current schema, so that instances starting together migrate one at a time.
func (db *DB) withMigrationLock(ctx context.Context, fn func() error) error {
	if db.dialect != Postgres {
		return fn()
	}
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	const key = `hashtext(current_schema() || '.tandem_migrate')`
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(`+key+`)`); err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(`+key+`)`)
	return fn()
}
