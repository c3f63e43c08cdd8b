package bot

import (
	"encoding/binary"
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
)

// maxKey is the longest cache key. Longer user agents are keyed by their
// first bytes plus a hash of the whole, so a key never holds more than
// maxKey bytes yet two long user agents that differ only at the end do not
// share a verdict.
const maxKey = 512

// maxShards bounds the number of cache shards; more would only spread a
// small cache thin.
const maxShards = 32

// cache is a bounded map from user agent to verdict, split into shards that
// each take their own lock. Each shard evicts with the CLOCK algorithm: a
// hit sets an entry's reference bit, and the hand sweeping for room clears
// set bits and evicts the first entry whose bit is clear. New entries start
// clear, so a flood of one-off user agents evicts itself before it evicts
// the user agents that keep coming back.
type cache struct {
	seed   maphash.Seed
	shards []shard
}

type shard struct {
	mu      sync.RWMutex
	index   map[string]int // key -> position in entries
	entries []cacheEntry
	limit   int // len(entries) never exceeds it
	hand    int
}

type cacheEntry struct {
	key string
	bot bool
	// ref is set by hits under the read lock, so it is atomic.
	ref atomic.Bool
}

// newCache returns a cache of at most size entries, or nil when size < 1.
func newCache(size int) *cache {
	if size < 1 {
		return nil
	}
	// At least 64 entries a shard so that CLOCK has room to work.
	n := 1
	for n*2 <= maxShards && n*2*64 <= size {
		n *= 2
	}
	c := &cache{seed: maphash.MakeSeed(), shards: make([]shard, n)}
	for i := range c.shards {
		// The shard limits add up to size exactly.
		limit := size / n
		if i < size%n {
			limit++
		}
		c.shards[i].limit = limit
		c.shards[i].index = make(map[string]int)
	}
	return c
}

// key returns the cache key of ua and its hash.
func (c *cache) key(ua string) (string, uint64) {
	h := maphash.String(c.seed, ua)
	if len(ua) <= maxKey {
		return ua, h
	}
	return string(binary.LittleEndian.AppendUint64([]byte(ua[:maxKey-8]), h)), h
}

func (c *cache) shard(h uint64) *shard {
	return &c.shards[h%uint64(len(c.shards))]
}

// get returns the cached verdict for key.
func (c *cache) get(key string, h uint64) (bot, ok bool) {
	s := c.shard(h)
	s.mu.RLock()
	i, ok := s.index[key]
	if ok {
		e := &s.entries[i]
		bot = e.bot
		if !e.ref.Load() { // skip the write (and the cache line) when set
			e.ref.Store(true)
		}
	}
	s.mu.RUnlock()
	return bot, ok
}

// put records the verdict for key, evicting an entry if the shard is full.
func (c *cache) put(key string, h uint64, bot bool) {
	s := c.shard(h)
	s.mu.Lock()
	defer s.mu.Unlock()
	if i, ok := s.index[key]; ok { // another goroutine got here first
		s.entries[i].bot = bot
		return
	}
	if len(s.entries) < s.limit {
		// Copy the key: the caller's string may share memory with a whole
		// request that the cache must not keep alive.
		key = strings.Clone(key)
		s.entries = append(s.entries, cacheEntry{key: key, bot: bot})
		s.index[key] = len(s.entries) - 1
		return
	}
	for {
		e := &s.entries[s.hand]
		i := s.hand
		s.hand = (s.hand + 1) % len(s.entries)
		if e.ref.Load() {
			e.ref.Store(false)
			continue
		}
		delete(s.index, e.key)
		e.key, e.bot = strings.Clone(key), bot
		s.index[e.key] = i
		return
	}
}

// len returns the number of cached entries.
func (c *cache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		n += len(s.index)
		s.mu.RUnlock()
	}
	return n
}
