package ratelimit

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// gcraScript is gcra.step in Lua, run atomically by Redis.
//
// KEYS[1] is the bucket; ARGV[1] the emission interval and ARGV[2] the
// tolerance, both in whole microseconds; ARGV[3] is "1" to count the event
// (Allow) and "0" to only look (Peek). It returns {allowed (0 or 1),
// remaining, retry after in microseconds}.
//
// The time is the server's (TIME), so nodes with skewed clocks share one
// timeline. Microseconds since 1970 (~1.8e15) and all sums here stay below
// 2^53, so Lua's doubles hold them exactly. The TAT is written with "%.0f"
// because Lua 5.1's tostring would turn it into 1.8e+15. The key expires when
// the bucket is full again, which is when it would hold nothing anyway.
const gcraScript = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call("GET", KEYS[1]) or "")
if tat == nil or tat < now then
  tat = now
end
local nexttat = tat + interval
local diff = now + tolerance - nexttat
if diff < 0 then
  return {0, 0, -diff}
end
if ARGV[3] == "1" then
  redis.call("SET", KEYS[1], string.format("%.0f", nexttat),
    "PX", math.ceil((nexttat - now) / 1000))
end
return {1, math.floor(diff / interval), 0}
`

// returnScript is gcra.giveBack in Lua: KEYS[1] is the bucket, ARGV[1] the
// emission interval in microseconds. A key that is missing stays missing;
// one whose bucket is full again is deleted.
const returnScript = `
if redis.replicate_commands then redis.replicate_commands() end
local tat = tonumber(redis.call("GET", KEYS[1]) or "")
if tat == nil then
  return 0
end
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local newtat = tat - tonumber(ARGV[1])
if newtat <= now then
  redis.call("DEL", KEYS[1])
  return 0
end
redis.call("SET", KEYS[1], string.format("%.0f", newtat), "PX", math.ceil((newtat - now) / 1000))
return 1
`

// Redis is a Limiter that keeps its counters in Redis, so that several
// nodes share them. Each decision is one script run (EVALSHA, falling back to
// EVAL when the server does not have the script cached).
type Redis struct {
	client redis.UniversalClient
	prefix string
	script *redis.Script
	give   *redis.Script
}

// NewRedis returns a Limiter on client that stores the counter of key under
// prefix+key (for example prefix "accountd:rl:"). It takes no clock: the
// time comes from the Redis server, so that nodes with skewed clocks agree.
func NewRedis(client redis.UniversalClient, prefix string) *Redis {
	return &Redis{client: client, prefix: prefix, script: redis.NewScript(gcraScript),
		give: redis.NewScript(returnScript)}
}

// Allow counts one event for key under l and says whether it is allowed.
// A denied event is not counted.
func (r *Redis) Allow(ctx context.Context, key string, l Limit) (Result, error) {
	return r.do(ctx, key, l, 1)
}

// Peek returns the Result that Allow would return now, counting nothing.
func (r *Redis) Peek(ctx context.Context, key string, l Limit) (Result, error) {
	return r.do(ctx, key, l, 0)
}

// Return gives back one event counted for key under l.
func (r *Redis) Return(ctx context.Context, key string, l Limit) error {
	g, err := l.gcra()
	if err != nil {
		return err
	}
	if err := r.give.Run(ctx, r.client, []string{r.prefix + key}, g.interval.Microseconds()).Err(); err != nil {
		return fmt.Errorf("ratelimit: redis: %w", err)
	}
	return nil
}

func (r *Redis) do(ctx context.Context, key string, l Limit, count int) (Result, error) {
	g, err := l.gcra()
	if err != nil {
		return Result{}, err
	}
	v, err := r.script.Run(ctx, r.client, []string{r.prefix + key},
		g.interval.Microseconds(), g.tolerance.Microseconds(), count).Int64Slice()
	if err != nil {
		return Result{}, fmt.Errorf("ratelimit: redis: %w", err)
	}
	if len(v) != 3 {
		return Result{}, fmt.Errorf("ratelimit: redis: script returned %d values, want 3", len(v))
	}
	return Result{
		Allowed:    v[0] == 1,
		Remaining:  int(v[1]),
		RetryAfter: time.Duration(v[2]) * time.Microsecond,
	}, nil
}
