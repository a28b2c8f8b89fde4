package ratelimit

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

var (
	_ Limiter = (*Memory)(nil)
	_ Limiter = (*Redis)(nil)
	_ Limiter = (*Fallback)(nil)
)

// fakeClock is a clock that moves only when told to.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// timeline is how a test lets time pass for a limiter under test.
type timeline struct {
	wait func(time.Duration)
	// slack is how much less than the exact RetryAfter a limiter may
	// report: on real time, the time the test itself took has passed.
	slack time.Duration
}

// realTime is the timeline of a limiter on real time (Redis's clock).
var realTime = timeline{wait: time.Sleep, slack: time.Second}

// fakeTime is the timeline of a limiter on c: exact.
func fakeTime(c *fakeClock) timeline { return timeline{wait: c.Advance} }

// newLimiterFunc makes a fresh, empty limiter for one test, and its
// timeline.
type newLimiterFunc func(t *testing.T) (Limiter, timeline)

// short is a limit whose refill a test on real time can wait for: one event
// every 200 ms.
var short = Limit{Rate: 5, Period: time.Second}

// testLimiter is the conformance suite every Limiter passes.
func testLimiter(t *testing.T, newLimiter newLimiterFunc) {
	t.Run("BurstThenDenied", func(t *testing.T) { testBurstThenDenied(t, newLimiter) })
	cases := []struct {
		name string
		run  func(t *testing.T, l Limiter, tl timeline)
	}{
		{"WaitRetryAfter", testWaitRetryAfter},
		{"KeysIndependent", testKeysIndependent},
		{"DeniedNotCounted", testDeniedNotCounted},
		{"PeekCountsNothing", testPeekCountsNothing},
		{"LimitsPerKey", testLimitsPerKey},
		{"InvalidLimit", testInvalidLimit},
		{"ReturnGivesBack", testReturnGivesBack},
		{"ReturnToUnknownKey", testReturnToUnknownKey},
		{"ConcurrentTakeAndReturn", testConcurrentTakeAndReturn},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l, tl := newLimiter(t)
			tc.run(t, l, tl)
		})
	}
}

// testBurstThenDenied: Burst events are allowed, counting Remaining down,
// then the next is denied with RetryAfter ≈ Period/Rate.
func testBurstThenDenied(t *testing.T, newLimiter newLimiterFunc) {
	tests := []struct {
		name  string
		limit Limit
		burst int
		retry time.Duration
	}{
		{"1/min", PerMinute(1), 1, time.Minute},
		{"10/min", PerMinute(10), 10, 6 * time.Second},
		{"20/hour", PerHour(20), 20, 3 * time.Minute},
		{"zero burst means rate", Limit{Rate: 4, Period: time.Minute}, 4, 15 * time.Second},
		{"burst above rate", Limit{Rate: 2, Period: time.Minute, Burst: 5}, 5, 30 * time.Second},
		{"burst below rate", Limit{Rate: 60, Period: time.Minute, Burst: 3}, 3, time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, tl := newLimiter(t)
			exhaust(t, l, "login:ip:1.2.3.4", tc.limit, tc.burst)
			res := allow(t, l, "login:ip:1.2.3.4", tc.limit)
			if res.Allowed || res.Remaining != 0 {
				t.Fatalf("Allow after %d = %+v, want denied with Remaining 0", tc.burst, res)
			}
			checkRetry(t, tl, res.RetryAfter, tc.retry)
		})
	}
}

func testWaitRetryAfter(t *testing.T, l Limiter, tl timeline) {
	const key = "reset:ip:10.0.0.1"
	exhaust(t, l, key, short, 5)
	res := allow(t, l, key, short)
	checkRetry(t, tl, res.RetryAfter, 200*time.Millisecond)
	tl.wait(res.RetryAfter)
	if res := allow(t, l, key, short); !res.Allowed {
		t.Fatalf("Allow after waiting RetryAfter = %+v, want allowed", res)
	}
	// On real time a loaded machine may oversleep by a whole interval, so
	// only an exact clock shows that just one event came back.
	if res := allow(t, l, key, short); res.Allowed && tl.slack == 0 {
		t.Fatalf("second Allow after waiting RetryAfter = %+v, want denied", res)
	}
}

func testKeysIndependent(t *testing.T, l Limiter, _ timeline) {
	lim := PerMinute(2)
	exhaust(t, l, "login:ip:1.2.3.4", lim, 2)
	if res := allow(t, l, "login:ip:1.2.3.4", lim); res.Allowed {
		t.Fatalf("Allow(1.2.3.4) = %+v, want denied", res)
	}
	exhaust(t, l, "login:ip:1.2.3.5", lim, 2)
	exhaust(t, l, "register:ip:1.2.3.4", lim, 2)
}

