package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

// TestTokenLifetimeSettings: days or Go durations, 0 for none, defaults of
// 14 and 30 days (docs/api.md#sessions); anything else is refused by name.
func TestTokenLifetimeSettings(t *testing.T) {
	load := func(vars map[string]string) (*config, error) {
		return parseConfig("serve", nil, env(vars), newFlags("serve", io.Discard, &bytes.Buffer{}))
	}
	c, err := load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.TokenIdleTTL != 14*24*time.Hour || c.TokenMaxTTL != 30*24*time.Hour {
		t.Errorf("defaults = %v, %v; want 336h, 720h", c.TokenIdleTTL, c.TokenMaxTTL)
	}
	for v, want := range map[string]time.Duration{"0": 0, "1d": 24 * time.Hour, "36h": 36 * time.Hour, "90m": 90 * time.Minute} {
		c, err := load(map[string]string{"ACCOUNTD_TOKEN_IDLE_TTL": v, "ACCOUNTD_TOKEN_MAX_TTL": v})
		if err != nil {
			t.Errorf("lifetimes %q: %v", v, err)
			continue
		}
		if c.TokenIdleTTL != want || c.TokenMaxTTL != want {
			t.Errorf("lifetimes %q = %v, %v; want %v", v, c.TokenIdleTTL, c.TokenMaxTTL, want)
		}
	}
	for _, v := range []string{"soon", "-1d", "-1h", "1.5d", "d", "+3d", "999999999d"} {
		_, err := load(map[string]string{"ACCOUNTD_TOKEN_MAX_TTL": v})
		if err == nil || !strings.Contains(err.Error(), "ACCOUNTD_TOKEN_MAX_TTL") {
			t.Errorf("ACCOUNTD_TOKEN_MAX_TTL=%q: %v, want an error naming the variable", v, err)
		}
	}
	// A use is recorded once a minute: an idle lifetime that short would
	// end tokens in use.
	for _, v := range []string{"30s", "1m", "119s"} {
		c, err := load(map[string]string{"ACCOUNTD_TOKEN_IDLE_TTL": v})
		if err == nil {
			c.Dev = true
			err = c.finish()
		}
		if err == nil || !strings.Contains(err.Error(), "ACCOUNTD_TOKEN_IDLE_TTL") {
			t.Errorf("ACCOUNTD_TOKEN_IDLE_TTL=%q: %v, want an error naming the variable", v, err)
		}
	}
}
