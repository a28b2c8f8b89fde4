package web_test

import (
	"testing"
)

// TestForwardedForWithPortKeepsClientsApart: behind a trusted proxy that
// writes X-Forwarded-For entries with a port, each client is limited on its
// own address. Before, such an entry made accountd fall back to the proxy's
// address, so every client shared one bucket: one could throttle them all
// (issue 12, defect 9).
func TestForwardedForWithPortKeepsClientsApart(t *testing.T) {
	for _, tt := range []struct {
		name                 string
		first, same, another string
	}{
		{"IPv4", "203.0.113.4:4711", "203.0.113.4", "203.0.113.5:4711"},
		// Distinct /64s: IPv6 clients may be keyed by their /64.
		{"IPv6", "[2001:db8:1::1]:4711", "2001:db8:1::1", "[2001:db8:2::1]:4711"},
		{"IPv6 without port", "[2001:db8:1::1]", "2001:db8:1::1", "[2001:db8:2::1]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, withLimits(nil))
			body := `{"email": "ada@example.com", "recaptcha": "x"}`
			for i := 0; i < 10; i++ {
				if r := e.from(tt.first, "/api/v2/resetpassword/", body); r.Status != 204 {
					t.Fatalf("reset request %d from %s = %d %s, want 204", i+1, tt.first, r.Status, r.Body)
				}
			}
			if r := e.from(tt.same, "/api/v2/resetpassword/", body); r.Status != 429 {
				t.Errorf("11th reset request from %s (as %s) = %d, want 429", tt.first, tt.same, r.Status)
			}
			if r := e.from(tt.another, "/api/v2/resetpassword/", body); r.Status != 204 {
				t.Errorf("first reset request from %s after %s used its limit = %d %s, want 204 (its own bucket)",
					tt.another, tt.first, r.Status, r.Body)
			}
		})
	}
}
