package sqldb

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tandem-prm/tandem"
)

// TestGroupCommit checks the scheduling of group commits with a stand-in
// for the transaction: concurrent calls share batches, no more than the
// allowed batches run at once and none is larger than allowed, every
// caller gets the result of its own event, and a batch that fails as a
// whole is retried event by event, so one event's failure is never
// another's.
func TestGroupCommit(t *testing.T) {
	t.Parallel()
	for _, leaders := range []int{1, 3} {
		t.Run(fmt.Sprint(leaders, " leaders"), func(t *testing.T) {
			t.Parallel()
			var running, mostRunning, batches, largest atomic.Int64
			record := func(_ context.Context, evs []conversionEvent) ([]tandem.ConversionResult, error) {
				n := running.Add(1)
				defer running.Add(-1)
				for m := mostRunning.Load(); n > m && !mostRunning.CompareAndSwap(m, n); m = mostRunning.Load() {
				}
				for l := largest.Load(); int64(len(evs)) > l && !largest.CompareAndSwap(l, int64(len(evs))); l = largest.Load() {
				}
				batches.Add(1)
				time.Sleep(2 * time.Millisecond) // the commit
				results := make([]tandem.ConversionResult, len(evs))
				for i, ev := range evs {
					if ev.in.EventID == "bad" && len(evs) > 1 {
						return nil, errors.New("the database failed on the bad event")
					}
					results[i] = tandem.ConversionResult{Conversion: &tandem.Conversion{EventID: ev.in.EventID}}
					if ev.in.EventID == "bad" {
						results[i] = tandem.ConversionResult{Err: errors.New("bad on its own")}
					}
				}
				return results, nil
			}
			g := newGroupCommit(leaders, 16, record)
			var wg sync.WaitGroup
			const calls = 400
			for i := range calls {
				wg.Go(func() {
					id := fmt.Sprintf("ev_%d", i)
					if i == calls/2 {
						id = "bad"
					}
					res := g.do(context.Background(), conversionEvent{in: tandem.ConversionInput{EventID: id}})
					switch {
					case id == "bad":
						if res.Err == nil || res.Err.Error() != "bad on its own" {
							t.Errorf("the bad event: %v", res.Err)
						}
					case res.Err != nil || res.Conversion.EventID != id:
						t.Errorf("%s answered %+v", id, res)
					}
				})
			}
			wg.Wait()
			if b := batches.Load(); b >= calls {
				t.Errorf("%d batches for %d calls: no group commit", b, calls)
			}
			if l := largest.Load(); l > 16 {
				t.Errorf("a batch of %d events; at most 16", l)
			}
			if m := mostRunning.Load(); m > int64(leaders) {
				t.Errorf("%d batches at once; at most %d", m, leaders)
			}
			g.mu.Lock()
			defer g.mu.Unlock()
			if g.active != 0 || len(g.queue) != 0 {
				t.Errorf("left %d leaders and %d waiting", g.active, len(g.queue))
			}
		})
	}
}
