package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/accountd/accountd/internal/web"
)

// The pages' browser sign-in (docs/decisions.md "Browser sign-in for the
// built-in pages"), over HTTP: who gets the cookie, when the API reads it.

// pcPage are the headers a script of the pages sends from its own origin.
func pcPage() http.Header {
	return http.Header{"X-Accountd-Page": {"1"}, "Sec-Fetch-Site": {"same-origin"},
		"Content-Type": {"application/json"}}
}

// pcWith returns h plus the session cookie.
func pcWith(h http.Header, token string) http.Header {
	h = h.Clone()
	h.Set("Cookie", "accountd_session="+token)
	return h
}

// pcSignIn signs in from the pages and returns the cookie's token.
func pcSignIn(t *testing.T, e *env, email string) string {
	t.Helper()
	r := e.request("POST", "/api/v2/login/", `{"email":"`+email+`","password":"`+testPassword+`","recaptcha":"x"}`, pcPage())
	if r.Status != 200 {
		t.Fatalf("page sign-in = %d %s, want 200", r.Status, r.Body)
	}
	c := pcCookie(t, r)
	if c == nil || c.Value == "" {
		t.Fatalf("page sign-in set no session cookie (Set-Cookie %q)", r.Header.Values("Set-Cookie"))
	}
	return c.Value
}

// pcCookie is the session cookie an answer sets, or nil.
func pcCookie(t *testing.T, r response) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == "accountd_session" {
			return c
		}
	}
	return nil
}

func TestPageLoginSetsCookieNotToken(t *testing.T) {
	e := newEnv(t)
	e.register("ada@example.com", testPassword)

	r := e.request("POST", "/api/v2/login/", `{"email":"ada@example.com","password":"`+testPassword+`","recaptcha":"x"}`, pcPage())
	if r.Status != 200 {
		t.Fatalf("page sign-in = %d %s", r.Status, r.Body)
	}
	body := r.JSON(t)
	if _, ok := body["token"]; ok || body["session"] != "cookie" {
		t.Errorf("page sign-in body = %s, want no token and \"session\": \"cookie\"", r.Body)
	}
	c := pcCookie(t, r)
	if c == nil {
		t.Fatalf("no session cookie in %q", r.Header.Values("Set-Cookie"))
	}
	if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != "/api/v2/" || len(c.Value) != 40 {
		t.Errorf("cookie = %+v, want HttpOnly, Secure, SameSite=Strict, Path=/api/v2/, a 40-character token", c)
	}

	// Register from the pages: the same.
	r = e.request("POST", "/api/v2/register/", `{"email":"bob@example.com","password":"`+testPassword+`","tos_accepted":true,"recaptcha":"x"}`, pcPage())
	if body := r.JSON(t); r.Status != 200 || body["token"] != nil || body["session"] != "cookie" || pcCookie(t, r) == nil {
		t.Errorf("page register = %d %s, want 200 with a cookie and no token", r.Status, r.Body)
	}

	// An API client (no page header) gets the token as always, no cookie.
	r = e.do("POST", "/api/v2/login/", obj{"email": "ada@example.com", "password": testPassword, "recaptcha": "x"}, "")
	if r.JSON(t)["token"] == nil || pcCookie(t, r) != nil {
		t.Errorf("API sign-in = %s with Set-Cookie %q, want a token and no cookie", r.Body, r.Header.Values("Set-Cookie"))
	}
}

