package sqldb_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/clicks"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// Two instances (two handles on one database) recording the same visitor's
// clicks on the same link at the same moment still count one unique click.
func TestUniqueClicksExactAcrossInstances(t *testing.T) {
	t.Parallel()
	for _, d := range []sqldb.Dialect{sqldb.SQLite, sqldb.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			url := sqldbtest.URL(t, d)
			first := sqldbtest.OpenExisting(t, url)
			if err := first.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			_, link, _ := clickFixture(t, first)
			stores := []*sqldb.ClickStore{sqldb.NewClickStore(first), sqldb.NewClickStore(sqldbtest.OpenExisting(t, url))}
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
}
