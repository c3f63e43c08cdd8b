package clicks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeStore records batches; a call may be held at a gate and may fail.
type fakeStore struct {
	mu      sync.Mutex
	batches [][]Click
	entered chan struct{} // receives once per call, if not nil
	gate    chan struct{} // a call waits for it, if not nil
	fail    func(cs []Click) error
}

func (f *fakeStore) InsertClicks(ctx context.Context, cs []Click) error {
	if f.entered != nil {
		f.entered <- struct{}{}
	}
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if f.fail != nil {
		if err := f.fail(cs); err != nil {
			return err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.batches = append(f.batches, slices.Clone(cs))
	return nil
}

func (f *fakeStore) sizes() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	var n []int
	for _, b := range f.batches {
		n = append(n, len(b))
	}
	return n
}

func (f *fakeStore) ids() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for _, b := range f.batches {
		for _, c := range b {
			ids = append(ids, c.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

// waitQueued waits until n clicks wait in the writer's queue.
func waitQueued(t *testing.T, w *Writer, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); len(w.queue) < n; {
		if time.Now().After(deadline) {
			t.Fatalf("queue holds %d clicks; want %d", len(w.queue), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// recordAll records clicks c0…c(n-1) from offset concurrently and returns
// their errors once all have returned.
func recordAll(w *Writer, offset, n int) <-chan []error {
	out := make(chan []error, 1)
	go func() {
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { errs[i] = w.Record(context.Background(), Click{ID: fmt.Sprintf("c%03d", offset+i)}) })
		}
		wg.Wait()
		out <- errs
	}()
	return out
}

func TestWriterBatchesWhatIsQueued(t *testing.T) {
	t.Parallel()
	store := &fakeStore{entered: make(chan struct{}, 100), gate: make(chan struct{})}
	w := NewWriter(store, []byte("secret"), Options{MaxBatch: 8})
	first := recordAll(w, 0, 1)
	<-store.entered // the first click's commit is running
	rest := recordAll(w, 1, 20)
	waitQueued(t, w, 20)
	close(store.gate)
	for _, errs := range [][]error{<-first, <-rest} {
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := store.sizes(); !slices.Equal(got, []int{1, 8, 8, 4}) {
		t.Errorf("batch sizes = %v; want [1 8 8 4]", got)
	}
	if ids := store.ids(); len(ids) != 21 || len(slices.Compact(ids)) != 21 {
		t.Errorf("stored %d clicks: %v", len(ids), ids)
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// A batch that found company waits up to CommitDelay for more clicks: those
// arriving meanwhile share its commit, which happens as soon as it is full.
func TestWriterDelayGathersConcurrentClicks(t *testing.T) {
	t.Parallel()
	store := &fakeStore{entered: make(chan struct{}, 100), gate: make(chan struct{})}
	w := NewWriter(store, nil, Options{MaxBatch: 5, CommitDelay: time.Hour})
	first := recordAll(w, 0, 1)
	<-store.entered // the first click's commit is running
	second := recordAll(w, 1, 2)
	waitQueued(t, w, 2)
	close(store.gate) // the writer takes the two and waits for more
	for len(w.queue) > 0 {
		time.Sleep(time.Millisecond)
	}
	third := recordAll(w, 3, 3)
	for _, errs := range [][]error{<-first, <-second, <-third} {
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := store.sizes(); !slices.Equal(got, []int{1, 5}) {
		t.Errorf("batch sizes = %v; want [1 5]", got)
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestWriterIdleCommitsAtOnce(t *testing.T) {
	t.Parallel()
	store := &fakeStore{}
	w := NewWriter(store, nil, Options{})
	defer w.Close(context.Background())
	for i := range 3 { // one at a time: each is its own batch, with no waiting for company
		if err := w.Record(context.Background(), Click{ID: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if got := store.sizes(); !slices.Equal(got, []int{1, 1, 1}) {
		t.Errorf("batch sizes = %v", got)
	}
}

func TestWriterCloseDrains(t *testing.T) {
	t.Parallel()
	store := &fakeStore{entered: make(chan struct{}, 100), gate: make(chan struct{})}
	w := NewWriter(store, nil, Options{MaxBatch: 4})
	first := recordAll(w, 0, 1)
	<-store.entered
	rest := recordAll(w, 1, 10)
	waitQueued(t, w, 10)
	closed := make(chan error, 1)
	go func() { closed <- w.Close(context.Background()) }()
	// Close stops new clicks at once, while the queued ones still commit.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		w.mu.RLock()
		closing := w.closed
		w.mu.RUnlock()
		if closing {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Close did not start")
		}
	}
	if err := w.Record(context.Background(), Click{ID: "late"}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Record after Close = %v; want ErrClosed", err)
	}
	select {
	case err := <-closed:
		t.Fatalf("Close returned %v before the queue drained", err)
	default:
	}
	close(store.gate)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	for _, errs := range [][]error{<-first, <-rest} {
		for _, err := range errs {
			if err != nil {
				t.Errorf("queued click: %v", err)
			}
		}
	}
	if ids := store.ids(); len(ids) != 11 || slices.Contains(ids, "late") {
		t.Errorf("stored %v; want the 11 queued clicks", ids)
	}
	if err := w.Close(context.Background()); err != nil { // again: a no-op
		t.Fatal(err)
	}
}

func TestWriterCloseGivesUpWithItsContext(t *testing.T) {
	t.Parallel()
	store := &fakeStore{entered: make(chan struct{}, 1), gate: make(chan struct{})}
	w := NewWriter(store, nil, Options{})
	done := recordAll(w, 0, 1)
	<-store.entered
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := w.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close = %v; want the deadline", err)
	}
	close(store.gate)
	if errs := <-done; errs[0] != nil {
		t.Error(errs[0])
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestWriterErrors(t *testing.T) {
	t.Parallel()
	t.Run("every waiter of a failed batch gets the error", func(t *testing.T) {
		t.Parallel()
		boom := errors.New("disk on fire")
		store := &fakeStore{fail: func([]Click) error { return boom }}
		w := NewWriter(store, nil, Options{})
		defer w.Close(context.Background())
		for _, err := range <-recordAll(w, 0, 10) {
			if !errors.Is(err, boom) {
				t.Errorf("Record = %v; want %v", err, boom)
			}
		}
	})
	t.Run("one bad click does not fail its batch", func(t *testing.T) {
		t.Parallel()
		store := &fakeStore{entered: make(chan struct{}, 100), gate: make(chan struct{}),
			fail: func(cs []Click) error {
				if slices.ContainsFunc(cs, func(c Click) bool { return c.ID == "c003" }) {
					return errors.New("bad click")
				}
				return nil
			}}
		w := NewWriter(store, nil, Options{})
		defer w.Close(context.Background())
		first := recordAll(w, 100, 1)
		<-store.entered
		rest := recordAll(w, 0, 6)
		waitQueued(t, w, 6)
		close(store.gate)
		<-first
		for i, err := range <-rest {
			if (i == 3) != (err != nil) {
				t.Errorf("click %d: %v", i, err)
			}
		}
		if ids := store.ids(); len(ids) != 6 || slices.Contains(ids, "c003") {
			t.Errorf("stored %v", ids)
		}
	})
	t.Run("a cancelled request stops waiting", func(t *testing.T) {
		t.Parallel()
		store := &fakeStore{gate: make(chan struct{})}
		w := NewWriter(store, nil, Options{})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := w.Record(ctx, Click{ID: "x"}); err == nil {
			t.Error("Record with a cancelled context = nil")
		}
		close(store.gate)
		if err := w.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

func TestVisitorKey(t *testing.T) {
	t.Parallel()
	secret := []byte("s3cret")
	day := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	ua := "Mozilla/5.0"
	base := VisitorKey(secret, day, "203.0.113.7:5555", ua)
	if len(base) != 64 || strings.Contains(base, "203.0.113") {
		t.Fatalf("key = %q", base)
	}
	for _, tt := range []struct {
		name string
		key  string
		same bool
	}{
		{"same /24, other port", VisitorKey(secret, day.Add(13*time.Hour), "203.0.113.200:1", ua), true},
		{"bare IP", VisitorKey(secret, day, "203.0.113.9", ua), true},
		{"IPv4-mapped IPv6", VisitorKey(secret, day, "[::ffff:203.0.113.9]:80", ua), true},
		{"other /24", VisitorKey(secret, day, "203.0.114.7:5555", ua), false},
		{"other user agent", VisitorKey(secret, day, "203.0.113.7:5555", ua+" x"), false},
		{"next UTC day", VisitorKey(secret, day.Add(14*time.Hour), "203.0.113.7:5555", ua), false},
		{"other secret", VisitorKey([]byte("other"), day, "203.0.113.7:5555", ua), false},
	} {
		if (tt.key == base) != tt.same {
			t.Errorf("%s: same = %v; want %v", tt.name, tt.key == base, tt.same)
		}
	}
	v6 := VisitorKey(secret, day, "[2001:db8:1:2::1]:443", ua)
	if v6 != VisitorKey(secret, day, "[2001:db8:1:ffff::9]:443", ua) || v6 == VisitorKey(secret, day, "[2001:db8:2::1]:443", ua) {
		t.Error("IPv6 visitors are not keyed by their /48")
	}
	// A writer keeps the day's key; it follows the day and gives the same keys.
	w := NewWriter(nil, secret, Options{})
	defer w.Close(context.Background())
	for _, at := range []time.Time{day, day.Add(time.Hour), day.Add(14 * time.Hour), day} {
		if got, want := w.VisitorKey(at, "203.0.113.7:5555", ua), VisitorKey(secret, at, "203.0.113.7:5555", ua); got != want {
			t.Errorf("writer's key at %s = %s; want %s", at, got, want)
		}
	}
}

func TestTruncate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{{"abc", 5, "abc"}, {"abcdef", 3, "abc"}, {"aé", 2, "a"}, {"aé", 3, "aé"}} {
		if got := Truncate(tt.in, tt.n); got != tt.want {
			t.Errorf("Truncate(%q, %d) = %q; want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
