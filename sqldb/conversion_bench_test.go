package sqldb_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tandem-prm/tandem"
	"github.com/tandem-prm/tandem/clicks"
	"github.com/tandem-prm/tandem/sqldb"
)

// benchSales seeds a program with an approved partner, a 20 % plan and a
// click, and returns a function making the n-th sale event: attributed by
// the click to a new customer, earning a commission and a ledger posting.
func benchSales(b *testing.B, db *sqldb.DB) func(n int64) tandem.ConversionInput {
	b.Helper()
	ctx := context.Background()
	prog := &tandem.Program{Name: "Bench", Slug: "bench", Type: tandem.ProgramReferral, Currency: "USD", TimeZone: "UTC",
		DestinationURL: "https://shop.bench.example/", AutoApprove: true}
	if err := sqldb.NewProgramService(db).CreateProgram(ctx, prog); err != nil {
		b.Fatal(err)
	}
	partners := sqldb.NewPartnerService(db)
	p := &tandem.Partner{Name: "Bench partner", Email: "partner@bench.example"}
	if err := partners.CreatePartner(ctx, p); err != nil {
		b.Fatal(err)
	}
	if _, err := partners.JoinProgram(ctx, prog.ID, p.ID); err != nil {
		b.Fatal(err)
	}
	rules := []tandem.Rule{{Key: "sales", Triggers: []tandem.Trigger{tandem.TriggerFirstSale, tandem.TriggerRepeatSale},
		Kind: tandem.KindPercentage, Rate: decimal.NewFromInt(20), HoldDays: 30}}
	if _, err := sqldb.NewPlanService(db).CreatePlan(ctx, prog.ID, "Standard", rules, time.Time{}); err != nil {
		b.Fatal(err)
	}
	link, err := sqldb.NewLinkService(db).EnsureDefaultLink(ctx, p.ID, prog.ID)
	if err != nil {
		b.Fatal(err)
	}
	click := tandem.NewID(tandem.PrefixClick)
	if err := sqldb.NewClickStore(db).InsertClicks(ctx, []clicks.Click{{ID: click, LinkID: link.ID, Visitor: "bench"}}); err != nil {
		b.Fatal(err)
	}
	return func(n int64) tandem.ConversionInput {
		return tandem.ConversionInput{ProgramID: prog.ID, Kind: tandem.ConversionSale, Source: tandem.SourceAPI,
			EventID: fmt.Sprintf("in_%d", n), CustomerID: fmt.Sprintf("cus_%d", n), ClickID: click, Amount: 14900, Currency: "USD"}
	}
}

// BenchmarkRecordConversion measures single events from concurrent callers
// (the API's one event per request), per event.
func BenchmarkRecordConversion(b *testing.B) {
	eachDialect(b, func(b *testing.B, db *sqldb.DB) {
		event := benchSales(b, db)
		s := sqldb.NewConversionService(db)
		var next atomic.Int64
		b.SetParallelism(32)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.RecordConversion(context.Background(), event(next.Add(1)), ""); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkRecordConversions measures bulk requests of 1,000 events, per
// event.
func BenchmarkRecordConversions(b *testing.B) {
	eachDialect(b, func(b *testing.B, db *sqldb.DB) {
		event := benchSales(b, db)
		s := sqldb.NewConversionService(db)
		var next int64
		for b.Loop() {
			ins := make([]tandem.ConversionInput, 1000)
			for i := range ins {
				next++
				ins[i] = event(next)
			}
			rs, err := s.RecordConversions(context.Background(), ins)
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range rs {
				if r.Err != nil {
					b.Fatal(r.Err)
				}
			}
		}
		b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "events/s")
	})
}
