package ratelimit

import (
	"context"
	"time"
)

// Budget gives a Limiter the shape of the attempt budgets that the account
// package declares (account.Limiter). Those methods use standard types only,
// so this package implements the interface without importing account:
// n attempts per period, all of them available at once.
type Budget struct{ Limiter Limiter }

// Take takes one attempt from key's budget of n per period. When the budget
// is spent it reports false and how long until an attempt comes back. The
// Limiter decides atomically: of concurrent takes, no more than the budget
// succeed.
func (b Budget) Take(ctx context.Context, key string, n int, per time.Duration) (bool, time.Duration, error) {
	res, err := b.Limiter.Allow(ctx, key, Limit{Rate: n, Period: per, Burst: n})
	if err != nil {
		return false, 0, err
	}
	return res.Allowed, res.RetryAfter, nil
}

// Give returns an attempt taken from key's budget and not spent.
func (b Budget) Give(ctx context.Context, key string, n int, per time.Duration) error {
	return b.Limiter.Return(ctx, key, Limit{Rate: n, Period: per, Burst: n})
}
