package sqldb

import (
	"context"
	"sync"
	"time"

	"github.com/tandem-prm/tandem"
)

// groupCommit gathers concurrent single events into shared transactions:
// a caller that finds fewer than `leaders` batches under way leads one,
// while later callers queue; each batch, when committed, hands the lead to
// the first caller waiting, who takes the queue (up to `size` events). A
// commit (an fsync on SQLite) is then shared by every event that arrived
// during the one before. Each event stays atomic on its own (see
// recorder.run), and each caller returns only once its event is committed.
//
// Leading is done by the callers' own goroutines, so there is nothing to
// start or stop: a server that shuts down waits for its requests, and with
// them for every batch.
type groupCommit struct {
	record  func(context.Context, []conversionEvent) ([]tandem.ConversionResult, error)
	leaders int // at most this many batches at once
	size    int // at most this many events per batch

	mu     sync.Mutex
	queue  []*groupCall
	active int // batches under way
}

type groupCall struct {
	ev     conversionEvent
	result tandem.ConversionResult
	done   chan struct{} // closed when result is set
	lead   chan struct{} // closed to make the waiting caller lead the next batch
}

// batchTimeout bounds a batch's transaction, whichever caller leads it.
const batchTimeout = 30 * time.Second

func newGroupCommit(leaders, size int, record func(context.Context, []conversionEvent) ([]tandem.ConversionResult, error)) *groupCommit {
	return &groupCommit{record: record, leaders: leaders, size: size}
}

// do records the event in the next batch and returns its result. It waits
// for the commit even if ctx ends (the event may be committed by then); the
// batch is bounded by batchTimeout instead.
func (g *groupCommit) do(ctx context.Context, ev conversionEvent) tandem.ConversionResult {
	call := &groupCall{ev: ev, done: make(chan struct{}), lead: make(chan struct{})}
	g.mu.Lock()
	lead := g.active < g.leaders
	if lead {
		g.active++
	} else {
		g.queue = append(g.queue, call)
	}
	g.mu.Unlock()
	if !lead {
		select {
		case <-call.done:
			return call.result
		case <-call.lead: // taken out of the queue: no other batch has it
		}
	}
	g.lead(ctx, call)
	return call.result
}

// lead commits a batch of call and the callers waiting, then hands the lead
// to the first caller still waiting, out of the queue.
func (g *groupCommit) lead(ctx context.Context, call *groupCall) {
	g.mu.Lock()
	n := min(len(g.queue), g.size-1)
	calls := append([]*groupCall{call}, g.queue[:n]...)
	g.queue = g.queue[n:]
	g.mu.Unlock()

	g.commit(context.WithoutCancel(ctx), calls)

	g.mu.Lock()
	if len(g.queue) > 0 {
		next := g.queue[0]
		g.queue = g.queue[1:]
		close(next.lead)
	} else {
		g.active--
	}
	g.mu.Unlock()
}

// commit records the calls' events in one transaction. If that fails as a
// whole, each event is tried in a transaction of its own, so that one
// event's failure is never another's.
func (g *groupCommit) commit(ctx context.Context, calls []*groupCall) {
	if len(calls) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, batchTimeout)
	defer cancel()
	evs := make([]conversionEvent, len(calls))
	for i, c := range calls {
		evs[i] = c.ev
	}
	results, err := g.record(ctx, evs)
	if err != nil && len(calls) > 1 {
		for _, c := range calls {
			g.commit(ctx, []*groupCall{c})
		}
		return
	}
	for i, c := range calls {
		if err != nil {
			c.result = tandem.ConversionResult{Err: err}
		} else {
			c.result = results[i]
		}
		close(c.done)
	}
}