func testDeniedNotCounted(t *testing.T, l Limiter, tl timeline) {
	const key = "login:account:42"
	lim := PerMinute(10)
	exhaust(t, l, key, lim, 10)
	for range 20 {
		res := allow(t, l, key, lim)
		if res.Allowed {
			t.Fatalf("Allow after the burst = %+v, want denied", res)
		}
		// Counted denials would push RetryAfter out by 6 s each.
		checkRetry(t, tl, res.RetryAfter, 6*time.Second)
	}

	// A key belongs to one limit: another limit needs another key.
	const key2 = "login:account:43"
	exhaust(t, l, key2, short, 5)
	var res Result
	for range 3 {
		if res = allow(t, l, key2, short); res.Allowed {
			t.Fatalf("Allow after the burst = %+v, want denied", res)
		}
	}
	tl.wait(res.RetryAfter)
	if res := allow(t, l, key2, short); !res.Allowed {
		t.Fatalf("Allow after 3 denials and waiting RetryAfter = %+v, want allowed", res)
	}
}

func testPeekCountsNothing(t *testing.T, l Limiter, tl timeline) {
	const key = "login:account:7"
	lim := PerMinute(10)
	for range 25 {
		if res := peek(t, l, key, lim); !res.Allowed || res.Remaining != 9 {
			t.Fatalf("Peek on a fresh key = %+v, want allowed with Remaining 9", res)
		}
	}
	exhaust(t, l, key, lim, 10)
	for range 25 {
		res := peek(t, l, key, lim)
		if res.Allowed {
			t.Fatalf("Peek after the burst = %+v, want denied", res)
		}
		checkRetry(t, tl, res.RetryAfter, 6*time.Second)
	}
	res := allow(t, l, key, lim)
	if res.Allowed {
		t.Fatalf("Allow after the burst = %+v, want denied", res)
	}
	checkRetry(t, tl, res.RetryAfter, 6*time.Second)
}

func testLimitsPerKey(t *testing.T, l Limiter, tl timeline) {
	a, b := PerMinute(3), PerHour(5)
	for i := range 5 {
		ra := allow(t, l, "a", a)
		rb := allow(t, l, "b", b)
		if want := i < 3; ra.Allowed != want {
			t.Fatalf("event %d: Allow(a, 3/min) = %+v, want Allowed %v", i+1, ra, want)
		}
		if !rb.Allowed || rb.Remaining != 4-i {
			t.Fatalf("event %d: Allow(b, 5/hour) = %+v, want allowed with Remaining %d", i+1, rb, 4-i)
		}
	}
	res := allow(t, l, "b", b)
	if res.Allowed {
		t.Fatalf("sixth Allow(b, 5/hour) = %+v, want denied", res)
	}
	checkRetry(t, tl, res.RetryAfter, 12*time.Minute)
}

func testInvalidLimit(t *testing.T, l Limiter, _ timeline) {
	for _, lim := range []Limit{
		{},
		{Rate: 0, Period: time.Minute},
		{Rate: -1, Period: time.Minute},
		{Rate: 10, Period: 0},
		{Rate: 10, Period: -time.Second},
		{Rate: 10, Period: time.Minute, Burst: -1},
		{Rate: 2_000_000, Period: time.Second},          // under a microsecond apart
		{Rate: 1, Period: time.Hour, Burst: 1 << 40},    // tolerance beyond ~73 years
		{Rate: 1, Period: 100 * 365 * 24 * time.Hour},   // one event a century
		{Rate: 1, Period: time.Duration(1<<63 - 1)},     // largest period
		{Rate: 1 << 30, Period: time.Minute, Burst: 10}, // rate too high
	} {
		if _, err := l.Allow(context.Background(), "k", lim); !errors.Is(err, ErrInvalidLimit) {
			t.Errorf("Allow(%+v) error = %v, want ErrInvalidLimit", lim, err)
		}
		if _, err := l.Peek(context.Background(), "k", lim); !errors.Is(err, ErrInvalidLimit) {
			t.Errorf("Peek(%+v) error = %v, want ErrInvalidLimit", lim, err)
		}
		if err := l.Return(context.Background(), "k", lim); !errors.Is(err, ErrInvalidLimit) {
			t.Errorf("Return(%+v) error = %v, want ErrInvalidLimit", lim, err)
		}
	}
}

