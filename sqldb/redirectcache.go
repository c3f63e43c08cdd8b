package sqldb

import (
	"sync"
	"time"

	"github.com/tandem-prm/tandem"
)

// RedirectTTL is how long FindRedirect may answer from memory. A change
// that alters a redirect (archiving a link, a new program destination)
// clears the memory of the instance that made it at once; other instances
// on the same database follow within RedirectTTL. Whether a click earns
// anything (the partner still approved) is decided in the transaction that
// records it, never from this memory.
const RedirectTTL = 5 * time.Second

// redirectCacheMax bounds the memory: past it the cache starts afresh.
const redirectCacheMax = 10000

// redirectCache remembers FindRedirect's answers by code, so that the redirect's hot path reads the database once per code
// every RedirectTTL instead of once per click.
type redirectCache struct {
	mu      sync.RWMutex
	gen     uint64 // bumped by forget: an answer read before it is not kept
	entries map[string]redirectEntry
}

type redirectEntry struct {
	redirect tandem.Redirect
	expires  time.Time
}

// get returns the remembered redirect, if fresh.
func (c *redirectCache) get(code string) (tandem.Redirect, bool) {
	c.mu.RLock()
	e, ok := c.entries[code]
	c.mu.RUnlock()
	if !ok || time.Now().After(e.expires) {
		return tandem.Redirect{}, false
	}
	return e.redirect, true
}

// generation is read before the database, and passed to put.
func (c *redirectCache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// put remembers an answer read from the database, unless forget ran since
// gen was read (the answer may predate the change).
func (c *redirectCache) put(code string, gen uint64, r tandem.Redirect) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.entries == nil || len(c.entries) >= redirectCacheMax {
		c.entries = map[string]redirectEntry{}
	}
	c.entries[code] = redirectEntry{redirect: r, expires: time.Now().Add(RedirectTTL)}
}

// forget drops every answer; call it after committing a change that may
// alter a redirect.
func (c *redirectCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.entries = nil
}
