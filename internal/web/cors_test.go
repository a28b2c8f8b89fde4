package web_test

import (
	"net/http"
	"testing"
)

func TestCORSForListedOriginsOnly(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.Web.CORSOrigins = []string{"https://app.example.com"} })
	preflight := func(origin string) response {
		return e.request("OPTIONS", "/api/v2/login/", "", http.Header{"Origin": {origin},
			"Access-Control-Request-Method": {"POST"}, "Access-Control-Request-Headers": {"content-type"}})
	}
	r := preflight("https://app.example.com")
	if r.Status != 204 || r.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		r.Header.Get("Access-Control-Allow-Methods") == "" {
		t.Errorf("preflight from a listed origin = %d %v, want 204 with CORS headers", r.Status, r.Header)
	}
	if r.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Error("preflight allows credentials; the API needs none")
	}
	r = preflight("https://evil.example")
	if r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from an unlisted origin got Access-Control-Allow-Origin %q", r.Header.Get("Access-Control-Allow-Origin"))
	}
	tok := e.register("ada@example.com", testPassword)
	for origin, want := range map[string]string{"https://app.example.com": "https://app.example.com", "https://evil.example": ""} {
		r := e.request("GET", "/api/v2/profile/", "", http.Header{"Origin": {origin}, "Authorization": {"Token " + tok}})
		if got := r.Header.Get("Access-Control-Allow-Origin"); got != want || r.Status != 200 {
			t.Errorf("profile from %s = %d with Allow-Origin %q, want 200 with %q", origin, r.Status, got, want)
		}
	}
}

func TestNoCORSWithoutConfiguration(t *testing.T) {
	e := newEnv(t)
	r := e.request("OPTIONS", "/api/v2/login/", "", http.Header{"Origin": {"https://app.example.com"},
		"Access-Control-Request-Method": {"POST"}})
	if got := r.Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("Access-Control-Allow-Origin = %q without ACCOUNTD_CORS_ORIGINS, want none", got)
	}
}
