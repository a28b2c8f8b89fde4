package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// The `accountd user …` commands and the admin API against a running
// serve, on SQLite, or PostgreSQL when ACCOUNTD_TEST_POSTGRES_URL is set.

const testAdminToken = "test-admin-token-0123456789abcdef0123"

// adminCall sends a request to the admin listener with token ("" sends
// none).
func (r *running) adminCall(method, path, token, body string) answer {
	r.t.Helper()
	req, err := http.NewRequest(method, r.admin+path, strings.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	a := answer{status: res.StatusCode, raw: string(raw)}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

// wantAnswer fails unless a has the status (and code, when not "").
func wantAnswer(t *testing.T, what string, a answer, status int, code string) {
	t.Helper()
	if a.status != status || code != "" && a.body["code"] != code {
		t.Errorf("%s = %d %s, want %d %s", what, a.status, a.raw, status, code)
	}
}

func TestUserCommandsAndAdminAPI(t *testing.T) {
	db := testDatabaseURL(t)
	vars := map[string]string{"ACCOUNTD_DATABASE_URL": db, "ACCOUNTD_SECRET_KEY": testSecretKey}
	app := startServe(t, map[string]string{"ACCOUNTD_DATABASE_URL": db, "ACCOUNTD_ADMIN_TOKEN": testAdminToken,
		"ACCOUNTD_FEDERATED_ACCESS": "read"})
	user := func(args ...string) string {
		t.Helper()
		out, errs, err := runCmd(t, vars, append([]string{"user"}, args...)...)
		if err != nil {
			t.Fatalf("accountd user %s: %v\n%s", strings.Join(args, " "), err, errs)
		}
		return out
	}
	tok := app.token("POST", "/api/v2/register/", map[string]any{"email": "ada@example.com", "password": "Correct-Horse-7391", "tos_accepted": true})
	key, _ := app.call("POST", "/api/v2/apikey/", tok, map[string]any{"label": "script"}).body["key"].(string)
	staff := app.token("POST", "/api/v2/register/", map[string]any{"email": "staff@example.com", "password": "Correct-Horse-7391", "tos_accepted": true})
	id := fmt.Sprint(app.call("GET", "/api/v2/profile/", tok, nil).body["id"])

	if _, _, err := runCmd(t, vars, "user", "suspend", "ada@example.com"); err == nil || !strings.Contains(err.Error(), "-reason") {
		t.Errorf("user suspend without -reason = %v, want a usage error naming -reason", err)
	}
	if _, _, err := runCmd(t, vars, "user", "suspend", "--reason", "spam", "ada@example.com"); err == nil {
		t.Error("user suspend --reason spam succeeded")
	}
	if _, _, err := runCmd(t, vars, "user", "unsuspend", "nobody@example.com"); err == nil || !strings.Contains(err.Error(), "No active account") {
		t.Errorf("user unsuspend of an unknown address = %v, want no active account", err)
	}
	user("suspend", "ada@example.com", "--reason", "abuse_report")
	for _, cred := range []string{tok, key} {
		wantAnswer(t, "profile while suspended", app.call("GET", "/api/v2/profile/", cred, nil), 403, "account_suspended")
	}
	if a := app.call("GET", "/api/v2/verification/suspension/", key, nil); a.status != 200 || a.body["reason"] != "abuse_report" {
		t.Errorf("suspension endpoint = %d %s", a.status, a.raw)
	}

	// user show prints what the detail endpoint answers.
	var shown map[string]any
	if err := json.Unmarshal([]byte(user("show", "ADA@example.com")), &shown); err != nil {
		t.Fatal(err)
	}
	detail := app.adminCall("GET", "/admin/v1/users/"+id+"/", testAdminToken, "")
	if detail.status != 200 || shown["state"] != "suspended" || fmt.Sprint(shown) != fmt.Sprint(detail.body) {
		t.Errorf("user show = %v\nadmin detail = %d %s\nwant the same, suspended", shown, detail.status, detail.raw)
	}
	for _, secret := range []string{tok, key} {
		if strings.Contains(detail.raw, secret) || strings.Contains(fmt.Sprint(shown), secret) {
			t.Error("user show or the admin detail holds a token")
		}
	}
	wantAnswer(t, "admin API without a token", app.adminCall("GET", "/admin/v1/users/", "", ""), 401, "not_authenticated")
	wantAnswer(t, "admin API with a wrong token", app.adminCall("GET", "/admin/v1/users/", testAdminToken+"x", ""), 401, "authentication_failed")
	req, _ := http.NewRequest("GET", app.api+"/admin/v1/users/", nil)
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 404 {
		t.Errorf("admin API on the public listener = %v %v, want 404", res.StatusCode, err)
	} else {
		res.Body.Close()
	}

	// The admin API lifts what the command set.
	if a := app.adminCall("POST", "/admin/v1/users/"+id+"/unsuspend/", testAdminToken, ""); a.status != 200 || a.body["state"] != "active" {
		t.Errorf("admin unsuspend = %d %s", a.status, a.raw)
	}
	for _, cred := range []string{tok, key} {
		wantAnswer(t, "profile after unsuspend", app.call("GET", "/api/v2/profile/", cred, nil), 200, "")
	}

	// Staff and federated reads.
	user("grant-staff", "staff@example.com")
	req, _ = http.NewRequest("GET", app.api+"/api/v2/profile/", nil)
	req.Header.Set("Authorization", "Token "+staff)
	req.Header.Set("X-Webshare-Federated-Access", id)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	_ = json.NewDecoder(res.Body).Decode(&p)
	res.Body.Close()
	if res.StatusCode != 200 || p["email"] != "ada@example.com" {
		t.Errorf("federated profile = %d %v, want ada's", res.StatusCode, p)
	}
	user("revoke-staff", "staff@example.com")

	// A stolen laptop: everything signed out.
	user("revoke-tokens", "ada@example.com")
	for _, cred := range []string{tok, key} {
		wantAnswer(t, "profile after revoke-tokens", app.call("GET", "/api/v2/profile/", cred, nil), 401, "authentication_failed")
	}

	out, _, err := runCmd(t, vars, "audit", "-email", "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"account_suspended", "account_unsuspended", "federated_access", "tokens_revoked_by_operator",
		"accountd user suspend", "admin API"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit of ada lacks %q:\n%s", want, out)
		}
	}
	out, _, err = runCmd(t, vars, "audit", "-email", "ada@example.com", "-type", "account_suspended")
	if got := auditTypes(out); err != nil || len(got) != 1 || got[0] != "account_suspended" {
		t.Errorf("audit -type account_suspended = %q (%v), want the one suspension", got, err)
	}
	user("delete", "ada@example.com")
	if a := app.adminCall("GET", "/admin/v1/users/"+id+"/", testAdminToken, ""); a.body["state"] != "deleted" {
		t.Errorf("state after user delete = %v", a.body["state"])
	}
	metrics, err := http.Get(app.admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	_, _ = io.Copy(&buf, metrics.Body)
	metrics.Body.Close()
	if !strings.Contains(buf.String(), `accountd_admin_requests_total{action="unsuspend",status="200"} 1`) {
		t.Errorf("metrics lack the admin unsuspend:\n%s", grepLines(buf.String(), "accountd_admin"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
