package web_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/accountd/accountd/internal/web"
)

// Forward authentication (/auth/verify) for a reverse proxy, over HTTP on
// SQLite or PostgreSQL.

// withForwardAuth turns forward auth on at its default path, with the hosts
// a browser may return to.
func withForwardAuth(hosts ...string) func(*envOptions) {
	return func(o *envOptions) {
		o.Web.ForwardAuthPath = web.DefaultForwardAuthPath
		o.Web.ForwardAuthHosts = hosts
		o.Web.PublicURL = "https://accounts.example.com"
	}
}

// verify asks /auth/verify as a proxy would, with the token when not "" and
// the extra headers; it never follows a redirect.
func verify(t *testing.T, e *env, method, query, token string, header http.Header) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, e.URL+"/auth/verify"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if token != "" {
		req.Header.Set("Authorization", "Token "+token)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

func TestForwardAuthSignedIn(t *testing.T) {
	e := newEnv(t, withForwardAuth())
	token := e.register("ada@example.com", testPassword)
	id := strconv.FormatInt(int64(sfProfile(t, e, token)["id"].(float64)), 10)
	for _, method := range []string{"GET", "HEAD", "POST", "DELETE"} {
		res := verify(t, e, method, "", token, nil)
		if res.StatusCode != 204 || res.Header.Get("X-Accountd-User-Id") != id ||
			res.Header.Get("X-Accountd-Email") != "ada@example.com" ||
			res.Header.Get("X-Accountd-Two-Factor") != "false" || res.Header.Get("X-Accountd-Credential") != "login" {
			t.Errorf("%s /auth/verify = %d %v, want 204 with ada's id %s, email, two-factor false, login", method, res.StatusCode, res.Header, id)
		}
		if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s /auth/verify: Cache-Control %q, want no-store (a cache must not answer for another user)", method, cc)
		}
	}

	key := sfCreateKey(t, e, token, "backup job")["key"].(string)
	if res := verify(t, e, "GET", "", key, nil); res.StatusCode != 204 || res.Header.Get("X-Accountd-Credential") != "api_key" ||
		res.Header.Get("X-Accountd-User-Id") != id {
		t.Errorf("an API key: %d %v, want 204 with credential api_key", res.StatusCode, res.Header)
	}
}

func TestForwardAuthTwoFactor(t *testing.T) {
	e := newEnv(t, withForwardAuth())
	first := e.register("ada@example.com", testPassword)
	totp := enrolTOTP(e, first)
	if res := verify(t, e, "GET", "", first, nil); res.StatusCode != 204 || res.Header.Get("X-Accountd-Two-Factor") != "true" {
		t.Errorf("the token that turned TOTP on: %d, two-factor %q; want 204, true", res.StatusCode, res.Header.Get("X-Accountd-Two-Factor"))
	}
	pending := e.login("ada@example.com", testPassword)
	if res := verify(t, e, "GET", "", pending, nil); res.StatusCode != 401 || res.Header.Get("X-Accountd-User-Id") != "" {
		t.Errorf("a pending token (password only): %d %v, want 401 without user headers", res.StatusCode, res.Header)
	}
	if r := tfCodeAuth(e, pending, tfCode(e, totp.secret)); r.Status != 204 {
		t.Fatalf("codeauth = %d %s", r.Status, r.Body)
	}
	if res := verify(t, e, "GET", "", pending, nil); res.StatusCode != 204 || res.Header.Get("X-Accountd-Two-Factor") != "true" {
		t.Errorf("after codeauth: %d, two-factor %q; want 204, true", res.StatusCode, res.Header.Get("X-Accountd-Two-Factor"))
	}
}

