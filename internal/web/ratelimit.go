package web

import (
	"context"
	"encoding/hex"
	"net/http"
	"net/netip"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/ratelimit"
)

// RateLimits are the per-IP guards of docs/api.md#rate-limits. Keys are the client's
// network (clientNet) unless said. The product's own limits (password
// failures, activation resends) are rules of account (account.Config).
type RateLimits struct {
	General       ratelimit.Limit // every API request, per valid token or else per IP
	Register      ratelimit.Limit
	Login         ratelimit.Limit // attempts per IP
	ResetRequest  ratelimit.Limit
	ResetComplete ratelimit.Limit // complete, check and cancel: guesses of a token
}

// DefaultRateLimits returns the defaults of docs/api.md#rate-limits.
func DefaultRateLimits() RateLimits {
	return RateLimits{
		General:       ratelimit.PerMinute(240),
		Register:      ratelimit.PerHour(10),
		Login:         ratelimit.PerMinute(20),
		ResetRequest:  ratelimit.PerMinute(10),
		ResetComplete: ratelimit.PerMinute(20),
	}
}

// of returns the limit a route names.
func (l RateLimits) of(name limitName) ratelimit.Limit {
	switch name {
	case limitRegister:
		return l.Register
	case limitLogin:
		return l.Login
	case limitReset:
		return l.ResetRequest
	case limitResetComplete:
		return l.ResetComplete
	}
	return ratelimit.Limit{}
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
		return account.Throttled(res.RetryAfter)
	}
	return nil
}

// generalLimit applies the general API limit: per token when the request
// authenticated with one (by its hash: no secret goes into a limiter key),
// else per client network. A token that does not authenticate is not a key
// of its own, or made-up tokens would each get a fresh bucket.
func (s *Server) generalLimit(r *http.Request, c caller) error {
	key := "api:ip:" + s.clientNet(r)
	if c.authenticated() && len(c.token.Hash) >= 12 {
		key = "api:tok:" + hex.EncodeToString(c.token.Hash[:12])
	}
	return s.limit(r.Context(), key, s.cfg.Limits.General)
}

// routeLimit applies a route's per-IP limit, if it names one.
func (s *Server) routeLimit(r *http.Request, name limitName) error {
	if name == noLimit {
		return nil
	}
	return s.limit(r.Context(), string(name)+":ip:"+s.clientNet(r), s.cfg.Limits.of(name))
}

// clientNet is the client as per-IP limits count it: an IPv4 address, or
// the IPv6 prefix of Config.IPv6Prefix bits (a /64 by default), since one
// subscriber commonly holds a whole /64 and could rotate the rest at will.
// It is derived from clientIP's answer.
func (s *Server) clientNet(r *http.Request) string {
	return networkOf(s.clientIP(r), s.cfg.IPv6Prefix)
}

// networkOf returns the network key of ip; an unparsable ip is its own key.
func networkOf(ip string, v6bits int) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	if v6bits <= 0 || v6bits > 128 {
		v6bits = DefaultIPv6Prefix
	}
	p, err := a.Prefix(v6bits)
	if err != nil {
		return a.String()
	}
	return p.String()
}
