package sqldb

import (
	"sync"
	"time"

	"github.com/tandem-prm/tandem"
)

// APIKeyTTL is how long an authenticated API key is trusted without reading
// it again, which spares every API request a read transaction. Revoking a
// key, or changing the role or status of its creator, takes effect at once
// on the instance that made the change and within APIKeyTTL on the others.
const APIKeyTTL = 5 * time.Second

// apiKeyCache holds the keys authenticated in the last APIKeyTTL, by the
// hash of their secret.
type apiKeyCache struct {
	mu   sync.Mutex
	keys map[string]cachedAPIKey
}

type cachedAPIKey struct {
	key   tandem.APIKey
	until time.Time
}

// get returns a copy of the key cached for the secret's hash, if still fresh.
func (c *apiKeyCache) get(hash string, now time.Time) (*tandem.APIKey, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.keys[hash]
	if !ok || !now.Before(e.until) {
		return nil, false
	}
	key := e.key
	return &key, true
}

// put caches a key until now + APIKeyTTL, dropping stale entries once the
// cache has grown.
func (c *apiKeyCache) put(hash string, key *tandem.APIKey, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keys == nil {
		c.keys = map[string]cachedAPIKey{}
	}
	if len(c.keys) >= 1024 {
		for h, e := range c.keys {
			if !now.Before(e.until) {
				delete(c.keys, h)
			}
		}
	}
	c.keys[hash] = cachedAPIKey{key: *key, until: now.Add(APIKeyTTL)}
}

// clear forgets every key: called after a change that may end a key's
// access has committed.
func (c *apiKeyCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keys = nil
}