func TestPageCookieNeedsSameOrigin(t *testing.T) {
	e := newEnv(t)
	e.register("ada@example.com", testPassword)
	token := pcSignIn(t, e, "ada@example.com")
	host := strings.TrimPrefix(e.URL, "http://")
	for _, tc := range []struct {
		name   string
		header http.Header
		want   int
	}{
		{"same-origin page", http.Header{"X-Accountd-Page": {"1"}, "Sec-Fetch-Site": {"same-origin"}}, 200},
		{"no Fetch Metadata, Origin of this host", http.Header{"X-Accountd-Page": {"1"}, "Origin": {"http://" + host}}, 200},
		{"no page header", http.Header{"Sec-Fetch-Site": {"same-origin"}}, 401},
		{"same-site sibling", http.Header{"X-Accountd-Page": {"1"}, "Sec-Fetch-Site": {"same-site"}}, 401},
		{"cross-site", http.Header{"X-Accountd-Page": {"1"}, "Sec-Fetch-Site": {"cross-site"}}, 401},
		{"no Fetch Metadata, another Origin", http.Header{"X-Accountd-Page": {"1"}, "Origin": {"http://evil.example"}}, 401},
		{"neither Fetch Metadata nor Origin", http.Header{"X-Accountd-Page": {"1"}}, 401},
	} {
		r := e.request("GET", "/api/v2/profile/", "", pcWith(tc.header, token))
		if r.Status != tc.want {
			t.Errorf("%s: profile with the cookie = %d %s, want %d", tc.name, r.Status, r.Body, tc.want)
		}
		if tc.want == 401 && r.Code(t, "") != "not_authenticated" {
			t.Errorf("%s: code = %q, want not_authenticated (the cookie counts as no credentials)", tc.name, r.Code(t, ""))
		}
	}
	// The Authorization header wins over a cookie.
	h := pcWith(pcPage(), token)
	h.Set("Authorization", "Token "+strings.Repeat("a", 40))
	if r := e.request("GET", "/api/v2/profile/", "", h); r.Status != 401 || r.Code(t, "") != "authentication_failed" {
		t.Errorf("a wrong Authorization beside a good cookie = %d %s, want 401 authentication_failed", r.Status, r.Body)
	}
}

func TestPageCookieCrossSiteFormRefused(t *testing.T) {
	e := newEnv(t)
	e.register("ada@example.com", testPassword)
	token := pcSignIn(t, e, "ada@example.com")
	// What a form on another site posts: a form body, the cookie (were the
	// browser to send it), no page header.
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Sec-Fetch-Site": {"cross-site"},
		"Origin": {"https://evil.example"}, "Cookie": {"accountd_session=" + token}}
	body := url.Values{"password": {testPassword}, "new_password": {brNewPassword}}.Encode()
	if r := e.request("POST", "/api/v2/changepassword/", body, h); r.Status != 401 {
		t.Errorf("cross-site form post = %d %s, want 401", r.Status, r.Body)
	}
	e.login("ada@example.com", testPassword) // the password did not change
	if r := e.request("GET", "/api/v2/profile/", "", pcWith(pcPage(), token)); r.Status != 200 {
		t.Errorf("the session after the refused post = %d, want 200", r.Status)
	}
}

func TestPageCookieLogoutClears(t *testing.T) {
	e := newEnv(t)
	e.register("ada@example.com", testPassword)
	token := pcSignIn(t, e, "ada@example.com")
	r := e.request("POST", "/api/v2/logout/", "{}", pcWith(pcPage(), token))
	if c := pcCookie(t, r); r.Status != 204 || c == nil || c.MaxAge >= 0 || c.Value != "" {
		t.Fatalf("logout = %d, cookie %+v; want 204 and the cookie cleared", r.Status, c)
	}
	r = e.request("GET", "/api/v2/profile/", "", pcWith(pcPage(), token))
	if c := pcCookie(t, r); r.Status != 401 || c == nil || c.MaxAge >= 0 {
		t.Errorf("the logged-out cookie = %d %s, cookie %+v; want 401 and the cookie cleared", r.Status, r.Body, c)
	}
}

