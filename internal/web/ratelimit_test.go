package web_test

import (
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/ratelimit"
	"github.com/accountd/accountd/internal/web"
)

// withLimits turns the rate limits on, in memory, with the client IP taken
// from X-Forwarded-For (the test client is a trusted proxy on 127.0.0.1).
func withLimits(mod func(*web.RateLimits)) func(*envOptions) {
	return func(o *envOptions) {
		o.Web.Limiter = ratelimit.NewMemory(time.Now)
		o.Web.Limits = web.DefaultRateLimits()
		o.Web.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
		if mod != nil {
			mod(&o.Web.Limits)
		}
	}
}

// from sends a JSON POST as if from client ip behind the trusted proxy.
func (e *env) from(ip, path, body string) response {
	e.t.Helper()
	return e.request("POST", path, body, http.Header{"Content-Type": {"application/json"}, "X-Forwarded-For": {ip}})
}

func TestResetRequestsPerIPAreLimited(t *testing.T) {
	e := newEnv(t, withLimits(nil))
	body := `{"email": "ada@example.com", "recaptcha": "x"}`
	for i := 0; i < 10; i++ {
		if r := e.from("203.0.113.7", "/api/v2/resetpassword/", body); r.Status != 204 {
			t.Fatalf("reset request %d = %d %s, want 204", i+1, r.Status, r.Body)
		}
	}
	r := e.from("203.0.113.7", "/api/v2/resetpassword/", body)
	if r.Status != 429 || r.Code(t, "") != "throttled" {
		t.Fatalf("11th reset request from one IP = %d %s, want 429 throttled", r.Status, r.Body)
	}
	n, err := strconv.Atoi(r.Header.Get("Retry-After"))
	// 10 per minute frees one slot every 6 s.
	if err != nil || n < 1 || n > 6 {
		t.Errorf("Retry-After = %q, want whole seconds from 1 to 6", r.Header.Get("Retry-After"))
	}
	want := fmt.Sprintf("Request was throttled. Expected available in %d seconds.", n)
	if got := r.JSON(t)["detail"]; got != want {
		t.Errorf("detail = %q, want %q", got, want)
	}
	if r := e.from("198.51.100.1", "/api/v2/resetpassword/", body); r.Status != 204 {
		t.Errorf("reset request from another IP = %d, want 204", r.Status)
	}
}

// TestResetBombingFromManyIPs: 1,000 requests for one address from 1,000
// addresses get 204 each, and the address receives at most the hourly cap.
func TestResetBombingFromManyIPs(t *testing.T) {
	e := newEnv(t, withLimits(nil))
	e.register("ada@example.com", testPassword)
	for i := 0; i < 1000; i++ {
		ip := fmt.Sprintf("10.%d.%d.1", i/250, i%250)
		if r := e.from(ip, "/api/v2/resetpassword/", `{"email": "ada@example.com"}`); r.Status != 204 {
			t.Fatalf("request %d = %d %s, want 204", i, r.Status, r.Body)
		}
	}
	e.deliver()
	if n := len(e.inbox()); n != 3 {
		t.Errorf("after 1,000 requests the address got %d mails, want the cap of 3", n)
	}
}

func TestLoginFailuresLockOnlyTheAttackersIP(t *testing.T) {
	e := newEnv(t, withLimits(nil))
	e.register("ada@example.com", testPassword)
	wrong := `{"email": "ada@example.com", "password": "wrong-password-1"}`
	right := `{"email": "ada@example.com", "password": "` + testPassword + `"}`
	for i := 0; i < 10; i++ {
		if r := e.from("203.0.113.66", "/api/v2/login/", wrong); r.Status != 400 {
			t.Fatalf("wrong login %d = %d, want 400", i+1, r.Status)
		}
	}
	if r := e.from("203.0.113.66", "/api/v2/login/", right); r.Status != 429 {
		t.Errorf("login from the attacking IP after 10 failures = %d, want 429", r.Status)
	}
	if r := e.from("198.51.100.20", "/api/v2/login/", right); r.Status != 200 {
		t.Errorf("the owner's login from their own IP = %d %s, want 200", r.Status, r.Body)
	}
}

func TestGeneralLimitPerToken(t *testing.T) {
	e := newEnv(t, withLimits(func(l *web.RateLimits) { l.General = ratelimit.PerMinute(5) }))
	tok := e.register("ada@example.com", testPassword) // counted for the IP, not the token
	for i := 0; i < 5; i++ {
		if r := e.do("GET", "/api/v2/profile/", nil, tok); r.Status != 200 {
			t.Fatalf("profile %d = %d, want 200", i+1, r.Status)
		}
	}
	if r := e.do("GET", "/api/v2/profile/", nil, tok); r.Status != 429 || r.Header.Get("Retry-After") == "" {
		t.Errorf("6th request = %d (Retry-After %q), want 429 with Retry-After", r.Status, r.Header.Get("Retry-After"))
	}
}

// TestEndpointLimitsPerIP: each endpoint's own per-IP limit (docs/api.md#rate-limits), and
// another IP is not affected.
func TestEndpointLimitsPerIP(t *testing.T) {
	tests := []struct {
		path  string
		body  string
		limit int
	}{
		{"/api/v2/register/", `{"email": "x@example.com", "password": "short"}`, 10},
		{"/api/v2/login/", `{"email": "x@example.com", "password": "whatever-1"}`, 20},
		{"/api/v2/resetpassword/complete/", `{"password": "Battery-Staple-5501", "password_reset_token": "00"}`, 20},
		{"/api/v2/resetpassword/check/", `{"password_reset_token": "00"}`, 20},
		{"/api/v2/resetpassword/cancel/", `{"password_reset_token": "00"}`, 20},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			// Login failures have their own, lower limit; raise it here so
			// the per-IP attempt limit is the one under test.
			e := newEnv(t, withLimits(nil), func(o *envOptions) {
				o.Config.PasswordFailures = account.Rate{N: 1000, Per: time.Minute}
			})
			for i := 0; i < tt.limit; i++ {
				if r := e.from("203.0.113.5", tt.path, tt.body); r.Status == 429 {
					t.Fatalf("request %d of %d = 429 already", i+1, tt.limit)
				}
			}
			if r := e.from("203.0.113.5", tt.path, tt.body); r.Status != 429 {
				t.Errorf("request %d from one IP = %d, want 429", tt.limit+1, r.Status)
			}
			if r := e.from("198.51.100.5", tt.path, tt.body); r.Status == 429 {
				t.Errorf("another IP = 429, want its own limit")
			}
		})
	}
}

// TestUntrustedForwardedForIsIgnored: a client that is not a trusted proxy
// cannot choose its address with X-Forwarded-For to escape a limit.
func TestUntrustedForwardedForIsIgnored(t *testing.T) {
	e := newEnv(t, withLimits(nil), func(o *envOptions) { o.Web.TrustedProxies = nil })
	for i := 0; i < 10; i++ {
		ip := fmt.Sprintf("10.0.0.%d", i+1) // a new address each time: ignored
		if r := e.from(ip, "/api/v2/resetpassword/", `{"email": "ada@example.com"}`); r.Status != 204 {
			t.Fatalf("request %d = %d, want 204", i+1, r.Status)
		}
	}
	if r := e.from("10.0.0.99", "/api/v2/resetpassword/", `{"email": "ada@example.com"}`); r.Status != 429 {
		t.Errorf("11th request with a spoofed X-Forwarded-For from an untrusted peer = %d, want 429", r.Status)
	}
}
