package web_test

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestPaginationLinksUseThePublicURL: behind a TLS proxy the request arrives
// over plain HTTP with the proxy's view of the Host; the next and previous
// links still point at the public https URL (with its path prefix).
func TestPaginationLinksUseThePublicURL(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.Web.PublicURL = "https://accounts.example.com/auth/" })
	ada := e.register("ada@example.com", testPassword)
	for _, label := range []string{"a", "b", "c"} {
		sfCreateKey(t, e, ada, label)
	}
	req, err := http.NewRequest("GET", e.URL+"/api/v2/apikey/?page=2&page_size=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "accountd.internal:8080"
	req.Header.Set("Authorization", "Token "+ada)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var page struct{ Next, Previous string }
	if err := json.NewDecoder(res.Body).Decode(&page); err != nil || res.StatusCode != 200 {
		t.Fatalf("GET page 2 = %d, %v; want 200 with a JSON body", res.StatusCode, err)
	}
	const base = "https://accounts.example.com/auth/api/v2/apikey/"
	if page.Next != base+"?page=3&page_size=1" || page.Previous != base+"?page_size=1" {
		t.Errorf("next, previous = %q, %q; want %q, %q", page.Next, page.Previous,
			base+"?page=3&page_size=1", base+"?page_size=1")
	}
}

// sfCreateKey creates an API key and checks the 201 body.
func sfCreateKey(t *testing.T, e *env, token, label string) map[string]any {
	t.Helper()
	r := e.do("POST", "/api/v2/apikey/", obj{"label": label}, token)
	if r.Status != 201 {
		t.Fatalf("create API key = %d %s, want 201", r.Status, r.Body)
	}
	k := r.JSON(t)
	sfCheckKey(t, "create", k, label)
	if key, _ := k["key"].(string); !sfTokenPattern.MatchString(key) {
		t.Errorf("created key = %q, want 40 of [a-z0-9]", key)
	}
	return k
}

// sfCheckKey checks the shape of an API key object.
func sfCheckKey(t *testing.T, what string, k map[string]any, label string) {
	t.Helper()
	if len(k) != 5 || k["label"] != label {
		t.Errorf("%s: key object = %v, want id, key, label %q, created_at, updated_at", what, k, label)
	}
	if id, ok := k["id"].(float64); !ok || id < 1 || id != float64(int64(id)) {
		t.Errorf("%s: id = %v, want a positive integer", what, k["id"])
	}
	for _, f := range []string{"created_at", "updated_at"} {
		if s, _ := k[f].(string); !sfTimePattern.MatchString(s) {
			t.Errorf("%s: %s = %v, want an ISO 8601 time with microseconds", what, f, k[f])
		}
	}
}

func sfKeyPath(k map[string]any) string {
	return fmt.Sprintf("/api/v2/apikey/%d/", int64(k["id"].(float64)))
}

func sfMasked(key string) string { return key[:4] + strings.Repeat("*", 36) }

