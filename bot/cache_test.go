package bot

import (
	"fmt"
	"sync"
	"testing"
)

func TestCacheBounded(t *testing.T) {
	t.Parallel()
	for _, size := range []int{1, 7, 64, 100, 1000, 5000} {
		d := New(size)
		for i := range 3 * size {
			d.IsBot(fmt.Sprintf("Mozilla/5.0 (X11; Linux x86_64) Chrome/%d.0.0.0", i))
			if n := d.cache.len(); n > size {
				t.Fatalf("size %d: cache holds %d entries after %d user agents", size, n, i+1)
			}
		}
		if n := d.cache.len(); n != size {
			t.Errorf("size %d: cache holds %d entries after filling, want it full", size, n)
		}
	}
	if d := New(0); d.cache != nil {
		t.Error("New(0) has a cache")
	}
}

// TestCacheKeepsHotEntries checks the point of CLOCK over FIFO: user agents
// seen again survive a stream of one-off ones.
func TestCacheKeepsHotEntries(t *testing.T) {
	t.Parallel()
	c := newCache(64) // one shard
	hot, hh := c.key("hot")
	c.put(hot, hh, true)
	for i := range 1000 {
		if _, ok := c.get(hot, hh); !ok {
			t.Fatalf("hot entry evicted after %d one-off entries", i)
		}
		k, h := c.key(fmt.Sprint("cold ", i))
		c.put(k, h, false)
	}
}

// TestConcurrent runs readers and writers over a cache smaller than the set
// of user agents, so hits, misses and evictions race; run it with -race.
func TestConcurrent(t *testing.T) {
	t.Parallel()
	d := New(200)
	want := make(map[string]bool)
	var uas []string
	for i := range 500 {
		// Crawlers' user agents stay bots with a suffix; the exact extras
		// and the empty one would not.
		p, b := people[i%len(people)], bots[i%20]
		pua, bua := fmt.Sprintf("%s v%d", p.ua, i), fmt.Sprintf("%s v%d", b.ua, i)
		uas = append(uas, pua, bua)
		want[pua], want[bua] = false, true
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 4000 {
				// Each goroutine walks its own order; a hot subset repeats.
				ua := uas[(i*(2*g+1)+g*37)%len(uas)]
				if i%3 == 0 {
					ua = uas[i%20]
				}
				if got := d.IsBot(ua); got != want[ua] {
					t.Errorf("IsBot(%q) = %v, want %v", ua, got, want[ua])
					return
				}
			}
		})
	}
	wg.Wait()
	if n := d.cache.len(); n > 200 {
		t.Errorf("cache holds %d entries, limit 200", n)
	}
}
