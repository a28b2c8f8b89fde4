package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Token introspection for backend services (POST /admin/v1/introspect, after
// RFC 7662) on the admin API's listener, on SQLite or PostgreSQL.

// introspect asks about token as JSON and returns the decoded answer,
// failing on anything but 200.
func introspect(t *testing.T, a *adminAPI, token string) map[string]any {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"token": token})
	r := a.call("POST", "/admin/v1/introspect", string(b))
	if r.Status != 200 {
		t.Fatalf("introspect = %d %s, want 200", r.Status, r.Body)
	}
	return r.JSON(t)
}

func TestIntrospectActiveTokens(t *testing.T) {
	e := newEnv(t, withLifetimes(14*day, 30*day))
	a := newAdminAPI(e, adminToken)
	token := e.register("ada@example.com", testPassword)
	id := sfProfile(t, e, token)["id"]
	signedIn := e.Clock.Now()

	got := introspect(t, a, token)
	want := map[string]any{"active": true, "user_id": id, "email": "ada@example.com", "kind": "login",
		"two_factor": false, "expires_at": signedIn.Add(14 * day).UTC().Format(time.RFC3339)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("a login token (-want +got):\n%s", diff)
	}

	key := sfCreateKey(t, e, token, "reports")["key"].(string)
	got = introspect(t, a, key)
	want = map[string]any{"active": true, "user_id": id, "email": "ada@example.com", "kind": "api_key",
		"two_factor": false, "expires_at": nil}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("an API key (-want +got):\n%s", diff)
	}

	// RFC 7662's own encoding, a form, works too.
	req, _ := http.NewRequest("POST", a.url+"/admin/v1/introspect", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+adminToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(b), `"active":true`) {
		t.Errorf("introspect as a form = %d %s, want 200 active", res.StatusCode, b)
	}
}

func TestIntrospectInactiveTokens(t *testing.T) {
	e := newEnv(t, withLifetimes(14*day, 30*day))
	a := newAdminAPI(e, adminToken)
	inactive := map[string]any{"active": false}
	check := func(what, token string) {
		t.Helper()
		if got := introspect(t, a, token); !cmp.Equal(got, inactive) {
			t.Errorf("%s: %v, want only {active: false}", what, got)
		}
	}
	check("an unknown token", strings.Repeat("a", 40))
	check("not a token at all", "<script>")

	out := e.register("ada@example.com", testPassword)
	if r := e.do("POST", "/api/v2/logout/", nil, out); r.Status != 204 {
		t.Fatalf("logout = %d", r.Status)
	}
	check("a logged-out token", out)

	idle := e.login("ada@example.com", testPassword)
	e.Clock.Advance(15 * day)
	check("a token idle for 15 days", idle)

	totpOwner := e.login("ada@example.com", testPassword)
	enrolTOTP(e, totpOwner)
	if got := introspect(t, a, totpOwner); got["active"] != true || got["two_factor"] != true {
		t.Errorf("the token that turned TOTP on: %v, want active with two_factor true", got)
	}
	check("a pending token (password only, TOTP on)", e.login("ada@example.com", testPassword))

	suspended := e.register("grace@example.com", testPassword)
	if _, err := e.Svc.Suspend(context.Background(), e.userID("grace@example.com"), "abuse_report", testOperator); err != nil {
		t.Fatal(err)
	}
	check("a suspended account's token", suspended)

	gone := e.register("linus@example.com", testPassword)
	if r := e.do("POST", "/api/v2/deleteaccount/", obj{"password": testPassword, "recaptcha": "x"}, gone); r.Status != 204 {
		t.Fatalf("delete = %d %s", r.Status, r.Body)
	}
	check("a deleted account's token", gone)
}

func TestIntrospectNeedsTheAdminToken(t *testing.T) {
	e := newEnv(t)
	a := newAdminAPI(e, adminToken)
	token := e.register("ada@example.com", testPassword)
	body := `{"token":"` + token + `"}`
	if r := a.do("POST", "/admin/v1/introspect", body, ""); r.Status != 401 || strings.Contains(string(r.Body), "ada@") {
		t.Errorf("introspect without the admin token = %d %s, want 401 telling nothing", r.Status, r.Body)
	}
	if r := a.do("POST", "/admin/v1/introspect", body, "wrong-token-wrong-token-wrong-token"); r.Status != 401 {
		t.Errorf("introspect with a wrong admin token = %d, want 401", r.Status)
	}
	if r := a.call("POST", "/admin/v1/introspect", `{}`); r.Status != 400 || r.Code(t, "token") != "required" {
		t.Errorf("introspect without a token field = %d %s, want 400 token/required", r.Status, r.Body)
	}
	if r := e.do("POST", "/admin/v1/introspect", obj{"token": token}, token); r.Status != 404 {
		t.Errorf("introspect on the public listener = %d, want 404", r.Status)
	}
}

// TestAdminDetailShowsSocialIdentities: an operator sees which provider
// identities sign an account in, and nothing secret about them.
func TestAdminDetailShowsSocialIdentities(t *testing.T) {
	p := newOIDCProvider(t)
	e := newEnv(t, withSocial(p))
	a := newAdminAPI(e, adminToken)
	socialRegister(e, p, googleUser{Sub: "g-1001", Email: "ada@gmail.com"})
	id := e.userID("ada@gmail.com")
	r := a.call("GET", "/admin/v1/users/"+strconv.FormatInt(id, 10)+"/", "")
	if r.Status != 200 {
		t.Fatalf("detail = %d %s", r.Status, r.Body)
	}
	ids, _ := r.JSON(t)["social_identities"].([]any)
	if len(ids) != 1 {
		t.Fatalf("social_identities = %v, want one", r.JSON(t)["social_identities"])
	}
	si := ids[0].(map[string]any)
	if si["provider"] != "google" || si["subject"] != "g-1001" || si["email"] != "ada@gmail.com" || si["issuer"] != p.m.Issuer() {
		t.Errorf("identity = %v, want google, g-1001, ada@gmail.com at the provider's issuer %s", si, p.m.Issuer())
	}

	e.register("grace@example.com", testPassword)
	r = a.call("GET", "/admin/v1/users/"+strconv.FormatInt(e.userID("grace@example.com"), 10)+"/", "")
	if got, ok := r.JSON(t)["social_identities"].([]any); !ok || len(got) != 0 {
		t.Errorf("an account without a social sign-in: social_identities = %v, want []", r.JSON(t)["social_identities"])
	}
}