func TestSurfaceAPIKeyLifecycle(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", testPassword)
	k := sfCreateKey(t, e, ada, "deploy")
	key := k["key"].(string)
	if got := sfProfile(t, e, key)["email"]; got != "ada@example.com" {
		t.Errorf("profile with the API key = %v, want ada@example.com", got)
	}

	r := e.do("GET", "/api/v2/apikey/", nil, ada)
	if r.Status != 200 {
		t.Fatalf("list = %d %s, want 200", r.Status, r.Body)
	}
	list := r.JSON(t)
	results, _ := list["results"].([]any)
	if len(list) != 4 || list["count"] != 1.0 || list["next"] != nil || list["previous"] != nil || len(results) != 1 {
		t.Fatalf("list = %s, want count 1, next and previous null, one result", r.Body)
	}
	got := results[0].(map[string]any)
	sfCheckKey(t, "list", got, "deploy")
	if got["key"] != sfMasked(key) || got["id"] != k["id"] {
		t.Errorf("listed key = %v (id %v), want %s (id %v)", got["key"], got["id"], sfMasked(key), k["id"])
	}

	r = e.do("GET", sfKeyPath(k), nil, ada)
	sfWantStatus(t, "GET the key", r, 200)
	if one := r.JSON(t); one["key"] != sfMasked(key) || one["created_at"] != k["created_at"] {
		t.Errorf("GET the key = %s, want it masked as %s", r.Body, sfMasked(key))
	} else {
		sfCheckKey(t, "GET", one, "deploy")
	}

	e.Clock.Advance(time.Minute)
	r = e.do("PATCH", sfKeyPath(k), obj{"label": "renamed"}, ada)
	sfWantStatus(t, "PATCH the label", r, 200)
	if p := r.JSON(t); p["label"] != "renamed" || p["key"] != sfMasked(key) || p["updated_at"] == k["updated_at"] || p["created_at"] != k["created_at"] {
		t.Errorf("PATCH = %s, want label renamed, key masked, updated_at moved, created_at kept", r.Body)
	}
	if l := e.do("GET", sfKeyPath(k), nil, ada).JSON(t)["label"]; l != "renamed" {
		t.Errorf("label after PATCH = %v, want renamed", l)
	}

	r = e.do("DELETE", sfKeyPath(k), nil, ada)
	if r.Status != 204 || len(r.Body) != 0 {
		t.Fatalf("DELETE = %d %q, want 204 with no body", r.Status, r.Body)
	}
	sfWantDetail(t, "the deleted key", e.do("GET", "/api/v2/profile/", nil, key), 401, "authentication_failed", "Invalid token.")
	sfWantDetail(t, "GET the deleted key", e.do("GET", sfKeyPath(k), nil, ada), 404, "not_found", "")
	sfWantDetail(t, "DELETE the deleted key", e.do("DELETE", sfKeyPath(k), nil, ada), 404, "not_found", "")
	if c := e.do("GET", "/api/v2/apikey/", nil, ada).JSON(t)["count"]; c != 0.0 {
		t.Errorf("count after DELETE = %v, want 0", c)
	}
	sfWantDetail(t, "GET a login token's id", e.do("GET", "/api/v2/apikey/1/", nil, ada), 404, "not_found", "")
	sfWantDetail(t, "GET a non-numeric id", e.do("GET", "/api/v2/apikey/abc/", nil, ada), 404, "not_found", "")
}

func TestSurfaceAPIKeyOtherAccount(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", testPassword)
	bob := e.register("bob@example.com", testPassword)
	k := sfCreateKey(t, e, ada, "ada's")
	sfWantDetail(t, "bob GETs ada's key", e.do("GET", sfKeyPath(k), nil, bob), 404, "not_found", "")
	sfWantDetail(t, "bob PATCHes ada's key", e.do("PATCH", sfKeyPath(k), obj{"label": "bob's"}, bob), 404, "not_found", "")
	sfWantDetail(t, "bob DELETEs ada's key", e.do("DELETE", sfKeyPath(k), nil, bob), 404, "not_found", "")
	if c := e.do("GET", "/api/v2/apikey/", nil, bob).JSON(t)["count"]; c != 0.0 {
		t.Errorf("bob's list count = %v, want 0", c)
	}
	sfProfile(t, e, k["key"].(string))
	if l := e.do("GET", sfKeyPath(k), nil, ada).JSON(t)["label"]; l != "ada's" {
		t.Errorf("label after bob's PATCH = %v, want unchanged", l)
	}
}

func TestSurfaceAPIKeyNotAllowed(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", testPassword)
	k := sfCreateKey(t, e, ada, "ci")
	key := k["key"].(string)
	const detail = "Cannot query this API endpoint with an API key."
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/v2/apikey/", nil},
		{"POST", "/api/v2/apikey/", obj{"label": "x"}},
		{"GET", sfKeyPath(k), nil},
		{"PATCH", sfKeyPath(k), obj{"label": "x"}},
		{"DELETE", sfKeyPath(k), nil},
		{"POST", "/api/v2/logout/", nil},
		{"GET", "/api/v2/logout/", nil},
		{"POST", "/api/v2/changepassword/", obj{"password": testPassword, "new_password": brNewPassword}},
		{"POST", "/api/v2/changeemail/", obj{"password": testPassword, "new_email": "new@example.com"}},
		{"POST", "/api/v2/changeemail/complete/", obj{"confirmation_code": strings.Repeat("0", 64)}},
		{"POST", "/api/v2/changeemail/check/", obj{"confirmation_code": strings.Repeat("0", 64)}},
		{"POST", "/api/v2/deleteaccount/", obj{"password": testPassword, "recaptcha": "x"}},
	} {
		r := e.do(c.method, c.path, c.body, key)
		sfWantDetail(t, "API key on "+c.method+" "+c.path, r, 403, "api_key_not_allowed", detail)
	}
	// What the key may do.
	sfProfile(t, e, key)
	sfWantStatus(t, "PATCH profile with an API key", e.do("PATCH", "/api/v2/profile/", obj{"first_name": "Ada"}, key), 200)
	sfActivation(t, e, key)
	// Nothing of the refused calls happened.
	if s := sfLoginStatus(e, "ada@example.com", testPassword); s != 200 {
		t.Errorf("login with the unchanged password = %d, want 200", s)
	}
	if p := sfProfile(t, e, ada); p["email"] != "ada@example.com" || p["first_name"] != "Ada" {
		t.Errorf("profile = %v, want ada@example.com, first name Ada", p)
	}
	if l := e.do("GET", sfKeyPath(k), nil, ada).JSON(t)["label"]; l != "ci" {
		t.Errorf("label after the key's own PATCH = %v, want ci", l)
	}
}

