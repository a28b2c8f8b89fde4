package ratelimit

import (
	"context"
	"crypto/rand"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/accountd/accountd/internal/testenv"
	"github.com/redis/go-redis/v9"
)

// testRedisOptions returns the options for the test server named by
// ACCOUNTD_TEST_REDIS_URL. Without it the test is skipped, unless
// ACCOUNTD_TEST_REQUIRE is "all" or names "redis": then it fails, so CI
// cannot pass by skipping.
func testRedisOptions(tb testing.TB) *redis.Options {
	tb.Helper()
	url := os.Getenv("ACCOUNTD_TEST_REDIS_URL")
	if url == "" {
		testenv.Skip(tb, testenv.Redis, "ACCOUNTD_TEST_REDIS_URL is not set")
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		tb.Fatalf("ACCOUNTD_TEST_REDIS_URL: %v", err)
	}
	return opt
}

// newTestClient returns a client on opt, closed when tb ends.
func newTestClient(tb testing.TB, opt *redis.Options) *redis.Client {
	tb.Helper()
	c := redis.NewClient(opt)
	tb.Cleanup(func() { c.Close() })
	return c
}

// testRedis returns a client of the test server and a key prefix of its
// own; the keys under the prefix are deleted when tb ends.
func testRedis(tb testing.TB) (*redis.Client, string) {
	tb.Helper()
	c := newTestClient(tb, testRedisOptions(tb))
	if err := c.Ping(context.Background()).Err(); err != nil {
		tb.Fatalf("ACCOUNTD_TEST_REDIS_URL: %v", err)
	}
	prefix := "accountd:rltest:" + rand.Text() + ":"
	tb.Cleanup(func() {
		ctx := context.Background()
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if err := iter.Err(); err != nil {
			tb.Errorf("cleaning up %s*: %v", prefix, err)
			return
		}
		if len(keys) > 0 {
			if err := c.Del(ctx, keys...).Err(); err != nil {
				tb.Errorf("cleaning up %s*: %v", prefix, err)
			}
		}
	})
	return c, prefix
}

func TestRedis(t *testing.T) {
	testRedisOptions(t)
	// Redis takes the time from its server, so waiting is really sleeping;
	// the waits are one emission interval of a short limit (~200 ms).
	testLimiter(t, func(t *testing.T) (Limiter, timeline) {
		c, prefix := testRedis(t)
		return NewRedis(c, prefix), realTime
	})
}

// TestRedisSharedByNodes: two limiters with their own clients — two nodes —
// share one limit. Neither reads its node's clock (NewRedis takes none), so
// nodes whose clocks disagree still count alike.
func TestRedisSharedByNodes(t *testing.T) {
	c1, prefix := testRedis(t)
	c2 := newTestClient(t, testRedisOptions(t))
	nodes := []Limiter{NewRedis(c1, prefix), NewRedis(c2, prefix)}
	lim := PerMinute(10)
	allowed := 0
	for i := range 30 {
		if allow(t, nodes[i%2], "login:ip:1.2.3.4", lim).Allowed {
			allowed++
		}
	}
	if allowed != 10 {
		t.Fatalf("allowed across two nodes = %d of 30, want 10", allowed)
	}
}

// TestRedisKey: the counter is stored under prefix+key, as an integer, with
// a TTL of the time until the bucket is full again; Peek stores nothing.
func TestRedisKey(t *testing.T) {
	c, prefix := testRedis(t)
	r := NewRedis(c, prefix)
	ctx := context.Background()
	const key = "login:ip:1.2.3.4"
	lim := PerMinute(10)

	peek(t, r, key, lim)
	if n, err := c.Exists(ctx, prefix+key).Result(); err != nil || n != 0 {
		t.Fatalf("EXISTS after Peek = %d, %v; want 0", n, err)
	}
	allow(t, r, key, lim)
	checkTTL(t, c, prefix+key, 6*time.Second)
	exhaust(t, r, key, lim, 9)
	checkTTL(t, c, prefix+key, time.Minute)
	allow(t, r, key, lim) // denied: changes nothing
	checkTTL(t, c, prefix+key, time.Minute)

	v, err := c.Get(ctx, prefix+key).Result()
	if err != nil {
		t.Fatal(err)
	}
	tat, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("stored TAT = %q, want an integer of microseconds", v)
	}
	if want := time.Now().Add(time.Minute).UnixMicro(); tat > want || tat < want-realTime.slack.Microseconds() {
		t.Fatalf("stored TAT = %d, want about %d (now + 1 min in µs)", tat, want)
	}
}

func checkTTL(t *testing.T, c *redis.Client, key string, want time.Duration) {
	t.Helper()
	got, err := c.PTTL(context.Background(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	if got > want || got <= want-realTime.slack {
		t.Fatalf("PTTL(%s) = %v, want %v (or up to %v less)", key, got, want, realTime.slack)
	}
}

// TestRedisUnreachable: an unreachable server is an error, not an answer.
func TestRedisUnreachable(t *testing.T) {
	r := NewRedis(deadClient(t), "accountd:rl:")
	res, err := r.Allow(context.Background(), "k", PerMinute(1))
	if err == nil {
		t.Fatalf("Allow on an unreachable server = %+v, nil; want an error", res)
	}
}

func BenchmarkRedisAllow(b *testing.B) {
	c, prefix := testRedis(b)
	r := NewRedis(c, prefix)
	ctx := context.Background()
	lim := PerMinute(1_000_000)
	for b.Loop() {
		if _, err := r.Allow(ctx, "login:ip:1.2.3.4", lim); err != nil {
			b.Fatal(err)
		}
	}
}
