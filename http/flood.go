package http

import (
	"math"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
)

// FloodLimit is how many clicks one visitor network (an IPv4 /24, an IPv6
// /64) may record on one instance: Burst at once, then PerSecond. The zero
// value takes the defaults, 60 at once and 5 a second: far above what
// people behind one address click, far below a script's pace.
type FloodLimit struct {
	PerSecond float64
	Burst     int
}

// Flood limiter defaults, and the most networks it remembers.
const (
	defaultFloodPerSecond = 5
	defaultFloodBurst     = 60
	floodMaxNetworks      = 50_000
)

// floodLimiter is a token bucket per visitor network, in memory and per
// instance: cheap enough for the redirect (one map lookup under a mutex, no
// I/O), and good enough against one visitor flooding the click tables. With
// several instances behind a load balancer a flood spreads over them, which
// multiplies the allowance, never refuses a person.
//
// Memory is bounded: a network whose bucket has refilled is forgotten (a
// fresh bucket is the same thing), and past floodMaxNetworks remembered
// networks the limiter forgets at random rather than grow.
type floodLimiter struct {
	limit rate.Limit
	burst int
	full  time.Duration // how long an empty bucket takes to refill

	// refused counts the clicks refused, by the way they came in.
	refused *prometheus.CounterVec

	mu        sync.Mutex
	networks  map[string]*floodBucket
	lastSweep time.Time
}

type floodBucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// newFloodLimiter returns a limiter with the limits (zero fields take the
// defaults) and its metric, registered on reg.
func newFloodLimiter(l FloodLimit, reg prometheus.Registerer) (*floodLimiter, error) {
	if l.PerSecond <= 0 {
		l.PerSecond = defaultFloodPerSecond
	}
	if l.Burst <= 0 {
		l.Burst = defaultFloodBurst
	}
	f := &floodLimiter{limit: rate.Limit(l.PerSecond), burst: l.Burst,
		full:     time.Duration(float64(l.Burst) / l.PerSecond * float64(time.Second)),
		networks: map[string]*floodBucket{},
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tandem_clicks_flood_refused_total",
			Help: "Clicks not recorded because their visitor network was over the flood limit, by way in (redirect or track).",
		}, []string{"way"})}
	if err := reg.Register(f.refused); err != nil {
		return nil, err
	}
	return f, nil
}

// allow takes one click from the visitor network's bucket. When the bucket
// is empty it reports false and how long until the next click is allowed.
func (f *floodLimiter) allow(network string, now time.Time) (bool, time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := f.networks[network]
	if b == nil {
		f.makeRoom(now)
		b = &floodBucket{lim: rate.NewLimiter(f.limit, f.burst)}
		f.networks[network] = b
	}
	b.seen = now
	if b.lim.AllowN(now, 1) {
		return true, 0
	}
	r := b.lim.ReserveN(now, 1)
	wait := r.DelayFrom(now)
	r.CancelAt(now)
	return false, wait
}

// makeRoom forgets the networks whose buckets are full again, at most once
// per refill time (so the sweep's cost is spread over many clicks), and one
// more at random if the map is still at its bound.
func (f *floodLimiter) makeRoom(now time.Time) {
	if now.Sub(f.lastSweep) >= f.full {
		f.lastSweep = now
		for k, b := range f.networks {
			if now.Sub(b.seen) >= f.full {
				delete(f.networks, k)
			}
		}
	}
	for k := range f.networks {
		if len(f.networks) < floodMaxNetworks {
			break
		}
		delete(f.networks, k)
	}
}

// floodNetwork is the network a visitor's clicks are limited by: the /24 of
// an IPv4 address (one office or carrier NAT block), the /64 of an IPv6 one
// (one subscriber). A RemoteAddr that is no IP (a test, a Unix socket) is
// its own network.
func floodNetwork(remoteAddr string) string {
	host := hostOf(remoteAddr)
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap().WithZone("")
	bits := 64
	if ip.Is4() {
		bits = 24
	}
	prefix, _ := ip.Prefix(bits)
	return prefix.String()
}

// floodAllows reports whether the visitor network of a click coming in by
// way ("redirect", "track") may record it now, and if not, the Retry-After
// to answer (whole seconds).
func (s *Server) floodAllows(way, remoteAddr string) (bool, string) {
	ok, wait := s.flood.allow(floodNetwork(remoteAddr), time.Now())
	if ok {
		return true, ""
	}
	s.flood.refused.WithLabelValues(way).Inc()
	return false, formatSeconds(wait)
}

// formatSeconds is a wait as Retry-After states it: whole seconds, at least 1.
func formatSeconds(d time.Duration) string {
	secs := int64(math.Ceil(d.Seconds()))
	if secs < 1 {
		secs = 1
	}
	return strconv.FormatInt(secs, 10)
}