func TestSurfaceAPIKeyLabelAndLimit(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", testPassword)
	sfWantField(t, "create with a 201-character label", e.do("POST", "/api/v2/apikey/", obj{"label": strings.Repeat("é", 201)}, ada), "label", "max_length")
	k := sfCreateKey(t, e, ada, strings.Repeat("é", 200))
	sfWantField(t, "PATCH with a 201-character label", e.do("PATCH", sfKeyPath(k), obj{"label": strings.Repeat("x", 201)}, ada), "label", "max_length")
	for i := 2; i <= 100; i++ {
		if r := e.do("POST", "/api/v2/apikey/", obj{"label": fmt.Sprint(i)}, ada); r.Status != 201 {
			t.Fatalf("create key %d = %d %s, want 201", i, r.Status, r.Body)
		}
	}
	r := e.do("POST", "/api/v2/apikey/", obj{"label": "101"}, ada)
	if r.Status != 400 {
		t.Fatalf("create the 101st key = %d %s, want 400", r.Status, r.Body)
	}
	if codes := r.Codes(t, "non_field_errors"); len(codes) != 1 {
		t.Errorf("101st key: body %s, want one non_field_errors error", r.Body)
	}
	if c := e.do("GET", "/api/v2/apikey/", nil, ada).JSON(t)["count"]; c != 100.0 {
		t.Errorf("count = %v, want 100", c)
	}
	sfWantStatus(t, "DELETE one key", e.do("DELETE", sfKeyPath(k), nil, ada), 204)
	sfWantStatus(t, "create after deleting one", e.do("POST", "/api/v2/apikey/", obj{"label": "again"}, ada), 201)
}

func TestSurfaceAPIKeyPagination(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", testPassword)
	for i := 1; i <= 30; i++ {
		sfCreateKey(t, e, ada, fmt.Sprint(i))
	}
	base := e.URL + "/api/v2/apikey/"
	want := []struct{ next, prev any }{
		{base + "?page=2&page_size=10", nil},
		{base + "?page=3&page_size=10", base + "?page_size=10"},
		{nil, base + "?page=2&page_size=10"},
	}
	seen := map[any]bool{}
	for i, w := range want {
		page := i + 1
		r := e.do("GET", fmt.Sprintf("/api/v2/apikey/?page=%d&page_size=10", page), nil, ada)
		if r.Status != 200 {
			t.Fatalf("page %d = %d %s, want 200", page, r.Status, r.Body)
		}
		m := r.JSON(t)
		if m["count"] != 30.0 || m["next"] != w.next || m["previous"] != w.prev {
			t.Errorf("page %d: count %v next %v previous %v; want 30, %v, %v", page, m["count"], m["next"], m["previous"], w.next, w.prev)
		}
		results, _ := m["results"].([]any)
		if len(results) != 10 {
			t.Fatalf("page %d has %d results, want 10", page, len(results))
		}
		for j, x := range results {
			k := x.(map[string]any)
			if wantLabel := fmt.Sprint(i*10 + j + 1); k["label"] != wantLabel {
				t.Errorf("page %d result %d label = %v, want %s (oldest first)", page, j, k["label"], wantLabel)
			}
			if s, _ := k["key"].(string); !strings.HasSuffix(s, strings.Repeat("*", 36)) || len(s) != 40 {
				t.Errorf("page %d result %d key = %q, want it masked", page, j, s)
			}
			seen[k["id"]] = true
		}
	}
	if len(seen) != 30 {
		t.Errorf("three pages hold %d distinct keys, want 30", len(seen))
	}
	for _, q := range []string{"?page=4&page_size=10", "?page=0", "?page=x"} {
		sfWantDetail(t, "GET apikey/"+q, e.do("GET", "/api/v2/apikey/"+q, nil, ada), 404, "not_found", "Invalid page.")
	}
	m := e.do("GET", "/api/v2/apikey/", nil, ada).JSON(t)
	if n := len(m["results"].([]any)); n != 25 || m["next"] != base+"?page=2" {
		t.Errorf("default page: %d results, next %v; want 25, %s", n, m["next"], base+"?page=2")
	}
	if n := len(e.do("GET", "/api/v2/apikey/?page_size=1000", nil, ada).JSON(t)["results"].([]any)); n != 30 {
		t.Errorf("page_size=1000 gave %d results, want all 30 (capped at 100)", n)
	}
}