// TestPageCookiePendingLikeToken: the cookie is the login token, so a
// TOTP account's cookie is pending until a code, as a header token is.
func TestPageCookiePendingLikeToken(t *testing.T) {
	e := newEnv(t)
	tf := enrolTOTP(e, e.register("ada@example.com", testPassword))
	token := pcSignIn(t, e, "ada@example.com")
	h := pcWith(pcPage(), token)
	if r := e.request("GET", "/api/v2/profile/", "", h); r.Status != 403 || r.Code(t, "") != "2fa_needed" {
		t.Fatalf("pending cookie: profile = %d %s, want 403 2fa_needed", r.Status, r.Body)
	}
	code := `{"code":"` + tfCode(e, tf.secret) + `","recaptcha":"x"}`
	if r := e.request("POST", "/api/v2/twofactorauth/codeauth/", code, h); r.Status != 204 {
		t.Fatalf("codeauth with the cookie = %d %s, want 204", r.Status, r.Body)
	}
	if r := e.request("GET", "/api/v2/profile/", "", h); r.Status != 200 {
		t.Errorf("verified cookie: profile = %d %s, want 200", r.Status, r.Body)
	}
}

func TestPagesSetting(t *testing.T) {
	for _, tc := range []struct {
		mode              string
		login, reset, api int
		cookie            bool
	}{
		{web.PagesAll, 200, 200, 200, true},
		{web.PagesLinks, 404, 200, 200, false},
		{web.PagesOff, 404, 404, 200, false},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			e := newEnv(t, func(o *envOptions) { o.Web.Pages = tc.mode })
			e.register("ada@example.com", testPassword)
			html := http.Header{"Accept": {"text/html"}}
			if r := e.request("GET", "/login/", "", html); r.Status != tc.login {
				t.Errorf("GET /login/ = %d, want %d", r.Status, tc.login)
			}
			if r := e.request("GET", "/resetpassword/", "", html); r.Status != tc.reset {
				t.Errorf("GET /resetpassword/ = %d, want %d", r.Status, tc.reset)
			}
			r := e.request("POST", "/api/v2/login/", `{"email":"ada@example.com","password":"`+testPassword+`","recaptcha":"x"}`, pcPage())
			if r.Status != tc.api || (pcCookie(t, r) != nil) != tc.cookie {
				t.Errorf("page sign-in = %d %s, cookie %v; want %d, cookie %v", r.Status, r.Body, pcCookie(t, r) != nil, tc.api, tc.cookie)
			}
			if !tc.cookie && r.JSON(t)["token"] == nil {
				t.Errorf("page sign-in with pages %s = %s, want the token in the body (no cookie sign-in)", tc.mode, r.Body)
			}
		})
	}
}

func TestPageQRCode(t *testing.T) {
	e := newEnv(t)
	const u = "otpauth://totp/accountd:ada@example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=accountd"
	r := e.request("POST", "/account/security/qr/", `{"otpauth_url":"`+u+`"}`, pcPage())
	if r.Status != 200 || r.Header.Get("Content-Type") != "image/svg+xml" || r.Header.Get("Cache-Control") != "no-store" ||
		!strings.HasPrefix(string(r.Body), "<svg") || !strings.Contains(string(r.Body), "<path") {
		t.Errorf("QR = %d %q %q %.80s, want an uncached SVG with a path", r.Status, r.Header.Get("Content-Type"),
			r.Header.Get("Cache-Control"), r.Body)
	}
	if strings.Contains(e.Logs.String(), "JBSWY3DP") {
		t.Error("the log holds the TOTP secret")
	}
	h := pcPage()
	h.Del("X-Accountd-Page")
	if r := e.request("POST", "/account/security/qr/", `{"otpauth_url":"`+u+`"}`, h); r.Status != 403 {
		t.Errorf("QR without the page header = %d, want 403", r.Status)
	}
	for _, bad := range []string{"https://example.com/", "otpauth://totp/" + strings.Repeat("a", 600)} {
		r := e.request("POST", "/account/security/qr/", `{"otpauth_url":"`+bad+`"}`, pcPage())
		if r.Status != 400 || r.Code(t, "otpauth_url") != "invalid" {
			t.Errorf("QR of %.30q = %d %s, want 400 otpauth_url invalid", bad, r.Status, r.Body)
		}
	}
}

