// Package clicks records clicks on partners' links with group commit: each
// redirect waits until its click is committed, and the clicks that arrive
// while a commit runs share the next transaction, so a burst of clicks costs
// a few commits rather than one each.
//
// The package holds no SQL: the Writer calls a Store (sqldb.ClickStore in
// production, a fake in tests).
package clicks

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tandem-prm/tandem"
)

// Click is one click on a link, as the redirect saw it. The store fills in
// the rest (program, partner, uniqueness, attributability) inside the
// transaction that records it.
type Click struct {
	ID     string // clk_…, chosen before the commit so the redirect can carry it
	LinkID string // lnk_…
	// At is when the visitor clicked; zero means the commit's time.
	At time.Time
	// Visitor is the privacy-preserving visitor key (see VisitorKey).
	Visitor    string
	UserAgent  string
	Referrer   string
	LandingURL string // where the redirect sent the visitor, click ID included
	Bot        bool
}

// Limits on what a click keeps of the request.
const (
	MaxUserAgent = 512
	MaxReferrer  = 2000
	MaxLanding   = 4000
)

// Truncate cuts s to at most n bytes without splitting a UTF-8 character.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// Store records clicks.
type Store interface {
	// InsertClicks stores the clicks in one transaction: all or none.
	InsertClicks(ctx context.Context, cs []Click) error
}

// ErrClosed is returned by Record once Close has been called.
var ErrClosed = tandem.Errorf(tandem.EUNAVAILABLE, "The server is shutting down; please try again in a moment.")

// Options tune a Writer.
type Options struct {
	// MaxBatch is the most clicks one transaction takes (default 256).
	MaxBatch int
	// QueueSize is how many clicks may wait for a commit (default 4096);
	// Record blocks while the queue is full.
	QueueSize int
	// CommitTimeout bounds each batch's transaction (default 10s).
	CommitTimeout time.Duration
	// CommitDelay is how long a batch that found other clicks queued with
	// its first waits for more before it commits (default 1ms; negative:
	// none). Under concurrent clicks, fewer and larger commits cost less
	// per click; a lone click never waits.
	CommitDelay time.Duration
	Logger      *slog.Logger
}

// Writer batches clicks into shared transactions. It is safe for concurrent
// use; create it with NewWriter and stop it with Close.
type Writer struct {
	store  Store
	secret []byte
	opts   Options
	queue  chan *request
	done   chan struct{}
	mu     sync.RWMutex // held for reading while enqueuing, for writing to close the queue
	closed bool
	dayKey atomic.Pointer[dayKey] // VisitorKey's key of the latest day
}

type request struct {
	click  Click
	result chan error
}

// NewWriter starts a writer on the store. secret keys the visitor hashes
// (see VisitorKey); it must be the same on every instance.
func NewWriter(store Store, secret []byte, opts Options) *Writer {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 256
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 4096
	}
	if opts.CommitTimeout <= 0 {
		opts.CommitTimeout = 10 * time.Second
	}
	if opts.CommitDelay == 0 {
		opts.CommitDelay = time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	w := &Writer{store: store, secret: secret, opts: opts,
		queue: make(chan *request, opts.QueueSize), done: make(chan struct{})}
	go w.run()
	return w
}

// Record queues the click and returns once the transaction holding it has
// committed (nil) or failed. If ctx ends first Record returns ctx's error;
// the click may still be committed.
func (w *Writer) Record(ctx context.Context, c Click) error {
	req, _ := requests.Get().(*request)
	if req == nil {
		req = &request{result: make(chan error, 1)}
	}
	req.click = c
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		requests.Put(req)
		return ErrClosed
	}
	select {
	case w.queue <- req:
		w.mu.RUnlock()
	case <-ctx.Done():
		w.mu.RUnlock()
		requests.Put(req)
		return ctx.Err()
	}
	select {
	case err := <-req.result:
		// Answered and drained: no one holds req any more, so the next
		// click may reuse it (one that ctx gave up on is left to the GC).
		req.click = Click{}
		requests.Put(req)
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// requests are the requests answered, for reuse: a click costs no new
// result channel.
var requests sync.Pool

// Close stops accepting clicks, commits those already queued and returns
// when they are committed, or when ctx ends. It may be called more than once.
func (w *Writer) Close(ctx context.Context) error {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.queue)
	}
	w.mu.Unlock()
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("clicks: drain: %w", ctx.Err())
	}
}

// run commits batches: it waits for a first click, takes whatever else is
// queued (up to MaxBatch), and if that was anything waits up to
// CommitDelay for more; then it commits and repeats.
func (w *Writer) run() {
	defer close(w.done)
	batch := make([]*request, 0, w.opts.MaxBatch)
	delay := time.NewTimer(time.Hour)
	delay.Stop()
	for {
		first, ok := <-w.queue
		if !ok {
			return
		}
		batch = append(batch[:0], first)
		open := w.take(&batch, nil)
		if open && len(batch) > 1 && len(batch) < w.opts.MaxBatch && w.opts.CommitDelay > 0 {
			delay.Reset(w.opts.CommitDelay)
			w.take(&batch, delay.C)
			delay.Stop()
		}
		w.commit(batch)
	}
}

