package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
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

// signIn logs in to each account once and returns the login tokens.
func (b *bench) signIn(ctx context.Context, emails []string) ([]string, error) {
	client := newClient(1)
	defer client.CloseIdleConnections()
	var tokens []string
	for _, email := range emails {
		req, err := http.NewRequestWithContext(ctx, "POST", b.cfg.url+"/api/v2/login/",
			bytes.NewReader(loginBody(email, b.cfg.password)))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", userAgent)
		res, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		var body struct{ Token string }
		err = json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || err != nil || body.Token == "" {
			return nil, fmt.Errorf("signing in %s for forward-auth: status %d", email, res.StatusCode)
		}
		tokens = append(tokens, body.Token)
	}
	return tokens, nil
}