// testReturnGivesBack: an event given back can be taken again, once; a key
// whose bucket is full again holds nothing more than a fresh key.
func testReturnGivesBack(t *testing.T, l Limiter, _ timeline) {
	const key = "loginfail:abc"
	lim := Limit{Rate: 10, Period: 15 * time.Minute, Burst: 10}
	exhaust(t, l, key, lim, 10)
	if res := allow(t, l, key, lim); res.Allowed {
		t.Fatalf("Allow after the burst = %+v, want denied", res)
	}
	ret(t, l, key, lim)
	if res := allow(t, l, key, lim); !res.Allowed {
		t.Fatalf("Allow after one Return = %+v, want allowed", res)
	}
	if res := allow(t, l, key, lim); res.Allowed {
		t.Fatalf("second Allow after one Return = %+v, want denied", res)
	}
	for range 30 { // more returns than events: the bucket stops at full
		ret(t, l, key, lim)
	}
	exhaust(t, l, key, lim, 10)
}

// testReturnToUnknownKey: returning to a key never counted gives it no extra
// events.
func testReturnToUnknownKey(t *testing.T, l Limiter, _ timeline) {
	lim := PerMinute(3)
	for range 5 {
		ret(t, l, "fresh", lim)
	}
	exhaust(t, l, "fresh", lim, 3)
	if res := allow(t, l, "fresh", lim); res.Allowed {
		t.Fatalf("Allow after the burst = %+v, want denied", res)
	}
}

// testConcurrentTakeAndReturn: 40 goroutines take from a budget of 10 at
// once, and the winners give their events back; exactly 10 take one, and
// afterwards the whole budget is free again.
func testConcurrentTakeAndReturn(t *testing.T, l Limiter, _ timeline) {
	const key = "loginfail:race"
	lim := Limit{Rate: 10, Period: 15 * time.Minute, Burst: 10}
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		mu      sync.Mutex
		allowed int
	)
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res, err := l.Allow(context.Background(), key, lim)
			if err != nil {
				t.Error(err)
				return
			}
			if res.Allowed {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		}()
	}
	close(start)
	wg.Wait()
	if allowed != 10 {
		t.Fatalf("%d of 40 concurrent Allows succeeded with a budget of 10, want 10", allowed)
	}
	start = make(chan struct{})
	for range allowed {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if err := l.Return(context.Background(), key, lim); err != nil {
				t.Error(err)
			}
		}()
	}
	close(start)
	wg.Wait()
	exhaust(t, l, key, lim, 10)
}

func ret(t *testing.T, l Limiter, key string, lim Limit) {
	t.Helper()
	if err := l.Return(context.Background(), key, lim); err != nil {
		t.Fatalf("Return(%q, %+v) error = %v", key, lim, err)
	}
}

// exhaust makes n allowed events and checks Remaining counts down to 0.
func exhaust(t *testing.T, l Limiter, key string, lim Limit, n int) {
	t.Helper()
	for i := range n {
		res := allow(t, l, key, lim)
		if want := (Result{Allowed: true, Remaining: n - 1 - i}); res != want {
			t.Fatalf("Allow(%q) #%d = %+v, want %+v", key, i+1, res, want)
		}
	}
}

func allow(t *testing.T, l Limiter, key string, lim Limit) Result {
	t.Helper()
	res, err := l.Allow(context.Background(), key, lim)
	if err != nil {
		t.Fatalf("Allow(%q, %+v) error = %v", key, lim, err)
	}
	if res.Allowed != (res.RetryAfter == 0) || res.RetryAfter < 0 {
		t.Fatalf("Allow(%q, %+v) = %+v: RetryAfter must be > 0 exactly when denied", key, lim, res)
	}
	return res
}

func peek(t *testing.T, l Limiter, key string, lim Limit) Result {
	t.Helper()
	res, err := l.Peek(context.Background(), key, lim)
	if err != nil {
		t.Fatalf("Peek(%q, %+v) error = %v", key, lim, err)
	}
	if res.Allowed != (res.RetryAfter == 0) || res.RetryAfter < 0 {
		t.Fatalf("Peek(%q, %+v) = %+v: RetryAfter must be > 0 exactly when denied", key, lim, res)
	}
	return res
}

// checkRetry checks got is want, or up to tl.slack less.
func checkRetry(t *testing.T, tl timeline, got, want time.Duration) {
	t.Helper()
	if got > want || got < want-tl.slack || got <= 0 {
		t.Fatalf("RetryAfter = %v, want %v (or up to %v less)", got, want, tl.slack)
	}
}
