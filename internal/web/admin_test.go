package web_test

import (
	"context"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/web"
)

// The admin API (docs/api.md#admin-api) over HTTP, beside the public listener of env.

const adminToken = "0123456789abcdef0123456789abcdef-admin"

// adminAPI is the admin API of an env on a listener of its own.
type adminAPI struct {
	e   *env
	url string
	reg *prometheus.Registry
	// bodies collects every answer, to look for secrets in them.
	bodies []string
}

func newAdminAPI(e *env, token string) *adminAPI {
	e.t.Helper()
	reg := prometheus.NewRegistry()
	h := web.NewAdmin(e.Svc, slog.New(slog.NewTextHandler(io.Discard, nil)), reg, web.AdminConfig{TokenHash: web.AdminTokenHash(token)})
	srv := httptest.NewServer(h)
	e.t.Cleanup(srv.Close)
	return &adminAPI{e: e, url: srv.URL, reg: reg}
}

// do sends a request with the admin token ("" sends none).
func (a *adminAPI) do(method, path, body, token string) response {
	a.e.t.Helper()
	req, err := http.NewRequest(method, a.url+path, strings.NewReader(body))
	if err != nil {
		a.e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	a.bodies = append(a.bodies, string(b))
	return response{Status: res.StatusCode, Header: res.Header, Body: b}
}

func (a *adminAPI) call(method, path, body string) response {
	a.e.t.Helper()
	return a.do(method, path, body, adminToken)
}

func TestAdminAPIAuth(t *testing.T) {
	e := newEnv(t)
	e.register("ada@example.com", testPassword)
	a := newAdminAPI(e, adminToken)
	for _, path := range []string{"/admin/v1/users/", "/admin/v1/users/1/", "/admin/v1/events/", "/admin/v1/nothing/"} {
		r := a.do("GET", path, "", "")
		sfWantDetail(t, "no token "+path, r, 401, "not_authenticated", "")
		if r.Header.Get("WWW-Authenticate") != "Bearer" {
			t.Errorf("no token: WWW-Authenticate = %q, want Bearer", r.Header.Get("WWW-Authenticate"))
		}
		sfWantDetail(t, "wrong token "+path, a.do("GET", path, "", adminToken+"x"), 401, "authentication_failed", "")
		sfWantDetail(t, "Token scheme "+path, a.do("GET", path, "", ""), 401, "not_authenticated", "")
	}
	sfWantStatus(t, "right token", a.call("GET", "/admin/v1/users/", ""), 200)
	sfWantDetail(t, "right token, unknown path", a.call("GET", "/admin/v1/nothing/", ""), 404, "not_found", "")
	if n := (counterValue(t, a.reg, "auth", "401")); n < 8 {
		t.Errorf("accountd_admin_requests_total{action=auth,status=401} = %v, want 8 or more", n)
	}

	// Unset: 404 for the whole API, with or without a token.
	off := newAdminAPI(e, "")
	for _, tok := range []string{"", adminToken} {
		sfWantDetail(t, "admin API off", off.do("GET", "/admin/v1/users/", "", tok), 404, "not_found", "")
	}
	// Never on the public listener.
	r := e.request("GET", "/admin/v1/users/", "", http.Header{"Authorization": {"Bearer " + adminToken}})
	sfWantStatus(t, "admin path on the public listener", r, 404)
	r = e.request("POST", "/admin/v1/users/1/suspend/", `{"reason":"abuse_report"}`,
		http.Header{"Authorization": {"Bearer " + adminToken}, "Content-Type": {"application/json"}})
	sfWantStatus(t, "admin action on the public listener", r, 404)
	if u, _ := e.Svc.FindUser(context.Background(), "ada@example.com"); u.Suspended() {
		t.Error("the public listener suspended an account")
	}
}

// counterValue returns a series of accountd_admin_requests_total (0 when
// absent).
func counterValue(t *testing.T, reg *prometheus.Registry, action, status string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "accountd_admin_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["action"] == action && labels["status"] == status {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func TestAdminAPIActions(t *testing.T) {
	e := newEnv(t)
	tok := e.register("ada@example.com", testPassword)
	totp := enrolTOTP(e, tok)
	key := sfCreateKey(t, e, tok, "script")["key"].(string)
	e.register("adam@example.com", testPassword)
	e.register("bob@example.com", testPassword)
	id := e.userID("ada@example.com")
	a := newAdminAPI(e, adminToken)
	user := fmt.Sprintf("/admin/v1/users/%d/", id)

	// Search by normalised prefix.
	r := a.call("GET", "/admin/v1/users/?email=AD", "")
	if m := r.JSON(t); r.Status != 200 || m["count"] != float64(2) {
		t.Errorf("search AD = %d %s, want ada and adam", r.Status, r.Body)
	}
	r = a.call("GET", "/admin/v1/users/?page_size=1&page=2", "")
	if m := r.JSON(t); r.Status != 200 || m["count"] != float64(3) || len(m["results"].([]any)) != 1 || m["next"] == nil || m["previous"] == nil {
		t.Errorf("users page 2 of 3 = %d %s", r.Status, r.Body)
	}

	// Detail.
	r = a.call("GET", user, "")
	d := r.JSON(t)
	if r.Status != 200 || d["email"] != "ada@example.com" || d["state"] != "active" || d["two_factor_method"] != "device_totp" ||
		d["sessions"] != float64(1) || d["api_keys"] != float64(1) || d["recovery_codes_left"] != float64(10) {
		t.Errorf("detail = %d %s", r.Status, r.Body)
	}
	r = a.call("GET", fmt.Sprintf("/admin/v1/events/?user=%d&type=account_viewed_by_operator", id), "")
	if r.JSON(t)["count"] != float64(1) {
		t.Errorf("views of ada audited = %s, want the one detail read", r.Body)
	}
	sfWantStatus(t, "unknown user", a.call("GET", "/admin/v1/users/999999/", ""), 404)
	sfWantStatus(t, "malformed id", a.call("GET", "/admin/v1/users/abc/", ""), 404)

	// Suspend and unsuspend.
	sfWantField(t, "suspend without reason", a.call("POST", user+"suspend/", "{}"), "reason", "required")
	sfWantField(t, "suspend with a bad reason", a.call("POST", user+"suspend/", `{"reason":"spam"}`), "reason", "invalid_choice")
	r = a.call("POST", user+"suspend/", `{"reason":"acceptable_use_violation"}`)
	if m := r.JSON(t); r.Status != 200 || m["state"] != "suspended" {
		t.Errorf("suspend = %d %s", r.Status, r.Body)
	}
	wantSuspended(t, "ada's key after the admin suspended her", e.do("GET", "/api/v2/profile/", nil, key))
	wantStatus(t, "suspend twice", a.call("POST", user+"suspend/", `{"reason":"abuse_report"}`), 409, "already_suspended")
	r = a.call("POST", user+"unsuspend/", "")
	if m := r.JSON(t); r.Status != 200 || m["state"] != "active" || m["suspension"] != nil {
		t.Errorf("unsuspend = %d %s", r.Status, r.Body)
	}
	sfWantStatus(t, "ada's key after unsuspend", e.do("GET", "/api/v2/profile/", nil, key), 200)

	// Reset link: emailed, or returned.
	r = a.call("POST", user+"reset-link/", "")
	if r.Status != 200 || r.JSON(t)["sent"] != true {
		t.Errorf("reset-link = %d %s, want sent", r.Status, r.Body)
	}
	r = a.call("POST", user+"reset-link/", `{"send": false}`)
	if link, _ := r.JSON(t)["link"].(string); r.Status != 200 || !resetLinkPattern.MatchString(link) {
		t.Errorf("reset-link send=false = %d %s, want a link", r.Status, r.Body)
	}

	// 2FA reset, then revoke tokens.
	r = a.call("POST", user+"2fa-reset/", "")
	if m := r.JSON(t); r.Status != 200 || m["two_factor_method"] != "email_code" || m["sessions"] != float64(0) || m["recovery_codes_left"] != float64(0) {
		t.Errorf("2fa-reset = %d %s", r.Status, r.Body)
	}
	fresh := e.login("ada@example.com", testPassword)
	r = a.call("POST", user+"revoke-tokens/", "")
	if m := r.JSON(t); r.Status != 200 || m["sessions"] != float64(0) || m["api_keys"] != float64(0) {
		t.Errorf("revoke-tokens = %d %s", r.Status, r.Body)
	}
	sfWantStatus(t, "a login token after revoke-tokens", e.do("GET", "/api/v2/profile/", nil, fresh), 401)
	sfWantStatus(t, "the API key after revoke-tokens", e.do("GET", "/api/v2/profile/", nil, key), 401)

	// Staff.
	if m := a.call("POST", user+"grant-staff/", "").JSON(t); m["staff"] != true {
		t.Errorf("grant-staff: staff = %v", m["staff"])
	}
	if m := a.call("POST", user+"revoke-staff/", "").JSON(t); m["staff"] != false {
		t.Errorf("revoke-staff: staff = %v", m["staff"])
	}

	// Audit trail: filters and pages.
	r = a.call("GET", fmt.Sprintf("/admin/v1/events/?user=%d&type=account_suspended", id), "")
	ev := r.JSON(t)
	if r.Status != 200 || ev["count"] != float64(1) {
		t.Fatalf("events of ada, account_suspended = %d %s, want 1", r.Status, r.Body)
	}
	first := ev["results"].([]any)[0].(map[string]any)
	if first["user"] != float64(id) || first["detail"] != "acceptable_use_violation" || !strings.Contains(first["user_agent"].(string), "admin API") {
		t.Errorf("event = %v, want ada's suspension by the admin API", first)
	}
	r = a.call("GET", fmt.Sprintf("/admin/v1/events/?user=%d&page_size=2", id), "")
	all := r.JSON(t)
	if n := all["count"].(float64); n < 8 || all["next"] == nil || len(all["results"].([]any)) != 2 {
		t.Errorf("events of ada, page 1 of size 2 = %s, want more than 8 and a next page", r.Body)
	}
	for _, q := range []string{"since=yesterday", "user=abc"} {
		field := strings.Split(q, "=")[0]
		sfWantField(t, "events "+q, a.call("GET", "/admin/v1/events/?"+q, ""), field, "invalid")
	}
	r = a.call("GET", "/admin/v1/events/?since=2999-01-01", "")
	if r.Status != 200 || r.JSON(t)["count"] != float64(0) {
		t.Errorf("events since 2999 = %d %s, want none", r.Status, r.Body)
	}

	// Delete.
	sfWantStatus(t, "delete", a.call("DELETE", user, ""), 204)
	if m := a.call("GET", user, "").JSON(t); m["state"] != "deleted" {
		t.Errorf("state after delete = %v", m["state"])
	}
	sfWantStatus(t, "delete twice", a.call("DELETE", user, ""), 404)
	sfWantStatus(t, "login after delete", e.do("POST", "/api/v2/login/", obj{"email": "ada@example.com", "password": testPassword, "recaptcha": "x"}, ""), 400)
	if n := (counterValue(t, a.reg, "suspend", "200")); n != 1 {
		t.Errorf("accountd_admin_requests_total{action=suspend,status=200} = %v, want 1", n)
	}

	// No answer held a token, a key, a hash or a TOTP secret.
	stored, err := e.Store.UserByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string]string{
		"login token": tok, "later login token": fresh, "API key": key, "password hash": stored.PasswordHash,
		"TOTP secret":         base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(totp.secret),
		"recovery code":       totp.recovery[0],
		"token hash (hex)":    hex.EncodeToString(account.HashSecret(tok)),
		"token hash (base64)": base64.StdEncoding.EncodeToString(account.HashSecret(tok)),
	}
	for _, body := range a.bodies {
		for what, secret := range secrets {
			if secret != "" && strings.Contains(body, secret) {
				t.Errorf("an admin API answer holds the %s: %s", what, body)
			}
		}
	}
	if len(a.bodies) < 20 {
		t.Errorf("only %d answers were checked for secrets", len(a.bodies))
	}
}

