package sqldb

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/tandem-prm/tandem"
)

// TestFlushFallback: a batch that cannot be written because a concurrent
// writer recorded its event first (simulated by staging an event already
// stored) writes nothing; as the transaction's first write it asks for the
// transaction to run again one event at a time, and after another write it
// falls back to recordOne at once, which answers the stored conversion.
func TestFlushFallback(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "t.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	prog := &tandem.Program{Name: "Acme", Slug: "acme", Type: tandem.ProgramReferral, Currency: "USD", DestinationURL: "https://acme.example/"}
	if err := NewProgramService(db).CreateProgram(ctx, prog); err != nil {
		t.Fatal(err)
	}
	s := NewConversionService(db)
	in := tandem.ConversionInput{ProgramID: prog.ID, Kind: tandem.ConversionSale, EventID: "in_1", CustomerID: "cus_1", Amount: 1000, Currency: "USD"}
	stored, err := s.RecordConversion(ctx, in, "")
	if err != nil {
		t.Fatal(err)
	}
	restage := func(r *recorder) []tandem.ConversionResult {
		again := in
		again.Normalize()
		hash := requestHash(again)
		again.OccurredAt = r.tx.now
		if err := r.stage(ctx, 0, conversionEvent{in: in}, again, hash); err != nil {
			t.Fatal(err)
		}
		return make([]tandem.ConversionResult, 1)
	}
	err = db.inWriteTx(ctx, func(tx *Tx) error {
		r := newRecorder(tx)
		return r.flush(ctx, restage(r))
	})
	if !errors.Is(err, errBatchUnwritten) {
		t.Fatalf("first write of the transaction: %v; want errBatchUnwritten", err)
	}
	var results []tandem.ConversionResult
	if err := db.inWriteTx(ctx, func(tx *Tx) error {
		r := newRecorder(tx)
		r.wrote = true
		results = restage(r)
		return r.flush(ctx, results)
	}); err != nil {
		t.Fatal(err)
	}
	if res := results[0]; res.Err != nil || !res.Replayed || res.Conversion.ID != stored.Conversion.ID {
		t.Fatalf("after another write: %+v; want the stored conversion, replayed", res)
	}
	cs, err := s.Conversions(ctx, tandem.ConversionFilter{ProgramID: prog.ID})
	if err != nil || len(cs) != 1 {
		t.Fatalf("%d conversions (%v); want 1", len(cs), err)
	}
}