// TestHugePageIsInvalid: a page number whose offset does not fit an int
// is 404 "Invalid page." on every paginated list, never page 1 under a
// bogus number or a negative next link.
func TestHugePageIsInvalid(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", testPassword)
	sfCreateKey(t, e, ada, "script")
	huge := []string{
		"?page=461168601842738792",                // ×25 overflows
		"?page=9223372036854775807&page_size=100", // the largest int
		fmt.Sprintf("?page=%d", math.MaxInt/25+1), // the default size: just past the limit
	}
	for _, q := range huge {
		for _, p := range []string{"/api/v2/apikey/", "/api/v2/sessions/"} {
			sfWantDetail(t, "GET "+p+q, e.do("GET", p+q, nil, ada), 404, "not_found", "Invalid page.")
		}
		a := newAdminAPI(e, adminToken)
		for _, p := range []string{"/admin/v1/users/", "/admin/v1/events/"} {
			sfWantDetail(t, "GET "+p+q, a.call("GET", p+q, ""), 404, "not_found", "Invalid page.")
		}
	}
}

// TestSurfaceAPIKeyPageLast: DRF's PageNumberPagination reads page=last as
// the last page (last_page_strings).
func TestSurfaceAPIKeyPageLast(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", testPassword)
	for i := 1; i <= 30; i++ {
		sfCreateKey(t, e, ada, fmt.Sprint(i))
	}
	m := e.do("GET", "/api/v2/apikey/?page=last&page_size=10", nil, ada).JSON(t)
	if rs, _ := m["results"].([]any); len(rs) != 10 || rs[0].(map[string]any)["label"] != "21" || m["next"] != nil {
		t.Errorf("page=last&page_size=10: first label %v, next %v; want the last page (labels 21..30, next null)",
			rs[0].(map[string]any)["label"], m["next"])
	}
}

func TestSurfaceAPIKeyRevokedByPasswordChange(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", testPassword)
	key := sfCreateKey(t, e, ada, "ci")["key"].(string)
	r := e.do("POST", "/api/v2/changepassword/", obj{"password": testPassword, "new_password": brNewPassword}, ada)
	sfWantStatus(t, "changepassword", r, 204)
	sfWantDetail(t, "API key after a password change", e.do("GET", "/api/v2/profile/", nil, key), 401, "authentication_failed", "Invalid token.")
	if c := e.do("GET", "/api/v2/apikey/", nil, ada).JSON(t)["count"]; c != 0.0 {
		t.Errorf("keys listed after a password change = %v, want 0", c)
	}
}

func TestSurfaceAPIKeyRevokedByReset(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", testPassword)
	key := sfCreateKey(t, e, ada, "ci")["key"].(string)
	token := e.resetToken("ada@example.com")
	r := e.do("POST", "/api/v2/resetpassword/complete/", obj{"password": brNewPassword, "password_reset_token": token, "recaptcha": "x"}, "")
	sfWantStatus(t, "reset complete", r, 200)
	sfWantDetail(t, "API key after a reset", e.do("GET", "/api/v2/profile/", nil, key), 401, "authentication_failed", "Invalid token.")
	sfWantDetail(t, "login token after a reset", e.do("GET", "/api/v2/profile/", nil, ada), 401, "authentication_failed", "Invalid token.")
}
