package ratelimit

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestMemory(t *testing.T) {
	testLimiter(t, func(t *testing.T) (Limiter, timeline) {
		c := newFakeClock()
		return NewMemory(c.Now), fakeTime(c)
	})
}

// TestMemorySustainedRate: after the burst, one event per interval, and a
// full burst again after a quiet Period.
func TestMemorySustainedRate(t *testing.T) {
	c := newFakeClock()
	m := NewMemory(c.Now)
	lim := Limit{Rate: 10, Period: time.Second, Burst: 3}
	exhaust(t, m, "k", lim, 3)
	for i := range 50 {
		c.Advance(99 * time.Millisecond)
		if res := allow(t, m, "k", lim); res.Allowed || res.RetryAfter != time.Millisecond {
			t.Fatalf("step %d: Allow 99ms after the last = %+v, want denied with RetryAfter 1ms", i, res)
		}
		c.Advance(time.Millisecond)
		if res := allow(t, m, "k", lim); !res.Allowed || res.Remaining != 0 {
			t.Fatalf("step %d: Allow 100ms after the last = %+v, want allowed with Remaining 0", i, res)
		}
	}
	c.Advance(time.Second)
	exhaust(t, m, "k", lim, 3)
}

// TestMemoryConcurrent: 100 goroutines × 100 events on one key under
// 1000/min with the clock standing still allow exactly 1000.
func TestMemoryConcurrent(t *testing.T) {
	c := newFakeClock()
	m := NewMemory(c.Now)
	lim := PerMinute(1000)
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			for range 100 {
				res, err := m.Allow(context.Background(), "login:ip:1.2.3.4", lim)
				if err != nil {
					t.Errorf("Allow error = %v", err)
					return
				}
				if res.Allowed {
					allowed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if got := allowed.Load(); got != 1000 {
		t.Fatalf("allowed = %d of 10000, want 1000", got)
	}
}

// TestMemorySweep: keys whose buckets are full again are swept, so a stream
// of distinct keys does not grow the map without bound, and live keys are
// kept.
func TestMemorySweep(t *testing.T) {
	c := newFakeClock()
	m := NewMemory(c.Now)
	exhaust(t, m, "live", PerHour(1), 1)
	lim := Limit{Rate: 1, Period: time.Second}
	const rounds, perRound = 20, 2000
	for r := range rounds {
		for i := range perRound {
			if _, err := m.Allow(context.Background(), fmt.Sprintf("login:ip:%d.%d", r, i), lim); err != nil {
				t.Fatal(err)
			}
		}
		c.Advance(2 * time.Second) // every key of this round is full again
	}
	// Each shard holds at most max(sweepMin, 2 × its live keys): here ~30
	// live keys per shard, so sweepMin. Without sweeping it would be 40,001.
	if n, bound := m.len(), memoryShards*sweepMin; n > bound {
		t.Fatalf("keys held after %d distinct expired keys = %d, want at most %d", rounds*perRound, n, bound)
	}
	if res := allow(t, m, "live", PerHour(1)); res.Allowed {
		t.Fatalf("Allow(live) after sweeps = %+v, want still denied (a live key was swept)", res)
	}
}

// TestMemoryPeekAddsNoKey: Peek and denied events store nothing.
func TestMemoryPeekAddsNoKey(t *testing.T) {
	m := NewMemory(newFakeClock().Now)
	for i := range 100 {
		peek(t, m, fmt.Sprint("k", i), PerMinute(1))
	}
	if n := m.len(); n != 0 {
		t.Fatalf("keys held after 100 Peeks = %d, want 0", n)
	}
}

func BenchmarkMemoryAllow(b *testing.B) {
	m := NewMemory(time.Now)
	lim := PerMinute(1_000_000)
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		// A few keys per goroutine: mostly hits on existing keys, spread
		// over the shards like requests from different clients.
		g := next.Add(1)
		keys := make([]string, 16)
		for i := range keys {
			keys[i] = fmt.Sprintf("login:ip:10.%d.0.%d", g, i)
		}
		i := 0
		for pb.Next() {
			if _, err := m.Allow(context.Background(), keys[i%len(keys)], lim); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// TestMemoryReturnDropsFullKey: a key given back to a full bucket is
// dropped, so returns cannot grow the map.
func TestMemoryReturnDropsFullKey(t *testing.T) {
	m := NewMemory(newFakeClock().Now)
	lim := PerMinute(2)
	allow(t, m, "k", lim)
	ret(t, m, "k", lim)
	if n := m.len(); n != 0 {
		t.Errorf("keys after Allow then Return = %d, want 0", n)
	}
}
