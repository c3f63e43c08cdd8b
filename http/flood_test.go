package http

import (
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func newTestFloodLimiter(t testing.TB) *floodLimiter {
	t.Helper()
	f, err := newFloodLimiter(FloodLimit{}, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// With the default limits one network gets 60 clicks at once and then 5 a
// second, told how long to wait; another network has its own bucket.
func TestFloodLimiter(t *testing.T) {
	t.Parallel()
	f := newTestFloodLimiter(t)
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	allowed := 0
	var wait time.Duration
	for range 100 {
		ok, w := f.allow("198.51.100.0/24", now)
		if ok {
			allowed++
		} else {
			wait = w
		}
	}
	if allowed != 60 || wait != 200*time.Millisecond {
		t.Errorf("100 clicks at once: %d allowed, wait %s; want 60 and 200ms", allowed, wait)
	}
	if ok, _ := f.allow("198.51.100.0/24", now.Add(200*time.Millisecond)); !ok {
		t.Error("no click allowed after the wait")
	}
	if ok, _ := f.allow("198.51.100.0/24", now.Add(200*time.Millisecond)); ok {
		t.Error("two clicks allowed after one wait")
	}
	if ok, _ := f.allow("203.0.113.0/24", now); !ok {
		t.Error("another network was limited")
	}
	if got := formatSeconds(200 * time.Millisecond); got != "1" {
		t.Errorf("Retry-After for 200ms = %q; want 1", got)
	}
	if got := formatSeconds(2500 * time.Millisecond); got != "3" {
		t.Errorf("Retry-After for 2.5s = %q; want 3", got)
	}
}

// Full buckets are forgotten, and the limiter never remembers more than
// floodMaxNetworks networks however many come.
func TestFloodLimiterMemory(t *testing.T) {
	t.Parallel()
	f := newTestFloodLimiter(t)
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	for i := range floodMaxNetworks + 1000 {
		f.allow(fmt.Sprintf("net-%d", i), now)
	}
	if n := len(f.networks); n > floodMaxNetworks {
		t.Errorf("%d networks remembered; want at most %d", n, floodMaxNetworks)
	}
	f.allow("late", now.Add(f.full)) // every other bucket has refilled by now
	if n := len(f.networks); n != 1 {
		t.Errorf("%d networks remembered after they all refilled; want 1", n)
	}
}

func TestFloodNetwork(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]string{
		"198.51.100.7:443":              "198.51.100.0/24",
		"198.51.100.250:1":              "198.51.100.0/24",
		"[::ffff:198.51.100.9]:1":       "198.51.100.0/24",
		"[2001:db8:1:2::1]:1":           "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::9%eth0]:1": "2001:db8:1:2::/64",
		"[2001:db8:1:3::1]:1":           "2001:db8:1:3::/64",
		"pipe":                          "pipe",
	} {
		if got := floodNetwork(addr); got != want {
			t.Errorf("floodNetwork(%q) = %q; want %q", addr, got, want)
		}
	}
}

// The limiter's cost on the redirect: one call per click, from many
// networks at once.
func BenchmarkFloodAllow(b *testing.B) {
	f := newTestFloodLimiter(b)
	nets := make([]string, 1024)
	for i := range nets {
		nets[i] = floodNetwork(fmt.Sprintf("10.%d.%d.1:1", i/256, i%256))
	}
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			f.allow(nets[i%len(nets)], time.Now())
			i++
		}
	})
}
