package sqldb_test

import (
	"time"

	"context"
	"fmt"
	"github.com/tandem-prm/tandem/clicks"
	"syscall"
	"testing"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/sqldb"
	"github.com/tandem-prm/tandem/sqldb/sqldbtest"
)

// eachDialect runs a benchmark on every available dialect.
func eachDialect(b *testing.B, fn func(b *testing.B, db *sqldb.DB)) {
	for _, d := range []sqldb.Dialect{sqldb.SQLite, sqldb.Postgres} {
		b.Run(string(d), func(b *testing.B) {
			if d == sqldb.Postgres {
				if _, ok := sqldbtest.PostgresURL(b); !ok {
					b.Skip("PostgreSQL not reachable")
				}
			}
			fn(b, sqldbtest.Open(b, d))
		})
	}
}

// BenchmarkCreatePartner measures one audited write transaction.
func BenchmarkCreatePartner(b *testing.B) {
	eachDialect(b, func(b *testing.B, db *sqldb.DB) {
		s := sqldb.NewPartnerService(db)
		ctx := context.Background()
		i := 0
		for b.Loop() {
			i++
			if err := s.CreatePartner(ctx, &tandem.Partner{Name: "P", Email: fmt.Sprintf("p%d@example.com", i)}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkFindProgramByID measures one read transaction, from parallel readers.
func BenchmarkFindProgramByID(b *testing.B) {
	eachDialect(b, func(b *testing.B, db *sqldb.DB) {
		s := sqldb.NewProgramService(db)
		ctx := context.Background()
		p := &tandem.Program{Name: "P", Slug: "p", Type: tandem.ProgramReferral, Currency: "USD"}
		if err := s.CreateProgram(ctx, p); err != nil {
			b.Fatal(err)
		}
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.FindProgramByID(ctx, p.ID); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkInsertClicks measures the click writer's transactions: batches
// of 32 clicks from different visitors on one link (what concurrent
// redirects of a busy link share), on a table that already holds clicks.
// It reports the time per click and this process's CPU time per click
// (the benchmark's own making of clicks included; PostgreSQL's server
// excluded), which the machine's other load moves less.
func BenchmarkInsertClicks(b *testing.B) {
	eachDialect(b, func(b *testing.B, db *sqldb.DB) {
		ctx := context.Background()
		_, link, _ := clickFixture(b, db)
		store := sqldb.NewClickStore(db)
		const batch = 32
		n := 0
		insert := func() {
			cs := make([]clicks.Click, batch)
			for i := range cs {
				n++
				cs[i] = clicks.Click{ID: tandem.NewTimeID(tandem.PrefixClick, time.Now()), LinkID: link.ID,
					Visitor:   clicks.VisitorKey([]byte("secret"), time.Now(), fmt.Sprintf("10.%d.%d.1", n/256%256, n%256), "Mozilla/5.0"),
					UserAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", Referrer: "https://blog.example/post",
					LandingURL: "https://www.acme.example/?utm_source=partner&tandem_click=" + tandem.NewID(tandem.PrefixClick)}
			}
			if err := store.InsertClicks(ctx, cs); err != nil {
				b.Fatal(err)
			}
		}
		for range 20000 / batch {
			insert()
		}
		cpu := cpuTime()
		b.ResetTimer()
		for b.Loop() {
			insert()
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*batch), "µs/click")
		b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N*batch), "cpu-µs/click")
	})
}

// cpuTime is the CPU time (user and system) the process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
