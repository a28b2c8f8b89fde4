package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/accountd/accountd/internal/web"
)

// TestHeadAnswersAsGet: uptime checks send HEAD; wherever GET is routed it
// gets GET's status and headers, and no body.
func TestHeadAnswersAsGet(t *testing.T) {
	e := newEnv(t)
	tok := e.register("ada@example.com", testPassword)
	e.resetToken("ada@example.com")
	auth := http.Header{"Authorization": {"Token " + tok}}
	for _, c := range []struct {
		path   string
		header http.Header
		ctype  string
	}{
		{"/resetpassword/", nil, "text/html"},
		{"/api/v2/profile/", auth, "application/json"},
		{"/dev/mail/", nil, "text/html"},
		{fmt.Sprintf("/dev/mail/%d/", e.inbox()[0].ID), nil, "text/html"},
		{"/static/style.css", nil, "text/css"},
	} {
		r := e.request("HEAD", c.path, "", c.header)
		if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), c.ctype) || len(r.Body) != 0 {
			t.Errorf("HEAD %s = %d %q with %d bytes, want 200 %s without a body", c.path, r.Status,
				r.Header.Get("Content-Type"), len(r.Body), c.ctype)
		}
	}
	// HEAD is GET's: without the token the profile is refused as GET is.
	if r := e.request("HEAD", "/api/v2/profile/", "", nil); r.Status != 401 {
		t.Errorf("HEAD /api/v2/profile/ without a token = %d, want 401", r.Status)
	}
	// A path without GET still refuses HEAD, and says what it allows.
	r := e.request("HEAD", "/api/v2/login/", "", nil)
	if r.Status != 405 || r.Header.Get("Allow") != "POST" {
		t.Errorf("HEAD /api/v2/login/ = %d Allow %q, want 405 Allow POST", r.Status, r.Header.Get("Allow"))
	}
}

// TestRootPage: in development / is an index of what a newcomer can open;
// otherwise a browser gets a small 404 page and an API client the JSON 404.
func TestRootPage(t *testing.T) {
	html := http.Header{"Accept": {"text/html,application/xhtml+xml,*/*;q=0.8"}}
	dev := newEnv(t, func(o *envOptions) { o.Web.Dev = true; o.Web.AdminURL = "http://127.0.0.1:9090" })
	r := dev.request("GET", "/", "", html)
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("dev GET / = %d %q, want 200 HTML", r.Status, r.Header.Get("Content-Type"))
	}
	for _, link := range []string{`href="/resetpassword/"`, `href="/dev/mail/"`, `href="http://127.0.0.1:9090/healthz"`} {
		if !strings.Contains(string(r.Body), link) {
			t.Errorf("dev GET / does not link %s:\n%s", link, r.Body)
		}
	}
	wantPageHeaders(t, "dev GET /", r)
	if r := dev.request("HEAD", "/", "", nil); r.Status != 200 {
		t.Errorf("dev HEAD / = %d, want 200", r.Status)
	}

	prod := newEnv(t, func(o *envOptions) { o.Web = web.Config{} })
	for _, p := range []string{"/", "/no/such/page"} {
		r := prod.request("GET", p, "", html)
		if r.Status != 404 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") ||
			!strings.Contains(string(r.Body), "Page not found") {
			t.Errorf("browser GET %s = %d %q %.80q, want 404 HTML saying Page not found", p, r.Status, r.Header.Get("Content-Type"), r.Body)
		}
		wantPageHeaders(t, "browser GET "+p, r)
		r = prod.request("GET", p, "", nil)
		if r.Status != 404 || r.Code(t, "") != "not_found" {
			t.Errorf("API GET %s = %d %s, want the JSON 404", p, r.Status, r.Body)
		}
	}
}

// wantPageHeaders checks the security headers every page has.
func wantPageHeaders(t *testing.T, what string, r response) {
	t.Helper()
	csp := r.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("%s: Content-Security-Policy = %q, want the pages' strict policy", what, csp)
	}
	if r.Header.Get("X-Frame-Options") != "DENY" || r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("%s: X-Frame-Options %q Cache-Control %q, want DENY and no-store", what,
			r.Header.Get("X-Frame-Options"), r.Header.Get("Cache-Control"))
	}
	if strings.Contains(string(r.Body), "<script>") {
		t.Errorf("%s: the page has an inline script", what)
	}
}

// TestFavicon: browsers ask for /favicon.ico on every page.
func TestFavicon(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/favicon.ico", "/static/favicon.svg"} {
		if r := e.request("GET", p, "", nil); r.Status != 200 || len(r.Body) == 0 {
			t.Errorf("GET %s = %d with %d bytes, want 200 with an icon", p, r.Status, len(r.Body))
		}
	}
}

// TestDonePageLinksTheApp: after a reset the user is told to sign in; the
// page links ACCOUNTD_APP_URL when it is set, and nothing otherwise.
func TestDonePageLinksTheApp(t *testing.T) {
	with := newEnv(t, func(o *envOptions) { o.Web.AppURL = "https://app.example.com/" })
	if body := string(with.request("GET", "/resetpassword/done/", "", nil).Body); !strings.Contains(body, `href="https://app.example.com/"`) ||
		!strings.Contains(body, "Go to the app") {
		t.Errorf("done page with an app URL does not link it:\n%s", body)
	}
	without := newEnv(t)
	if body := string(without.request("GET", "/resetpassword/done/", "", nil).Body); strings.Contains(body, "Go to the app") {
		t.Errorf("done page without an app URL has a link to the app:\n%s", body)
	}
}
