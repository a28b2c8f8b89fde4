package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/accountd/accountd/client"
)

// forwardAuthTokens is how many signed-in accounts the forward-auth
// scenario spreads its requests over.
const forwardAuthTokens = 64

// forwardAuth measures GET /auth/verify with valid login tokens (what a
// reverse proxy asks on every request it guards) against the HTTP floor at
// the same concurrency, measured before and after it. The sign-ins that
// make the tokens are not timed.
func (b *bench) forwardAuth(ctx context.Context, c int) Row {
	tokens, err := b.signIn(ctx, b.known[:min(len(b.known), forwardAuthTokens)])
	if err != nil {
		return Row{Scenario: "forward-auth", Concurrency: c, Note: err.Error()}
	}
	floor := func() Limit {
		l, err := httpFloor(ctx, c, b.cfg.floorDuration, nil)
		if err != nil {
			b.logf("HTTP floor: %v", err)
		}
		return l
	}
	before := floor()
	load, rss := loadAverage(), watchProc(b.cfg.pid)
	res := drive(ctx, b.spec(c, func(i int) (call, bool) {
		return call{kind: "signed-in", method: "GET", path: "/auth/verify", token: tokens[i%len(tokens)]}, true
	}))
	r := summarize("forward-auth", c, res, http.StatusNoContent)
	b.observed(&r, load, rss)
	r.withLimit(bracket(before, floor()))
	return r
}

// signIn logs in to each account once, with the typed client, and returns
// the login tokens.
func (b *bench) signIn(ctx context.Context, emails []string) ([]string, error) {
	c := client.New(b.cfg.url, client.WithUserAgent(userAgent), client.WithHTTPClient(&http.Client{Timeout: time.Minute}))
	var tokens []string
	for _, email := range emails {
		token, err := c.Login(ctx, client.LoginRequest{Email: email, Password: b.cfg.password})
		if err != nil {
			return nil, fmt.Errorf("signing in %s for forward-auth: %w", email, err)
		}
		tokens = append(tokens, token)
	}
	return tokens, nil
}