// take adds queued clicks to the batch until it holds MaxBatch, the queue
// is empty (wait nil) or wait fires. It reports whether the queue is still
// open.
func (w *Writer) take(batch *[]*request, wait <-chan time.Time) bool {
	for len(*batch) < w.opts.MaxBatch {
		if wait == nil {
			select {
			case req, ok := <-w.queue:
				if !ok {
					return false
				}
				*batch = append(*batch, req)
			default:
				return true
			}
			continue
		}
		select {
		case req, ok := <-w.queue:
			if !ok {
				return false
			}
			*batch = append(*batch, req)
		case <-wait:
			return true
		}
	}
	return true
}

// commit stores a batch and wakes its waiters. If the shared transaction
// fails, each click is tried alone, so that one bad click cannot fail the
// clicks that happened to share its transaction.
func (w *Writer) commit(batch []*request) {
	cs := make([]Click, len(batch)) // the store may keep them: not reused
	for i, req := range batch {
		cs[i] = req.click
	}
	err := w.insert(cs)
	if err == nil || len(batch) == 1 {
		for _, req := range batch {
			req.result <- err
		}
		return
	}
	w.opts.Logger.Warn("click batch failed; retrying its clicks one by one", "clicks", len(batch), "err", err)
	for i, req := range batch {
		req.result <- w.insert(cs[i : i+1])
	}
}

func (w *Writer) insert(cs []Click) error {
	ctx, cancel := context.WithTimeout(context.Background(), w.opts.CommitTimeout)
	defer cancel()
	if err := w.store.InsertClicks(ctx, cs); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("record clicks: commit took over %s: %w", w.opts.CommitTimeout, err)
		}
		return fmt.Errorf("record clicks: %w", err)
	}
	return nil
}

// VisitorKey returns the visitor key of a click at the given time from the
// client's address (host:port or a bare IP) and user agent: the hex
// HMAC-SHA256 of the address's network (/24 for IPv4, /48 for IPv6) and the
// user agent, under a key derived from the writer's secret and the UTC day.
// The key changes every day, so a visitor cannot be followed across days
// and the IP cannot be recovered by trying every address.
func (w *Writer) VisitorKey(at time.Time, remoteAddr, userAgent string) string {
	day := at.UTC().Format(time.DateOnly)
	k := w.dayKey.Load()
	if k == nil || k.day != day { // the day's key is derived once, not per click
		k = &dayKey{day: day, key: dayKeyOf(w.secret, day)}
		w.dayKey.Store(k)
	}
	mac, _ := k.macs.Get().(hash.Hash)
	if mac == nil {
		mac = hmac.New(sha256.New, k.key)
	}
	key := visitorKeyWith(mac, remoteAddr, userAgent)
	k.macs.Put(mac)
	return key
}

// VisitorKey is Writer.VisitorKey with an explicit secret.
func VisitorKey(secret []byte, at time.Time, remoteAddr, userAgent string) string {
	return visitorKey(dayKeyOf(secret, at.UTC().Format(time.DateOnly)), remoteAddr, userAgent)
}

// dayKey is the visitor hash key of one UTC day, with its HMACs for reuse.
type dayKey struct {
	day  string
	key  []byte
	macs sync.Pool // hash.Hash: HMAC-SHA256 under key
}

func dayKeyOf(secret []byte, day string) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("tandem visitor day " + day))
	return mac.Sum(nil)
}

func visitorKey(dayKey []byte, remoteAddr, userAgent string) string {
	return visitorKeyWith(hmac.New(sha256.New, dayKey), remoteAddr, userAgent)
}

// visitorKeyWith computes the visitor key with mac, an HMAC under the day's
// key, which it resets first.
func visitorKeyWith(mac hash.Hash, remoteAddr, userAgent string) string {
	mac.Reset()
	io.WriteString(mac, network(remoteAddr))
	mac.Write([]byte{0})
	io.WriteString(mac, userAgent)
	var sum [sha256.Size]byte
	return hex.EncodeToString(mac.Sum(sum[:0]))
}

// network returns the /24 (IPv4) or /48 (IPv6) holding the address, or ""
// when it is not an IP address.
func network(remoteAddr string) string {
	addr, err := netip.ParseAddr(remoteAddr)
	if err != nil {
		ap, err := netip.ParseAddrPort(remoteAddr)
		if err != nil {
			return ""
		}
		addr = ap.Addr()
	}
	addr = addr.Unmap().WithZone("")
	bits := 48
	if addr.Is4() {
		bits = 24
	}
	prefix, err := addr.Prefix(bits)
	if err != nil {
		return ""
	}
	return prefix.String()
}
