package ratelimit

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

const (
	// memoryShards spreads keys over this many independently locked maps so
	// that concurrent requests for different keys rarely wait for each other.
	memoryShards = 64
	// sweepMin is the size at which a shard first sweeps out expired keys.
	sweepMin = 256
)

// Memory is a Limiter that keeps its counters in this process. It is safe
// for concurrent use.
//
// Memory stays bounded: a key whose bucket is full again (its TAT is not in
// the future) holds nothing a fresh key would not, so it may be dropped. A
// shard sweeps such keys when adding a key would take it to its threshold,
// and then sets the threshold to max(256, 2 × the keys that survived).
// So each shard holds at most max(256, 2·L) keys, where L is the number of
// keys still live at its last sweep; the whole limiter holds fewer than
// 64·256 + 2 × (live keys) entries. A key is live from its first allowed
// event until Burst·Period/Rate after its last one. Sweeping costs amortised
// O(1) per new key and locks one shard only.
type Memory struct {
	now    func() time.Time
	seed   maphash.Seed
	shards [memoryShards]memoryShard
}

// memoryShard is one locked part of the keys.
type memoryShard struct {
	mu      sync.Mutex
	tats    map[string]int64 // key → TAT in Unix nanoseconds
	sweepAt int              // sweep before the map grows to this size
}

// NewMemory returns an in-memory Limiter reading the time from now.
func NewMemory(now func() time.Time) *Memory {
	m := &Memory{now: now, seed: maphash.MakeSeed()}
	for i := range m.shards {
		m.shards[i].tats = make(map[string]int64)
		m.shards[i].sweepAt = sweepMin
	}
	return m
}

// Allow counts one event for key under l and says whether it is allowed.
// A denied event is not counted.
func (m *Memory) Allow(_ context.Context, key string, l Limit) (Result, error) {
	return m.do(key, l, true)
}

// Peek returns the Result that Allow would return now, counting nothing.
func (m *Memory) Peek(_ context.Context, key string, l Limit) (Result, error) {
	return m.do(key, l, false)
}

// Return gives back one event counted for key under l.
func (m *Memory) Return(_ context.Context, key string, l Limit) error {
	g, err := l.gcra()
	if err != nil {
		return err
	}
	s := &m.shards[maphash.String(m.seed, key)%memoryShards]
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.tats[key]
	if !ok {
		return nil
	}
	if tat, live := g.giveBack(old, m.now().UnixNano()); live {
		s.tats[key] = tat
	} else {
		delete(s.tats, key)
	}
	return nil
}

func (m *Memory) do(key string, l Limit, count bool) (Result, error) {
	g, err := l.gcra()
	if err != nil {
		return Result{}, err
	}
	s := &m.shards[maphash.String(m.seed, key)%memoryShards]
	s.mu.Lock()
	defer s.mu.Unlock()
	// Read the clock under the lock: two events on one key then see
	// non-decreasing times in the order they are counted.
	now := m.now().UnixNano()
	old, ok := s.tats[key]
	res, tat := g.step(old, now)
	if count && res.Allowed {
		if !ok {
			s.sweep(now)
		}
		s.tats[key] = tat
	}
	return res, nil
}

// sweep removes expired keys once the shard has reached its threshold.
func (s *memoryShard) sweep(now int64) {
	if len(s.tats) < s.sweepAt-1 {
		return
	}
	for k, tat := range s.tats {
		if tat <= now {
			delete(s.tats, k)
		}
	}
	s.sweepAt = max(sweepMin, 2*len(s.tats))
}

// len returns the number of keys held, expired or not.
func (m *Memory) len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += len(s.tats)
		s.mu.Unlock()
	}
	return n
}