func TestForwardAuthRefuses(t *testing.T) {
	e := newEnv(t, withForwardAuth(), withLifetimes(14*day, 30*day))
	if res := verify(t, e, "GET", "", "", nil); res.StatusCode != 401 || res.Header.Get("WWW-Authenticate") != "Token" {
		t.Errorf("no credential: %d %v, want 401 with WWW-Authenticate: Token", res.StatusCode, res.Header)
	}
	if res := verify(t, e, "GET", "", strings.Repeat("a", 40), nil); res.StatusCode != 401 {
		t.Errorf("an unknown token: %d, want 401", res.StatusCode)
	}
	for _, forged := range []string{"X-Accountd-User-Id", "X-Accountd-Email"} {
		if res := verify(t, e, "GET", "", "", http.Header{forged: {"1"}}); res.StatusCode != 401 || res.Header.Get(forged) != "" {
			t.Errorf("no credential but a %s header: %d %v, want 401 without it", forged, res.StatusCode, res.Header)
		}
	}

	loggedOut := e.register("ada@example.com", testPassword)
	if r := e.do("POST", "/api/v2/logout/", nil, loggedOut); r.Status != 204 {
		t.Fatalf("logout = %d", r.Status)
	}
	if res := verify(t, e, "GET", "", loggedOut, nil); res.StatusCode != 401 {
		t.Errorf("a logged-out token: %d, want 401", res.StatusCode)
	}

	idle := e.login("ada@example.com", testPassword)
	e.Clock.Advance(15 * day)
	if res := verify(t, e, "GET", "", idle, nil); res.StatusCode != 401 {
		t.Errorf("a token idle for 15 days (idle lifetime 14): %d, want 401", res.StatusCode)
	}

	suspended := e.register("grace@example.com", testPassword)
	if _, err := e.Svc.Suspend(context.Background(), e.userID("grace@example.com"), "abuse_report", testOperator); err != nil {
		t.Fatal(err)
	}
	if res := verify(t, e, "GET", "", suspended, http.Header{"Accept": {"text/html"}}); res.StatusCode != 403 || res.Header.Get("Location") != "" {
		t.Errorf("a suspended account's token: %d (Location %q), want 403 and no redirect (signing in again cannot help)",
			res.StatusCode, res.Header.Get("Location"))
	}

	gone := e.login("ada@example.com", testPassword)
	if r := e.do("POST", "/api/v2/deleteaccount/", obj{"password": testPassword, "recaptcha": "x"}, gone); r.Status != 204 {
		t.Fatalf("delete account = %d %s", r.Status, r.Body)
	}
	if res := verify(t, e, "GET", "", gone, nil); res.StatusCode != 403 {
		t.Errorf("a deleted account's token: %d, want 403", res.StatusCode)
	}
}

// TestForwardAuthBrowserRedirect: a browser that is not signed in is sent to
// the sign-in page with the URL to come back to, when that URL is https on
// an allowed host; every open-redirect attempt gets the plain 401 instead.
func TestForwardAuthBrowserRedirect(t *testing.T) {
	e := newEnv(t, withForwardAuth("app.example.com", "*.tools.example.com"))
	html := http.Header{"Accept": {"text/html,application/xhtml+xml"}}
	signIn := func(back string) string {
		return "https://accounts.example.com/login/?rd=" + url.QueryEscape(back)
	}
	for _, c := range []struct {
		what, query string
		header      http.Header
		want        string
	}{
		{"rd on an allowed host", "?rd=" + url.QueryEscape("https://app.example.com/reports?q=1"), nil, "https://app.example.com/reports?q=1"},
		{"rd under an allowed *.domain", "?rd=" + url.QueryEscape("https://grafana.tools.example.com/"), nil, "https://grafana.tools.example.com/"},
		{"nginx's X-Original-URL", "", http.Header{"X-Original-Url": {"https://app.example.com/a/b"}}, "https://app.example.com/a/b"},
		{"Traefik's X-Forwarded-*", "", http.Header{"X-Forwarded-Proto": {"https"}, "X-Forwarded-Host": {"app.example.com"},
			"X-Forwarded-Uri": {"/x?y=z"}}, "https://app.example.com/x?y=z"},
	} {
		h := html.Clone()
		for k, v := range c.header {
			h[k] = v
		}
		res := verify(t, e, "GET", c.query, "", h)
		if res.StatusCode != 302 || res.Header.Get("Location") != signIn(c.want) {
			t.Errorf("%s: %d Location %q, want 302 to %q", c.what, res.StatusCode, res.Header.Get("Location"), signIn(c.want))
		}
	}

	for _, rd := range []string{
		"https://evil.example", "//evil.example", `/\evil.example`, "/local/path", "http://app.example.com/",
		"https://app.example.com@evil.example/", "https://user:pw@app.example.com/", "https://app.example.com.evil.example/",
		"https://tools.example.com/", "https://evil.example/.tools.example.com", "javascript:alert(1)",
		"https:app.example.com", "https://app.example.com\\@evil.example", " https://app.example.com/",
	} {
		res := verify(t, e, "GET", "?rd="+url.QueryEscape(rd), "", html)
		if res.StatusCode != 401 || res.Header.Get("Location") != "" {
			t.Errorf("rd=%q: %d Location %q, want 401 and no redirect", rd, res.StatusCode, res.Header.Get("Location"))
		}
	}
	if res := verify(t, e, "GET", "", "", http.Header{"Accept": {"text/html"}, "X-Forwarded-Proto": {"https"},
		"X-Forwarded-Host": {"evil.example"}, "X-Forwarded-Uri": {"/"}}); res.StatusCode != 401 || res.Header.Get("Location") != "" {
		t.Errorf("X-Forwarded-Host evil.example: %d Location %q, want 401 and no redirect", res.StatusCode, res.Header.Get("Location"))
	}
	// Not a browser: the 401, whatever rd says.
	if res := verify(t, e, "GET", "?rd="+url.QueryEscape("https://app.example.com/"), "", nil); res.StatusCode != 401 {
		t.Errorf("an API client with a good rd: %d, want 401", res.StatusCode)
	}
	// A pending token in a browser goes to the sign-in page to finish.
	token := e.register("ada@example.com", testPassword)
	enrolTOTP(e, token)
	pending := e.login("ada@example.com", testPassword)
	res := verify(t, e, "GET", "?rd="+url.QueryEscape("https://app.example.com/"), pending, html)
	if res.StatusCode != 302 {
		t.Errorf("a pending token in a browser: %d, want 302 to the sign-in page", res.StatusCode)
	}
}

