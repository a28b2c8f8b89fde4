// Package ratelimit holds the rate limiter: one algorithm, GCRA (the generic
// cell rate algorithm), behind one interface with three implementations — in
// memory for a single node, in Redis for several nodes sharing their counters,
// and a fallback that answers from memory while Redis is unreachable.
//
// It imports nothing of ours; besides the standard library only
// github.com/redis/go-redis/v9.
//
// GCRA keeps one number per key, the theoretical arrival time (TAT): the
// moment at which the bucket would be full again. Each allowed event pushes it
// forward by the emission interval T = Period/Rate; an event is allowed when
// the pushed TAT is no more than Burst·T ahead of now. So a Limit allows Burst
// events at once and then one every T. In the worst case a window of one Period
// sees Burst + Rate − 1 events (a full burst, then the refill).
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrInvalidLimit is returned (wrapped) for a Limit that cannot be enforced:
// a Rate or Period that is not positive, a negative Burst, more than one event
// per microsecond, or a Burst·Period/Rate beyond ~70 years.
var ErrInvalidLimit = errors.New("ratelimit: invalid limit")

// Limit is Rate events per Period, with bursts of up to Burst events; a zero
// Burst means Burst = Rate.
type Limit struct {
	Rate   int
	Period time.Duration
	Burst  int
}

// PerMinute returns a limit of n events per minute with bursts of up to n.
func PerMinute(n int) Limit { return Limit{Rate: n, Period: time.Minute, Burst: n} }

// PerHour returns a limit of n events per hour with bursts of up to n.
func PerHour(n int) Limit { return Limit{Rate: n, Period: time.Hour, Burst: n} }

// Result is the answer to one Allow or Peek.
type Result struct {
	// Allowed says whether the event is (or, for Peek, would be) allowed.
	Allowed bool
	// Remaining is how many more events are allowed right now after this one.
	// It is 0 when the event is denied.
	Remaining int
	// RetryAfter is how long until one more event is allowed; it is positive
	// exactly when Allowed is false.
	RetryAfter time.Duration
}

// Limiter counts events per key under a Limit. A key stands for one limit:
// the state kept for a key is read under whatever limit is given, so callers
// name keys by what they limit (login:ip:1.2.3.4, login:account:42).
type Limiter interface {
	// Allow counts one event for key under limit and says whether it is
	// allowed. A denied event is not counted.
	Allow(ctx context.Context, key string, l Limit) (Result, error)
	// Peek returns the Result that Allow would return now, counting nothing
	// (for "failures per account": check before, count only on failure).
	Peek(ctx context.Context, key string, l Limit) (Result, error)
	// Return gives back one event counted for key under l (an attempt
	// reserved and then not spent, such as a login that succeeded). It
	// never makes the bucket fuller than a key never seen; returning to
	// such a key does nothing.
	Return(ctx context.Context, key string, l Limit) error
}

// maxTolerance bounds Burst·T so that TATs stay far from overflowing an
// int64 of nanoseconds and stay exact in the doubles of Redis's Lua.
const maxTolerance = time.Duration(1 << 61) // ~73 years

// gcra is a Limit in the terms of the algorithm.
type gcra struct {
	interval  time.Duration // T = Period/Rate, in whole microseconds
	tolerance time.Duration // Burst·T: how far ahead of now the TAT may run
}

// gcra validates l and converts it. The emission interval is truncated to
// whole microseconds so that Memory and Redis (which counts in microseconds)
// enforce exactly the same limit.
func (l Limit) gcra() (gcra, error) {
	if l.Rate <= 0 || l.Period <= 0 || l.Burst < 0 {
		return gcra{}, fmt.Errorf("%w: %d per %v, burst %d", ErrInvalidLimit, l.Rate, l.Period, l.Burst)
	}
	burst := l.Burst
	if burst == 0 {
		burst = l.Rate
	}
	t := (l.Period / time.Duration(l.Rate)).Truncate(time.Microsecond)
	if t <= 0 || int64(burst) > int64(maxTolerance/t) {
		return gcra{}, fmt.Errorf("%w: %d per %v, burst %d", ErrInvalidLimit, l.Rate, l.Period, l.Burst)
	}
	return gcra{interval: t, tolerance: time.Duration(burst) * t}, nil
}

// step decides one event at now (Unix nanoseconds) for a key whose TAT is
// tat (0 for a key never seen). It returns the result and the TAT to store
// if the event is counted; a denied event leaves the TAT as it was.
// The Lua script in redis.go is the same computation in microseconds.
func (g gcra) step(tat, now int64) (Result, int64) {
	tat = max(tat, now)
	next := tat + int64(g.interval)
	// diff is how far the event is inside the tolerance; below zero it is
	// early by -diff.
	diff := now + int64(g.tolerance) - next
	if diff < 0 {
		return Result{RetryAfter: time.Duration(-diff)}, tat
	}
	return Result{Allowed: true, Remaining: int(diff / int64(g.interval))}, next
}

// giveBack undoes one counted event for a key whose TAT is tat: the TAT
// moves back by one interval. It reports false when the bucket is then full
// (the TAT not after now), when the key holds nothing and may be dropped.
// The Lua script in redis.go does the same in microseconds.
func (g gcra) giveBack(tat, now int64) (int64, bool) {
	tat -= int64(g.interval)
	return tat, tat > now
}
