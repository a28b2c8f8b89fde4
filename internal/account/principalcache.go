package account

import (
	"crypto/sha256"
	"sync"
	"sync/atomic"
	"time"
)

// The principal cache (docs/decisions.md, "Forward auth: a cache of
// answers"). Forward auth runs before every request a proxy guards, so
// Introspect keeps the answers it gave, by token hash, for a short time:
// three database reads become a map lookup.
//
// Correctness rests on two rules:
//   - every write of this process that could end a credential or change
//     what is reported about it (revocations, suspension, deletion, the
//     address, the second factor) empties the cache once it is committed
//     (invalidatingStore): the entries loaded before it carry an older
//     generation and are never served again, including those of readers
//     that were loading while the write committed;
//   - what this process cannot see — another node, the operator's CLI on
//     the same database — ends at the latest after the TTL; with Redis,
//     nodes tell each other at once (Config.OnPrincipalsChanged).
//
// Only answers that admit the credential are kept: a refusal is not cached,
// so a token that passes its second factor works at once.

// DefaultPrincipalCacheTTL is ACCOUNTD_FORWARD_AUTH_CACHE's default.
const DefaultPrincipalCacheTTL = 5 * time.Second

// maxCachedPrincipals bounds the cache's memory (an entry is a few hundred
// bytes): beyond, an arbitrary entry makes room for the new one.
const maxCachedPrincipals = 10_000

type cachedPrincipal struct {
	p        Principal
	loadedAt time.Time
	gen      uint64
}

type principalCache struct {
	ttl time.Duration
	gen atomic.Uint64

	mu      sync.RWMutex
	entries map[[sha256.Size]byte]cachedPrincipal
}

func newPrincipalCache(ttl time.Duration) *principalCache {
	return &principalCache{ttl: ttl, entries: make(map[[sha256.Size]byte]cachedPrincipal)}
}

// generation is read before loading an answer and stored with it.
func (c *principalCache) generation() uint64 {
	if c == nil {
		return 0
	}
	return c.gen.Load()
}

// get returns the answer kept for hash if it is still good at now.
func (c *principalCache) get(hash []byte, now time.Time) (Principal, bool) {
	if c == nil || len(hash) != sha256.Size {
		return Principal{}, false
	}
	c.mu.RLock()
	e, ok := c.entries[[sha256.Size]byte(hash)]
	c.mu.RUnlock()
	if !ok || e.gen != c.gen.Load() || now.Sub(e.loadedAt) >= c.ttl || now.Before(e.loadedAt) {
		return Principal{}, false
	}
	return e.p, true
}

// put keeps p, loaded at now from a read that started at generation gen.
func (c *principalCache) put(hash []byte, p Principal, now time.Time, gen uint64) {
	if c == nil || len(hash) != sha256.Size || gen != c.gen.Load() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxCachedPrincipals {
		for k := range c.entries {
			delete(c.entries, k)
			break
		}
	}
	c.entries[[sha256.Size]byte(hash)] = cachedPrincipal{p: p, loadedAt: now, gen: gen}
}

// forget retires every entry: their generation is no longer current. The
// map is emptied too, so that memory follows.
func (c *principalCache) forget() {
	if c == nil {
		return
	}
	c.gen.Add(1)
	c.mu.Lock()
	clear(c.entries)
	c.mu.Unlock()
}

// ForgetPrincipals empties the cache of forward-auth answers: main calls it
// when another node says it changed a credential.
func (s *Service) ForgetPrincipals() { s.principals.forget() }