// TestForwardAuthOff: with no path configured there is no such route.
func TestForwardAuthOff(t *testing.T) {
	e := newEnv(t)
	token := e.register("ada@example.com", testPassword)
	if res := verify(t, e, "GET", "", token, nil); res.StatusCode != 404 {
		t.Errorf("/auth/verify with forward auth off = %d, want 404", res.StatusCode)
	}
}

// TestForwardAuthSessionCookie: a browser signed in on the account pages
// passes forward auth with the ticket cookie the pages set beside the
// session cookie, scoped by ACCOUNTD_COOKIE_DOMAIN to the apps' domain. The
// ticket is no token: the API refuses it, so the apps that receive it cannot
// act as the user. A pending or logged-out session's ticket does not pass.
func TestForwardAuthSessionCookie(t *testing.T) {
	e := newEnv(t, withForwardAuth("app.example.com"), func(o *envOptions) { o.Web.CookieDomain = "example.com" })
	e.register("ada@example.com", testPassword)
	r := e.request("POST", "/api/v2/login/", `{"email":"ada@example.com","password":"`+testPassword+`","recaptcha":"x"}`, pcPage())
	session, ticket := pcCookie(t, r), namedCookie(r, "accountd_forward")
	if r.Status != 200 || session == nil || ticket == nil {
		t.Fatalf("page sign-in = %d, cookies %q, want the session and the ticket", r.Status, r.Header.Values("Set-Cookie"))
	}
	if session.Domain != "" || session.Path != "/api/v2/" {
		t.Errorf("session cookie = %+v, want host-only on /api/v2/ whatever the cookie domain", session)
	}
	if ticket.Domain != "example.com" || ticket.Path != "/" || !ticket.HttpOnly || !ticket.Secure || ticket.SameSite != http.SameSiteStrictMode {
		t.Errorf("ticket cookie = %+v, want Domain=example.com, Path=/, HttpOnly, Secure, SameSite=Strict", ticket)
	}
	if ticket.Value == session.Value || strings.Contains(ticket.Value, session.Value) {
		t.Fatal("the ticket holds the login token")
	}
	// The proxy passes the browser's Cookie header as it came.
	res := verify(t, e, "GET", "", "", http.Header{"Cookie": {"theme=dark; accountd_forward=" + ticket.Value + "; lang=en"}})
	if res.StatusCode != 204 || res.Header.Get("X-Accountd-Email") != "ada@example.com" {
		t.Errorf("forward auth with the ticket = %d %v, want 204 for ada", res.StatusCode, res.Header)
	}
	// Another Authorization scheme (the app's own) does not hide it.
	res = verify(t, e, "GET", "", "", http.Header{"Cookie": {"accountd_forward=" + ticket.Value}, "Authorization": {"Bearer app-own-token"}})
	if res.StatusCode != 204 {
		t.Errorf("forward auth with the ticket and a Bearer header = %d, want 204", res.StatusCode)
	}
	// What a sibling app that receives the ticket can do with the API: nothing.
	if r := e.request("POST", "/api/v2/apikey/", `{"label":"stolen"}`, http.Header{"Authorization": {"Token " + ticket.Value},
		"Content-Type": {"application/json"}}); r.Status != 401 {
		t.Errorf("the ticket as an API token = %d %s, want 401", r.Status, r.Body)
	}
	if r := e.request("POST", "/api/v2/apikey/", `{"label":"stolen"}`, pcWith(pcPage(), ticket.Value)); r.Status != 401 {
		t.Errorf("the ticket as the pages' session cookie = %d %s, want 401", r.Status, r.Body)
	}
	// The session cookie is not a forward-auth credential (it never reaches
	// the apps' paths anyway).
	if res := verify(t, e, "GET", "", "", http.Header{"Cookie": {"accountd_session=" + session.Value}}); res.StatusCode != 401 {
		t.Errorf("forward auth with the session cookie = %d, want 401", res.StatusCode)
	}
	for _, bad := range []string{"x", strings.Repeat("A", 300), ticket.Value[:len(ticket.Value)-2] + "AA"} {
		if res := verify(t, e, "GET", "", "", http.Header{"Cookie": {"accountd_forward=" + bad}}); res.StatusCode != 401 {
			t.Errorf("forward auth with ticket %.20q… = %d, want 401", bad, res.StatusCode)
		}
	}

	logout := e.request("POST", "/api/v2/logout/", "", pcWith(pcPage(), session.Value))
	if logout.Status != 204 {
		t.Fatalf("page logout = %d %s", logout.Status, logout.Body)
	}
	if c := namedCookie(logout, "accountd_forward"); c == nil || c.MaxAge >= 0 || c.Domain != "example.com" {
		t.Errorf("logout's ticket cookie = %+v, want it cleared on example.com", c)
	}
	if res := verify(t, e, "GET", "", "", http.Header{"Cookie": {"accountd_forward=" + ticket.Value}}); res.StatusCode != 401 {
		t.Errorf("forward auth with a logged-out session's ticket = %d, want 401", res.StatusCode)
	}

	token := e.login("ada@example.com", testPassword)
	enrolTOTP(e, token)
	r = e.request("POST", "/api/v2/login/", `{"email":"ada@example.com","password":"`+testPassword+`","recaptcha":"x"}`, pcPage())
	pending := namedCookie(r, "accountd_forward")
	if pending == nil {
		t.Fatalf("page sign-in (TOTP on) = %d %s, want a ticket", r.Status, r.Body)
	}
	if res := verify(t, e, "GET", "", "", http.Header{"Cookie": {"accountd_forward=" + pending.Value}}); res.StatusCode != 401 {
		t.Errorf("forward auth with a ticket still owing its code = %d, want 401", res.StatusCode)
	}
}