// TestAdminFiltersRefuseUnstorableText: a NUL byte or invalid UTF-8 in
// ?email= or ?type= is 400 on the parameter, before the store (PostgreSQL
// cannot compare it and answered 503), and a clean filter still works.
func TestAdminFiltersRefuseUnstorableText(t *testing.T) {
	e := newEnv(t)
	e.register("ada@example.com", testPassword)
	a := newAdminAPI(e, adminToken)
	for _, c := range []struct{ path, field string }{
		{"/admin/v1/users/?email=ada%00", "email"},
		{"/admin/v1/users/?email=%ff", "email"},
		{"/admin/v1/users/?email=%00%ff", "email"},
		{"/admin/v1/events/?type=registered%00", "type"},
		{"/admin/v1/events/?type=%c3%28", "type"},
	} {
		sfWantField(t, c.path, a.call("GET", c.path, ""), c.field, "invalid")
	}
	if r := a.call("GET", "/admin/v1/users/?email=ada", ""); r.Status != 200 || r.JSON(t)["count"] != float64(1) {
		t.Errorf("users ?email=ada = %d %s, want ada", r.Status, r.Body)
	}
	if r := a.call("GET", "/admin/v1/events/?type=registered", ""); r.Status != 200 || r.JSON(t)["count"] != float64(1) {
		t.Errorf("events ?type=registered = %d %s, want ada's registration", r.Status, r.Body)
	}
}