// TestAccountPagesHeaders: the account pages carry the headers of the
// reset pages, and they and their script name no other origin.
func TestAccountPagesHeaders(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/register/", "/login/", "/logout/", "/account/", "/account/security/",
		"/account/email/", "/account/apikeys/", "/account/delete/", "/static/dashboard.js"} {
		r := e.request("GET", p, "", nil)
		if r.Status != 200 {
			t.Errorf("GET %s = %d, want 200", p, r.Status)
			continue
		}
		for _, bad := range []string{"http://", "https://", `="//`, `url(//`} {
			if strings.Contains(string(r.Body), bad) {
				t.Errorf("GET %s: the page has %q, a reference to another origin", p, bad)
			}
		}
		if strings.HasPrefix(p, "/static/") {
			continue
		}
		for k, want := range map[string]string{"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"} {
			if got := r.Header.Get(k); got != want {
				t.Errorf("GET %s: %s = %q, want %q", p, k, got, want)
			}
		}
		csp := r.Header.Get("Content-Security-Policy")
		for _, want := range []string{"frame-ancestors 'none'", "default-src 'none'", "script-src 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("GET %s: Content-Security-Policy = %q, want it to contain %q", p, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(string(r.Body), "<script>") {
			t.Errorf("GET %s: inline script allowed or present", p)
		}
	}
}

// TestPageSocialSignInSetsCookieNotToken: register/social and login/social
// from the pages answer as login does, the cookie and no token for page
// script; deleteaccount/social with the cookie clears it, and any other
// cookie of the deleted account is cleared on its next request.
func TestPageSocialSignInSetsCookieNotToken(t *testing.T) {
	p := newOIDCProvider(t)
	e := newEnv(t, withSocial(p))
	ada := googleUser{Sub: "1001", Email: "ada@gmail.com", Given: "Ada", Family: "Lovelace"}
	post := func(path string, body obj, h http.Header) response {
		t.Helper()
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		return e.request("POST", path, string(b), h)
	}
	pageCookie := func(what string, r response, want map[string]any) string {
		t.Helper()
		c := pcCookie(t, r)
		body := r.JSON(t)
		if r.Status != 200 || c == nil || c.Value == "" || len(body) != len(want) {
			t.Fatalf("%s from the pages = %d %s (Set-Cookie %q), want 200 with a cookie and %v", what, r.Status, r.Body,
				r.Header.Values("Set-Cookie"), want)
		}
		for k, v := range want {
			if body[k] != v {
				t.Errorf("%s from the pages: %s = %v, want %v (body %s)", what, k, body[k], v, r.Body)
			}
		}
		return c.Value
	}

	registered := pageCookie("register/social", post("/api/v2/register/social/", registerBody(p.code(ada)), pcPage()),
		map[string]any{"session": "cookie", "logged_in_existing_user": false})
	again := pageCookie("register/social again", post("/api/v2/register/social/", registerBody(p.code(ada)), pcPage()),
		map[string]any{"session": "cookie", "logged_in_existing_user": true})
	login := pageCookie("login/social", post("/api/v2/login/social/", socialBody(p.code(ada)), pcPage()),
		map[string]any{"session": "cookie"})
	for _, tok := range []string{registered, again, login} {
		if r := e.request("GET", "/api/v2/profile/", "", pcWith(pcPage(), tok)); r.Status != 200 || r.JSON(t)["email"] != "ada@gmail.com" {
			t.Errorf("profile with a social sign-in's cookie = %d %s, want ada's", r.Status, r.Body)
		}
	}

	r := post("/api/v2/deleteaccount/social/", socialBody(p.code(ada)), pcWith(pcPage(), login))
	if c := pcCookie(t, r); r.Status != 204 || c == nil || c.MaxAge >= 0 || c.Value != "" {
		t.Fatalf("deleteaccount/social with the cookie = %d %s, cookie %+v; want 204 and the cookie cleared", r.Status, r.Body, c)
	}
	r = e.request("GET", "/api/v2/profile/", "", pcWith(pcPage(), registered))
	if c := pcCookie(t, r); r.Status != 403 || r.Code(t, "") != "account_deleted" || c == nil || c.MaxAge >= 0 {
		t.Errorf("another cookie of the deleted account = %d %s, cookie %+v; want 403 account_deleted and the cookie cleared",
			r.Status, r.Body, c)
	}
}
