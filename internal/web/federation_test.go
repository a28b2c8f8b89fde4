package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/accountd/accountd/internal/account"
)

// X-Webshare-Federated-Access (docs/api.md#suspension-staff-and-federated-access) over HTTP.

func withFederation(f account.Federation) func(*envOptions) {
	return func(o *envOptions) { o.Config.FederatedAccess = f }
}

// asUser sends a request with the federated-access header.
func (e *env) asUser(method, path string, body any, token string, target any) response {
	e.t.Helper()
	h := http.Header{"Authorization": {"Token " + token}, "X-Webshare-Federated-Access": {fmt.Sprint(target)}}
	b := ""
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		b = string(raw)
		h.Set("Content-Type", "application/json")
	}
	return e.request(method, path, b, h)
}

// fedSetup makes a staff account and a user with an API key.
func fedSetup(t *testing.T, e *env) (staff, staffKey, user string, userID int64, keyPath string) {
	t.Helper()
	staff = e.register("staff@example.com", testPassword)
	staffKey = sfCreateKey(t, e, staff, "staff script")["key"].(string)
	user = e.register("ada@example.com", testPassword)
	keyPath = sfKeyPath(sfCreateKey(t, e, user, "ada's key"))
	if _, err := e.Svc.SetStaff(context.Background(), e.userID("staff@example.com"), true, testOperator); err != nil {
		t.Fatal(err)
	}
	return staff, staffKey, user, e.userID("ada@example.com"), keyPath
}

