package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/ratelimit"
)

// RateLimits are the limits of SPEC §5. Keys are the client IP unless said.
type RateLimits struct {
	General       ratelimit.Limit // every API request, per token or else per IP
	Register      ratelimit.Limit
	Login         ratelimit.Limit // attempts per IP
	LoginFailures ratelimit.Limit // failures per account and IP
	ResetRequest  ratelimit.Limit
	ResetComplete ratelimit.Limit // complete, check and cancel: guesses of a token
}

// DefaultRateLimits returns the defaults of SPEC §5.
func DefaultRateLimits() RateLimits {
	return RateLimits{
		General:       ratelimit.PerMinute(240),
		Register:      ratelimit.PerHour(10),
		Login:         ratelimit.PerMinute(20),
		LoginFailures: ratelimit.Limit{Rate: 10, Period: 15 * time.Minute, Burst: 10},
		ResetRequest:  ratelimit.PerMinute(10),
		ResetComplete: ratelimit.PerMinute(20),
	}
}

// throttled is the 429 of SPEC §2 with the wait rounded up to whole seconds.
func throttled(wait time.Duration) error {
	n := int(math.Ceil(wait.Seconds()))
	if n < 1 {
		n = 1
	}
	return &account.Error{Kind: account.KindRateLimited, Code: "throttled", RetryAfter: n,
		Message: fmt.Sprintf("Request was throttled. Expected available in %d seconds.", n)}
}

// limit counts one event for key; over the limit it returns the 429. A
// limiter that fails lets the request through: the limiter is a guard, and
// the Redis fallback already answers from memory during outages.
func (s *Server) limit(ctx context.Context, key string, l ratelimit.Limit) error {
	if s.cfg.Limiter == nil {
		return nil
	}
	res, err := s.cfg.Limiter.Allow(ctx, key, l)
	if err != nil {
		s.log.WarnContext(ctx, "rate limiter failed; request let through", "err", err)
		return nil
	}
	if !res.Allowed {
		return throttled(res.RetryAfter)
	}
	return nil
}

// peek reports the 429 that one more event for key would get, counting
// nothing.
func (s *Server) peek(ctx context.Context, key string, l ratelimit.Limit) error {
	if s.cfg.Limiter == nil {
		return nil
	}
	res, err := s.cfg.Limiter.Peek(ctx, key, l)
	if err != nil || res.Allowed {
		return nil
	}
	return throttled(res.RetryAfter)
}

// accountLimit applies a limit that is a rule of the product rather than a
// guard against abuse (activation resends): it holds even when the rate
// limits are turned off, then counted in this node's memory.
func (s *Server) accountLimit(r *http.Request, key string, l ratelimit.Limit) error {
	res, err := s.productLimiter.Allow(r.Context(), key, l)
	if err != nil {
		s.log.WarnContext(r.Context(), "rate limiter failed; request let through", "err", err)
		return nil
	}
	if !res.Allowed {
		return throttled(res.RetryAfter)
	}
	return nil
}

// generalLimit applies the general API limit, per token when the request
// carries one (by its hash: no secret goes into a limiter key), else per IP.
func (s *Server) generalLimit(r *http.Request) error {
	key := "api:ip:" + s.clientIP(r)
	if raw, err := tokenFrom(r); err == nil {
		sum := sha256.Sum256([]byte(raw))
		key = "api:tok:" + hex.EncodeToString(sum[:12])
	}
	return s.limit(r.Context(), key, s.cfg.Limits.General)
}

// ipLimit applies an endpoint's per-IP limit.
func (s *Server) ipLimit(r *http.Request, name string, l ratelimit.Limit) error {
	return s.limit(r.Context(), name+":ip:"+s.clientIP(r), l)
}

// loginFailureKey is per account and client: failures from one IP cannot
// lock the owner out from theirs (SPEC §5; docs/api.md). The typed address
// is used whether or not it has an account, so the limit reveals nothing.
func (s *Server) loginFailureKey(r *http.Request, email string) string {
	sum := sha256.Sum256([]byte(account.EmailKey(email)))
	return "loginfail:" + hex.EncodeToString(sum[:12]) + ":" + s.clientIP(r)
}
