package sqldb_test

import (
	"context"
	"fmt"
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