func TestFederatedRead(t *testing.T) {
	e := newEnv(t, withFederation(account.FederationRead))
	staff, staffKey, user, id, keyPath := fedSetup(t, e)
	for _, cred := range []string{staff, staffKey} {
		r := e.asUser("GET", "/api/v2/profile/", nil, cred, id)
		if r.Status != 200 || r.JSON(t)["email"] != "ada@example.com" {
			t.Errorf("GET profile as ada = %d %s, want ada's profile", r.Status, r.Body)
		}
	}
	sfWantStatus(t, "GET preferences as ada", e.asUser("GET", "/api/v2/profile/preferences/", nil, staff, id), 200)
	r := e.asUser("GET", "/api/v2/apikey/", nil, staff, id)
	if r.Status != 200 || r.JSON(t)["count"] != float64(1) {
		t.Errorf("GET apikey as ada = %d %s, want ada's one key", r.Status, r.Body)
	}
	sfWantStatus(t, "GET one key as ada", e.asUser("GET", keyPath, nil, staff, id), 200)
	// Read only: no write, not even what write mode allows.
	for _, c := range []struct{ method, path string }{
		{"PATCH", "/api/v2/profile/"},
		{"PATCH", "/api/v2/profile/preferences/"},
		{"PATCH", keyPath},
		{"POST", "/api/v2/changepassword/"},
		{"GET", "/api/v2/sessions/"},
	} {
		sfWantDetail(t, "read mode "+c.method+" "+c.path, e.asUser(c.method, c.path, obj{"first_name": "X"}, staff, id),
			403, "permission_denied", "You do not have permission to perform this action.")
	}
	if p := sfProfile(t, e, user); p["first_name"] != "" {
		t.Errorf("ada's first name = %v after refused writes, want unchanged", p["first_name"])
	}
	// Unknown or malformed ids.
	for _, bad := range []any{id + 1000, "abc", -1, ""} {
		sfWantStatus(t, fmt.Sprintf("as %v", bad), e.asUser("GET", "/api/v2/profile/", nil, staff, bad), 404)
	}
	// Audited with both accounts.
	ev, err := e.Svc.Events(context.Background(), "ada@example.com", account.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, x := range ev {
		if x.Type == "federated_access" && x.UserID == id &&
			strings.Contains(x.Detail, fmt.Sprintf("staff account %d,", e.userID("staff@example.com"))) &&
			strings.Contains(x.Detail, "GET /api/v2/profile/") {
			found = true
		}
	}
	if !found {
		t.Errorf("ada's events = %+v, want federated_access naming the staff account's id and the route", ev)
	}
}

func TestFederatedWrite(t *testing.T) {
	e := newEnv(t, withFederation(account.FederationWrite))
	staff, _, user, id, keyPath := fedSetup(t, e)
	r := e.asUser("PATCH", "/api/v2/profile/", obj{"first_name": "Ada"}, staff, id)
	if r.Status != 200 || r.JSON(t)["first_name"] != "Ada" {
		t.Errorf("PATCH profile as ada = %d %s", r.Status, r.Body)
	}
	if p := sfProfile(t, e, user); p["first_name"] != "Ada" {
		t.Errorf("ada's own profile first_name = %v, want Ada", p["first_name"])
	}
	if p := sfProfile(t, e, staff); p["first_name"] != "" {
		t.Errorf("staff's own profile changed: %v", p["first_name"])
	}
	sfWantStatus(t, "PUT preferences as ada", e.asUser("PUT", "/api/v2/profile/preferences/",
		obj{"onboarding_activity_page_viewed_at": "2026-01-01T00:00"}, staff, id), 200)
	sfWantStatus(t, "PATCH key label as ada", e.asUser("PATCH", keyPath, obj{"label": "renamed"}, staff, id), 200)
	// Never credentials, email, 2FA, reset, deletion, nor new keys.
	for _, c := range []struct {
		method, path string
		body         obj
	}{
		{"POST", "/api/v2/changepassword/", obj{"password": testPassword, "new_password": "Another-Horse-8812"}},
		{"POST", "/api/v2/changeemail/", obj{"password": testPassword, "new_email": "evil@example.com"}},
		{"POST", "/api/v2/deleteaccount/", obj{"password": testPassword, "recaptcha": "x"}},
		{"POST", "/api/v2/twofactorauth/method/", obj{"type": "email_code"}},
		{"POST", "/api/v2/apikey/", obj{"label": "backdoor"}},
		{"DELETE", keyPath, nil},
		{"POST", "/api/v2/sessions/revoke_others/", nil},
		{"POST", "/api/v2/logout/", nil},
		{"POST", "/api/v2/resetpassword/", obj{"email": "ada@example.com", "recaptcha": "x"}},
	} {
		wantStatus(t, "write mode "+c.method+" "+c.path, e.asUser(c.method, c.path, c.body, staff, id), 403, "permission_denied")
	}
	sfWantStatus(t, "ada signs in with her password after all that", e.do("POST", "/api/v2/login/",
		obj{"email": "ada@example.com", "password": testPassword, "recaptcha": "x"}, ""), 200)
	sfWantStatus(t, "staff token still works", e.do("GET", "/api/v2/profile/", nil, staff), 200)
}

func TestFederatedRefusedToOthers(t *testing.T) {
	e := newEnv(t, withFederation(account.FederationWrite))
	_, _, user, id, _ := fedSetup(t, e)
	other := e.register("bob@example.com", testPassword)
	sfWantDetail(t, "a non-staff account with the header", e.asUser("GET", "/api/v2/profile/", nil, other, id),
		403, "permission_denied", "")
	sfWantDetail(t, "the user as herself with the header", e.asUser("GET", "/api/v2/profile/", nil, user, id),
		403, "permission_denied", "")
	sfWantDetail(t, "a tab (a forged audit column) in the header", e.asUser("GET", "/api/v2/profile/", nil, other, "1\tforged"),
		403, "permission_denied", "")
	ev, err := e.Svc.Events(context.Background(), "bob@example.com", account.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	refused := 0
	for _, x := range ev {
		if x.Type == "federated_access_refused" {
			refused++
			if strings.ContainsAny(x.Detail, "\t\n\r") {
				t.Errorf("refused event detail %q holds a raw tab or line break", x.Detail)
			}
		}
	}
	if refused != 2 {
		t.Errorf("bob's federated_access_refused events = %d, want 2", refused)
	}
	r := e.request("GET", "/api/v2/profile/", "", http.Header{"X-Webshare-Federated-Access": {fmt.Sprint(id)}})
	sfWantStatus(t, "the header without credentials", r, 401)
	r = e.request("POST", "/api/v2/login/", `{"email":"ada@example.com","password":"`+testPassword+`","recaptcha":"x"}`,
		http.Header{"X-Webshare-Federated-Access": {fmt.Sprint(id)}, "Content-Type": {"application/json"}})
	sfWantDetail(t, "the header on login", r, 403, "permission_denied", "")

	// Off: staff too are refused.
	off := newEnv(t)
	staff, _, _, offID, _ := fedSetup(t, off)
	sfWantDetail(t, "staff with federation off", off.asUser("GET", "/api/v2/profile/", nil, staff, offID), 403, "permission_denied", "")
	// Revoked staff are refused.
	if _, err := e.Svc.SetStaff(context.Background(), e.userID("staff@example.com"), false, testOperator); err != nil {
		t.Fatal(err)
	}
	staff2 := e.login("staff@example.com", testPassword)
	sfWantDetail(t, "after revoke-staff", e.asUser("GET", "/api/v2/profile/", nil, staff2, id), 403, "permission_denied", "")
}

// A suspended staff member's credentials still reach logout and their own
// suspension, but never another account's: the header takes the exemption
// away, on the suspension route too, with a login token or an API key.
func TestFederatedRefusedToSuspendedStaff(t *testing.T) {
	e := newEnv(t, withFederation(account.FederationRead))
	staff, staffKey, _, id, _ := fedSetup(t, e)
	ctx := context.Background()
	// Ada suspended as well, so that her suspension is there to be read.
	if _, err := e.Svc.Suspend(ctx, id, "abuse_report", testOperator); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.Suspend(ctx, e.userID("staff@example.com"), "abuse_report", testOperator); err != nil {
		t.Fatal(err)
	}
	for _, cred := range []string{staff, staffKey} {
		wantSuspended(t, "suspended staff GET suspension as ada", e.asUser("GET", "/api/v2/verification/suspension/", nil, cred, id))
		wantSuspended(t, "suspended staff GET profile as ada", e.asUser("GET", "/api/v2/profile/", nil, cred, id))
		sfWantStatus(t, "suspended staff reads their own suspension", e.do("GET", "/api/v2/verification/suspension/", nil, cred), 200)
	}
	ev, err := e.Svc.Events(ctx, "ada@example.com", account.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range ev {
		if x.Type == "federated_access" {
			t.Errorf("ada's events hold a federated access by a suspended staff member: %q", x.Detail)
		}
	}
}

// The target's audit trail names the staff member by id only: once the
// staff account is purged, no address of it survives in other accounts'
// events (the admin API's event list searched for it).
func TestFederatedAuditOutlivesNoPurgedStaffAddress(t *testing.T) {
	e := newEnv(t, withFederation(account.FederationRead))
	staff, _, _, id, _ := fedSetup(t, e)
	sfWantStatus(t, "federated read", e.asUser("GET", "/api/v2/profile/", nil, staff, id), 200)
	ctx := context.Background()
	if err := e.Svc.DeleteUser(ctx, e.userID("staff@example.com"), testOperator); err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(31 * 24 * time.Hour)
	if n, err := e.Svc.Purge(ctx, 30*24*time.Hour); err != nil || n != 1 {
		t.Fatalf("purge = %d, %v", n, err)
	}
	r := newAdminAPI(e, adminToken).call("GET", "/admin/v1/events/?type=federated_access", "")
	if r.Status != 200 || !strings.Contains(string(r.Body), "GET /api/v2/profile/") {
		t.Fatalf("federated_access events = %d %s, want ada's event", r.Status, r.Body)
	}
	if strings.Contains(string(r.Body), "staff@example.com") {
		t.Errorf("the purged staff account's address survives in ada's audit events: %s", r.Body)
	}
}