// namedCookie is the cookie called name that an answer sets, or nil.
func namedCookie(r response, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// TestForwardAuthIgnoresCookieWithoutPages: with ACCOUNTD_PAGES other than
// all there is no browser sign-in, so no ticket counts.
func TestForwardAuthIgnoresCookieWithoutPages(t *testing.T) {
	e := newEnv(t, withForwardAuth(), func(o *envOptions) { o.Web.Pages = web.PagesLinks })
	token := e.register("ada@example.com", testPassword)
	if res := verify(t, e, "GET", "", "", http.Header{"Cookie": {"accountd_forward=" + e.Svc.ForwardAuthTicket(token)}}); res.StatusCode != 401 {
		t.Errorf("forward auth with a ticket, pages off = %d, want 401", res.StatusCode)
	}
}

// TestForwardAuthReturn: after signing in, the pages send the browser to
// /auth/return?rd=URL, which goes back to URL only when forward auth would
// have sent it to sign in with it; anything else lands on the account pages.
func TestForwardAuthReturn(t *testing.T) {
	e := newEnv(t, withForwardAuth("app.example.com"))
	back := func(rd string) (int, string) {
		res := verifyPath(t, e, "/auth/return?rd="+url.QueryEscape(rd))
		return res.StatusCode, res.Header.Get("Location")
	}
	if status, loc := back("https://app.example.com/reports?q=1"); status != 302 || loc != "https://app.example.com/reports?q=1" {
		t.Errorf("an allowed rd: %d %q, want 302 to it", status, loc)
	}
	for _, rd := range []string{"https://evil.example/", "//evil.example", `/\evil.example`, "http://app.example.com/", "javascript:alert(1)"} {
		if status, loc := back(rd); status != 302 || loc != "/account/" {
			t.Errorf("rd=%q: %d %q, want 302 to /account/", rd, status, loc)
		}
	}
	if res := verifyPath(t, e, "/auth/return"); res.StatusCode != 302 || res.Header.Get("Location") != "/account/" {
		t.Errorf("no rd: %d %q, want 302 to /account/", res.StatusCode, res.Header.Get("Location"))
	}
}

// verifyPath GETs path without following a redirect.
func verifyPath(t *testing.T, e *env, path string) *http.Response {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Get(e.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}
