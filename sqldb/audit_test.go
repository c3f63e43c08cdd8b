package sqldb_test

import (
	"context"
	"testing"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

func TestPurgeAuditEntries(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		programs := sqldb.NewProgramService(db)
		day := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		for i, slug := range []string{"old", "edge", "new"} {
			db.Now = fixedClock(day.AddDate(0, 0, i))
			if err := programs.CreateProgram(ctx, &tandem.Program{Name: slug, Slug: slug, Type: tandem.ProgramReferral, Currency: "USD"}); err != nil {
				t.Fatal(err)
			}
		}
		audit := sqldb.NewAuditService(db)
		// The cutoff is exclusive: an entry exactly at it stays.
		n, err := audit.PurgeAuditEntries(ctx, day.AddDate(0, 0, 1))
		if err != nil || n != 1 {
			t.Fatalf("purged %d, %v; want 1", n, err)
		}
		left, err := audit.FindAuditEntries(ctx, tandem.AuditFilter{})
		if err != nil || len(left) != 2 || !left[0].OccurredAt.After(left[1].OccurredAt) {
			t.Fatalf("left = %v, %v; want 2, newest first", left, err)
		}
		// Pages follow each other by cursor, newest first.
		first, err := audit.FindAuditEntries(ctx, tandem.AuditFilter{Limit: 1})
		if err != nil || len(first) != 1 {
			t.Fatal(first, err)
		}
		next, err := audit.FindAuditEntries(ctx, tandem.AuditFilter{Limit: 1, Before: first[0].ID})
		if err != nil || len(next) != 1 || next[0].ID != left[1].ID {
			t.Fatalf("second page = %v, %v; want the older entry", next, err)
		}
		if last, _ := audit.FindAuditEntries(ctx, tandem.AuditFilter{Before: next[0].ID}); len(last) != 0 {
			t.Errorf("page after the last = %d entries", len(last))
		}
		if n, _ := audit.PurgeAuditEntries(ctx, day.AddDate(0, 0, 1)); n != 0 {
			t.Errorf("second purge deleted %d; want 0", n)
		}
	})
}
