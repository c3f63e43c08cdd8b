package sqldb_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/clicks"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// eachTwoInstances runs test on each database with the click stores of two
// instances (two handles on one database, each with its own memory of
// click windows) and a link of the first's fixture.
func eachTwoInstances(t *testing.T, test func(t *testing.T, first *sqldb.DB, link *tandem.Link, stores [2]*sqldb.ClickStore)) {
	for _, d := range []sqldb.Dialect{sqldb.SQLite, sqldb.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			url := sqldbtest.URL(t, d)
			first := sqldbtest.OpenExisting(t, url)
			if err := first.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			_, link, _ := clickFixture(t, first)
			test(t, first, link, [2]*sqldb.ClickStore{sqldb.NewClickStore(first), sqldb.NewClickStore(sqldbtest.OpenExisting(t, url))})
		})
	}
}

// Two instances (two handles on one database) recording the same visitor's
// clicks on the same link at the same moment still count one unique click.
func TestUniqueClicksExactAcrossInstances(t *testing.T) {
	t.Parallel()
	eachTwoInstances(t, func(t *testing.T, first *sqldb.DB, link *tandem.Link, stores [2]*sqldb.ClickStore) {
		const rounds, perRound = 15, 8
		for round := range rounds {
			start := make(chan struct{})
			errs := make(chan error, perRound)
			var wg sync.WaitGroup
			for i := range perRound {
				wg.Go(func() {
					<-start
					// Each click in its own batch, on alternating instances; the
					// first of each pair of batches also carries another visitor.
					batch := []clicks.Click{{ID: tandem.NewID(tandem.PrefixClick), LinkID: link.ID, Visitor: fmt.Sprint("v", round)}}
					if i%2 == 0 {
						batch = append(batch, clicks.Click{ID: tandem.NewID(tandem.PrefixClick), LinkID: link.ID, Visitor: fmt.Sprint("w", round, i)})
					}
					errs <- stores[i%2].InsertClicks(context.Background(), batch)
				})
			}
			close(start)
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		rows := clickRows(t, first)
		perVisitor := map[string][2]int{} // rows, unique
		for _, r := range rows {
			n := perVisitor[r.visitor]
			n[0]++
			if r.unique {
				n[1]++
			}
			perVisitor[r.visitor] = n
		}
		for round := range rounds {
			if got := perVisitor[fmt.Sprint("v", round)]; got != [2]int{perRound, 1} {
				t.Errorf("visitor v%d: %d clicks, %d unique; want %d, 1", round, got[0], got[1], perRound)
			}
		}
		if len(rows) != rounds*perRound*3/2 {
			t.Errorf("%d rows; want %d", len(rows), rounds*perRound*3/2)
		}
	})
}

// An instance that knows of a visitor's unique click still sees the one
// another instance recorded after the window had passed: what it
// remembers settles only clicks inside the window it knows.
func TestUniqueClicksSeeOtherInstancesWindows(t *testing.T) {
	t.Parallel()
	eachTwoInstances(t, func(t *testing.T, first *sqldb.DB, link *tandem.Link, stores [2]*sqldb.ClickStore) {
		a, b := stores[0], stores[1]
		t0 := time.Date(2026, 1, 10, 15, 0, 0, 0, time.UTC)
		for _, step := range []struct {
			store *sqldb.ClickStore
			id    string
			at    time.Duration
		}{
			{a, "a0", 0},                 // unique
			{a, "a30", 30 * time.Minute}, // inside a0's window
			{b, "b70", 70 * time.Minute}, // a0's window has passed: unique
			{a, "a80", 80 * time.Minute}, // a knows a0 only, but b70's window holds
			{b, "b131", 131 * time.Minute},
			{a, "a135", 135 * time.Minute},
		} {
			err := step.store.InsertClicks(context.Background(), []clicks.Click{{ID: step.id, LinkID: link.ID, Visitor: "v", At: t0.Add(step.at)}})
			if err != nil {
				t.Fatal(err)
			}
		}
		rows := clickRows(t, first)
		for id, want := range map[string]bool{"a0": true, "a30": false, "b70": true, "a80": false, "b131": true, "a135": false} {
			if rows[id].unique != want {
				t.Errorf("click %s unique = %v; want %v", id, rows[id].unique, want)
			}
		}
	})
}

// Purging click windows deletes those that have passed and keeps the
// others: a click inside a kept window still counts once.
func TestPurgeClickWindows(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		_, link, _ := clickFixture(t, db)
		now := time.Date(2026, 1, 10, 15, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		store := sqldb.NewClickStore(db)
		if err := store.InsertClicks(ctx, []clicks.Click{
			{ID: "old", LinkID: link.ID, Visitor: "old", At: now.Add(-sqldb.UniqueWindow)},
			{ID: "recent", LinkID: link.ID, Visitor: "recent", At: now.Add(-sqldb.UniqueWindow + time.Minute)},
		}); err != nil {
			t.Fatal(err)
		}
		if n, err := store.PurgeClickWindows(ctx); n != 1 || err != nil {
			t.Fatalf("PurgeClickWindows = %d, %v; want 1 window deleted", n, err)
		}
		// A new instance (nothing remembered) judges from the table alone.
		if err := sqldb.NewClickStore(db).InsertClicks(ctx, []clicks.Click{
			{ID: "old2", LinkID: link.ID, Visitor: "old"},
			{ID: "recent2", LinkID: link.ID, Visitor: "recent"},
		}); err != nil {
			t.Fatal(err)
		}
		rows := clickRows(t, db)
		if !rows["old2"].unique || rows["recent2"].unique {
			t.Errorf("after the purge: old2 unique = %v, recent2 unique = %v; want true, false", rows["old2"].unique, rows["recent2"].unique)
		}
	})
}
