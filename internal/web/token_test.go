package web_test

import (
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// apiExpect401 checks a 401 with its exact body and WWW-Authenticate.
func apiExpect401(t *testing.T, what string, r response, code string) {
	t.Helper()
	details := map[string]string{
		"not_authenticated":     "Authentication credentials were not provided.",
		"authentication_failed": "Invalid token.",
	}
	apiNoLeak(t, what, r)
	if r.Status != 401 {
		t.Errorf("%s: status = %d %s, want 401", what, r.Status, r.Body)
		return
	}
	if diff := cmp.Diff(apiDetailBody{details[code], code}, apiDetail(t, r)); diff != "" {
		t.Errorf("%s: body mismatch (-want +got):\n%s", what, diff)
	}
	if got := r.Header.Values("WWW-Authenticate"); !cmp.Equal(got, []string{"Token"}) {
		t.Errorf("%s: WWW-Authenticate = %q, want [Token]", what, got)
	}
}

// apiAuthGet GETs the profile with a raw Authorization header ("" for none).
func apiAuthGet(e *env, authorization string) response {
	e.t.Helper()
	h := http.Header{}
	if authorization != "" {
		h.Set("Authorization", authorization)
	}
	return e.request("GET", "/api/v2/profile/", "", h)
}

func TestAuthenticationErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.register("ada@example.com", testPassword)
	revoked := e.login("ada@example.com", testPassword)
	if r := e.do("POST", "/api/v2/logout/", nil, revoked); r.Status != 204 {
		t.Fatalf("logout = %d %s, want 204", r.Status, r.Body)
	}
	for _, c := range []struct {
		name, header, code string
	}{
		{"no header", "", "not_authenticated"},
		{"Bearer scheme", "Bearer x", "not_authenticated"},
		{"Bearer with a real token", "Bearer " + tok, "not_authenticated"},
		{"Basic scheme", "Basic YWRhOnB3", "not_authenticated"},
		{"unknown token", "Token " + strings.Repeat("a", 40), "authentication_failed"},
		{"revoked token", "Token " + revoked, "authentication_failed"},
		{"malformed token", "Token abc", "authentication_failed"},
		{"upper-case token", "Token " + strings.ToUpper(tok), "authentication_failed"},
		{"token too long", "Token " + tok + "a", "authentication_failed"},
		{"Token and a space", "Token ", "authentication_failed"},
		{"Token alone", "Token", "authentication_failed"},
		{"two values", "Token " + tok + " " + tok, "authentication_failed"},
	} {
		apiExpect401(t, "GET profile with "+c.name, apiAuthGet(e, c.header), c.code)
	}
	// Every authenticated endpoint answers the same.
	for _, c := range []struct{ method, path string }{
		{"POST", "/api/v2/logout/"}, {"GET", "/api/v2/logout/"}, {"POST", "/api/v2/changepassword/"},
		{"GET", "/api/v2/profile/"}, {"PATCH", "/api/v2/profile/"},
	} {
		apiExpect401(t, c.method+" "+c.path+" without a token", e.do(c.method, c.path, nil, ""), "not_authenticated")
		apiExpect401(t, c.method+" "+c.path+" with a revoked token", e.do(c.method, c.path, nil, revoked), "authentication_failed")
	}
	// The scheme is case-insensitive, as in DRF.
	if r := apiAuthGet(e, "token "+tok); r.Status != 200 {
		t.Errorf("GET profile with %q = %d %s, want 200", "token <token>", r.Status, r.Body)
	}
	// The user's good token was never disturbed.
	apiProfile(t, e, tok)
}

func TestLogout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	keep := e.register("ada@example.com", testPassword)
	for _, method := range []string{"POST", "GET"} {
		tok := e.login("ada@example.com", testPassword)
		r := e.do(method, "/api/v2/logout/", nil, tok)
		if r.Status != 204 || len(r.Body) != 0 {
			t.Errorf("%s /api/v2/logout/ = %d %q, want 204 with no body", method, r.Status, r.Body)
		}
		apiExpect401(t, "profile after "+method+" logout", e.do("GET", "/api/v2/profile/", nil, tok), "authentication_failed")
		apiExpect401(t, "second "+method+" logout", e.do(method, "/api/v2/logout/", nil, tok), "authentication_failed")
		if r := e.do("GET", "/api/v2/profile/", nil, keep); r.Status != 200 {
			t.Errorf("another token of the user after %s logout = %d %s, want 200", method, r.Status, r.Body)
		}
	}
	// Logging out does not touch the password.
	if got := apiLoginStatus(e, "ada@example.com", testPassword); got != 200 {
		t.Errorf("login after logouts = %d, want 200", got)
	}
}

func TestLoginFailuresIndistinguishable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.register("ada@example.com", testPassword)
	wrong := apiPost(e, "/api/v2/login/", obj{"email": "ada@example.com", "password": "Wrong-Password-1", "recaptcha": "x"}, "")
	unknown := apiPost(e, "/api/v2/login/", obj{"email": "nobody@example.com", "password": "Wrong-Password-1", "recaptcha": "x"}, "")
	want := map[string][]apiMsg{"non_field_errors": {{"Unable to log in with provided credentials.", "authorization"}}}
	for name, r := range map[string]response{"wrong password": wrong, "unknown email": unknown} {
		apiNoLeak(t, "login "+name, r)
		if r.Status != 400 {
			t.Fatalf("login(%s) = %d %s, want 400", name, r.Status, r.Body)
		}
		if diff := cmp.Diff(want, apiFields(t, r)); diff != "" {
			t.Errorf("login(%s) body mismatch (-want +got):\n%s", name, diff)
		}
	}
	if string(wrong.Body) != string(unknown.Body) {
		t.Errorf("login bodies: wrong password %q, unknown email %q, want byte-identical", wrong.Body, unknown.Body)
	}
	names := func(h http.Header) []string {
		var out []string
		for k := range h {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	if diff := cmp.Diff(names(wrong.Header), names(unknown.Header)); diff != "" {
		t.Errorf("login header names differ (-wrong password +unknown email):\n%s", diff)
	}
	for k := range wrong.Header {
		if k == "Date" || k == "X-Request-Id" {
			continue
		}
		if !cmp.Equal(wrong.Header.Values(k), unknown.Header.Values(k)) {
			t.Errorf("login header %s: wrong password %q, unknown email %q, want equal", k, wrong.Header.Values(k), unknown.Header.Values(k))
		}
	}
}
