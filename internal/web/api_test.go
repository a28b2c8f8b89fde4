package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Helpers of this file are prefixed "api" so they cannot collide with the
// helpers of other test files of the package.

// apiMsg is one entry of a field error list (docs/api.md#errors).
type apiMsg struct {
	Message string `json:"message"`
	Code    string `json:"code"`
}

// apiDetailBody is the non-field error shape (docs/api.md#errors).
type apiDetailBody struct {
	Detail string `json:"detail"`
	Code   string `json:"code"`
}

var apiTokenPattern = regexp.MustCompile(`^[a-z0-9]{40}$`)

// apiFields decodes a field-error body strictly.
func apiFields(t *testing.T, r response) map[string][]apiMsg {
	t.Helper()
	var m map[string][]apiMsg
	dec := json.NewDecoder(strings.NewReader(string(r.Body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("body %s is not a field-error body: %v", r.Body, err)
	}
	return m
}

// apiDetail decodes a detail body strictly.
func apiDetail(t *testing.T, r response) apiDetailBody {
	t.Helper()
	var d apiDetailBody
	dec := json.NewDecoder(strings.NewReader(string(r.Body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("body %s is not a detail body: %v", r.Body, err)
	}
	return d
}

// apiExpectDetail checks a detail-shaped error response.
func apiExpectDetail(t *testing.T, what string, r response, status int, code string) {
	t.Helper()
	apiNoLeak(t, what, r)
	if r.Status != status {
		t.Errorf("%s: status = %d %s, want %d", what, r.Status, r.Body, status)
		return
	}
	if got := apiDetail(t, r); got.Code != code || got.Detail == "" {
		t.Errorf("%s: body = %+v, want code %q and a detail", what, got, code)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: Content-Type = %q, want application/json", what, ct)
	}
}

// apiCodes returns the codes of each field of a 400 field-error body.
func apiCodes(t *testing.T, what string, r response) map[string][]string {
	t.Helper()
	apiNoLeak(t, what, r)
	if r.Status != 400 {
		t.Fatalf("%s: status = %d %s, want 400", what, r.Status, r.Body)
	}
	out := map[string][]string{}
	for f, list := range apiFields(t, r) {
		for _, m := range list {
			if m.Message == "" {
				t.Errorf("%s: field %s code %s has an empty message", what, f, m.Code)
			}
			out[f] = append(out[f], m.Code)
		}
	}
	return out
}

// apiLeaks are strings that only an internal error could put in a body.
var apiLeaks = []string{"sql", "panic", "goroutine", "runtime error", "invalid character",
	"unexpected eof", "json:", "http:", "strconv", "<nil>", "%!", "syntax error", "no such", "constraint"}

// apiNoLeak fails when a response body carries an internal error string.
func apiNoLeak(t *testing.T, what string, r response) {
	t.Helper()
	body := strings.ToLower(string(r.Body))
	for _, s := range apiLeaks {
		if strings.Contains(body, s) {
			t.Errorf("%s: body %s contains %q, want no internal error text", what, r.Body, s)
		}
	}
	if r.Status >= 500 {
		t.Errorf("%s: status = %d %s, want no 5xx", what, r.Status, r.Body)
	}
}

// apiPost sends a JSON POST.
func apiPost(e *env, path string, v any, token string) response {
	e.t.Helper()
	return e.do("POST", path, v, token)
}

// apiRegisterBody is a register body that passes every check.
func apiRegisterBody(email, pw string) obj {
	return obj{"email": email, "password": pw, "tos_accepted": true, "recaptcha": "x"}
}

// apiLoginStatus tries to log in and returns the status.
func apiLoginStatus(e *env, email, pw string) int {
	e.t.Helper()
	return apiPost(e, "/api/v2/login/", obj{"email": email, "password": pw, "recaptcha": "x"}, "").Status
}

// apiAssertNoAccount checks, without creating anything, that email has no
// account with password pw: logging in fails.
func apiAssertNoAccount(t *testing.T, e *env, what, email, pw string) {
	t.Helper()
	if got := apiLoginStatus(e, email, pw); got != 400 {
		t.Errorf("%s: login %s afterwards = %d, want 400 (no account created)", what, email, got)
	}
}

// apiJSONString marshals v.
func apiJSONString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var apiJSONHeader = http.Header{"Content-Type": {"application/json"}}

// apiProfile GETs the profile and decodes it.
func apiProfile(t *testing.T, e *env, token string) map[string]any {
	t.Helper()
	r := e.do("GET", "/api/v2/profile/", nil, token)
	if r.Status != 200 {
		t.Fatalf("GET /api/v2/profile/ = %d %s, want 200", r.Status, r.Body)
	}
	return r.JSON(t)
}

func TestRegisterSuccess(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := apiPost(e, "/api/v2/register/", apiRegisterBody("ada@example.com", testPassword), "")
	if r.Status != 200 {
		t.Fatalf("register = %d %s, want 200", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("register Content-Type = %q, want application/json", ct)
	}
	var got struct {
		Token    string `json:"token"`
		Existing *bool  `json:"logged_in_existing_user"`
	}
	dec := json.NewDecoder(strings.NewReader(string(r.Body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("register body %s: %v, want {token, logged_in_existing_user}", r.Body, err)
	}
	if !apiTokenPattern.MatchString(got.Token) {
		t.Errorf("register token = %q, want 40 of [a-z0-9]", got.Token)
	}
	if got.Existing == nil || *got.Existing {
		t.Errorf("register logged_in_existing_user = %v, want false", got.Existing)
	}
	if p := apiProfile(t, e, got.Token); p["email"] != "ada@example.com" {
		t.Errorf("profile email with the register token = %v, want ada@example.com", p["email"])
	}
}

func TestLoginSuccess(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	first := e.register("ada@example.com", testPassword)
	r := apiPost(e, "/api/v2/login/", obj{"email": "ada@example.com", "password": testPassword, "recaptcha": "x"}, "")
	if r.Status != 200 {
		t.Fatalf("login = %d %s, want 200", r.Status, r.Body)
	}
	m := r.JSON(t)
	if len(m) != 1 {
		t.Errorf("login body = %s, want only {\"token\"}", r.Body)
	}
	tok, _ := m["token"].(string)
	if !apiTokenPattern.MatchString(tok) {
		t.Errorf("login token = %q, want 40 of [a-z0-9]", tok)
	}
	if tok == first {
		t.Errorf("login token = the register token, want a new one")
	}
	apiProfile(t, e, tok)
}

func TestLoginEmailCaseAndSpace(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.register("Ada@Example.com", testPassword)
	for _, email := range []string{"Ada@Example.com", "ada@example.com", "ADA@EXAMPLE.COM", " ada@example.com "} {
		if got := apiLoginStatus(e, email, testPassword); got != 200 {
			t.Errorf("login(%q) = %d, want 200 (emails compare case-insensitively, trimmed of space)", email, got)
		}
	}
}

func TestRegisterExistingEmail(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.register("Ada@Example.com", testPassword)

	for _, email := range []string{"Ada@Example.com", "ada@example.com", "ADA@EXAMPLE.COM", "ａｄａ@example.com"} {
		r := apiPost(e, "/api/v2/register/", apiRegisterBody(email, testPassword), "")
		if r.Status != 200 {
			t.Errorf("register(%q, right password) = %d %s, want 200", email, r.Status, r.Body)
			continue
		}
		m := r.JSON(t)
		if m["logged_in_existing_user"] != true {
			t.Errorf("register(%q, right password) logged_in_existing_user = %v, want true", email, m["logged_in_existing_user"])
		}
		tok, _ := m["token"].(string)
		if p := apiProfile(t, e, tok); p["email"] != "Ada@Example.com" {
			t.Errorf("register(%q) token belongs to %v, want Ada@Example.com", email, p["email"])
		}
	}

	r := apiPost(e, "/api/v2/register/", apiRegisterBody("ada@example.com", "Another-Pass-8812"), "")
	want := map[string][]apiMsg{"email": {{"A user with that email already exists.", "unique"}}}
	if r.Status != 400 {
		t.Fatalf("register(existing, wrong password) = %d %s, want 400", r.Status, r.Body)
	}
	if diff := cmp.Diff(want, apiFields(t, r)); diff != "" {
		t.Errorf("register(existing, wrong password) body mismatch (-want +got):\n%s", diff)
	}
	if got := apiLoginStatus(e, "ada@example.com", "Another-Pass-8812"); got != 400 {
		t.Errorf("login with the refused password = %d, want 400 (password unchanged)", got)
	}
	if got := apiLoginStatus(e, "ada@example.com", testPassword); got != 200 {
		t.Errorf("login with the original password = %d, want 200", got)
	}
}

func TestRegisterTOS(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, c := range []struct {
		name string
		tos  any
		code string
	}{
		{"false", false, "invalid"},
		{"missing", nil, "required"},
		{"string false", "false", "invalid"},
	} {
		b := obj{"email": "tos-" + strings.ReplaceAll(c.name, " ", "") + "@example.com", "password": testPassword, "recaptcha": "x"}
		if c.tos != nil {
			b["tos_accepted"] = c.tos
		}
		r := apiPost(e, "/api/v2/register/", b, "")
		got := apiCodes(t, "register tos "+c.name, r)
		if diff := cmp.Diff(map[string][]string{"tos_accepted": {c.code}}, got); diff != "" {
			t.Errorf("register(tos_accepted %s) codes mismatch (-want +got):\n%s", c.name, diff)
		}
		apiAssertNoAccount(t, e, "register tos "+c.name, b["email"].(string), testPassword)
	}
	r := apiPost(e, "/api/v2/register/", obj{"email": "tos-false@example.com", "password": testPassword, "tos_accepted": false}, "")
	if r.Status == 400 {
		want := map[string][]apiMsg{"tos_accepted": {{"You must accept the terms of service.", "invalid"}}}
		if diff := cmp.Diff(want, apiFields(t, r)); diff != "" {
			t.Errorf("register(tos_accepted false) body mismatch (-want +got):\n%s", diff)
		}
	}
}

func TestRegisterPasswordRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, c := range []struct {
		name, email, pw string
		want            []string
	}{
		{"too short", "short@example.com", "xK9#mQ2", []string{"password_too_short"}},
		{"too long", "long@example.com", strings.Repeat("xK9#", 64) + "m", []string{"password_too_long"}},
		{"too similar", "margaretthatcher@example.com", "margaretthatcher", []string{"password_too_similar"}},
		{"entirely numeric", "numeric@example.com", "73914628405", []string{"password_entirely_numeric"}},
		{"too common", "common@example.com", "password1234", []string{"password_too_common"}},
		{"numeric and common", "both@example.com", "12345678", []string{"password_entirely_numeric", "password_too_common"}},
		{"short numeric common", "three@example.com", "1234567", []string{"password_too_short", "password_entirely_numeric", "password_too_common"}},
	} {
		r := apiPost(e, "/api/v2/register/", apiRegisterBody(c.email, c.pw), "")
		got := apiCodes(t, "register "+c.name, r)
		if diff := cmp.Diff(map[string][]string{"password": c.want}, got); diff != "" {
			t.Errorf("register(password %s) codes mismatch (-want +got):\n%s", c.name, diff)
		}
		apiAssertNoAccount(t, e, "register "+c.name, c.email, c.pw)
	}
	// The boundaries are allowed.
	for i, pw := range []string{"xK9#mQ2v", strings.Repeat("xK9#", 64)} {
		r := apiPost(e, "/api/v2/register/", apiRegisterBody([]string{"min@example.com", "max@example.com"}[i], pw), "")
		if r.Status != 200 {
			t.Errorf("register(password of %d characters) = %d %s, want 200", len(pw), r.Status, r.Body)
		}
	}
	r := apiPost(e, "/api/v2/register/", apiRegisterBody("msg@example.com", "xK9#mQ2"), "")
	want := map[string][]apiMsg{"password": {{"This password is too short. It must contain at least 8 characters.", "password_too_short"}}}
	if diff := cmp.Diff(want, apiFields(t, r)); diff != "" {
		t.Errorf("register(short password) body mismatch (-want +got):\n%s", diff)
	}
}

func TestChangePasswordRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.register("margaretthatcher@example.com", testPassword)
	for _, c := range []struct {
		name, pw string
		want     []string
	}{
		{"too short", "xK9#mQ2", []string{"password_too_short"}},
		{"too long", strings.Repeat("xK9#", 64) + "m", []string{"password_too_long"}},
		{"too similar", "margaretthatcher", []string{"password_too_similar"}},
		{"entirely numeric", "73914628405", []string{"password_entirely_numeric"}},
		{"too common", "password1234", []string{"password_too_common"}},
		{"numeric and common", "12345678", []string{"password_entirely_numeric", "password_too_common"}},
	} {
		r := apiPost(e, "/api/v2/changepassword/", obj{"password": testPassword, "new_password": c.pw}, tok)
		got := apiCodes(t, "changepassword "+c.name, r)
		if diff := cmp.Diff(map[string][]string{"new_password": c.want}, got); diff != "" {
			t.Errorf("changepassword(new_password %s) codes mismatch (-want +got):\n%s", c.name, diff)
		}
		if got := apiLoginStatus(e, "margaretthatcher@example.com", c.pw); got != 400 {
			t.Errorf("after a refused change to the %s password, login with it = %d, want 400", c.name, got)
		}
	}
	if got := apiLoginStatus(e, "margaretthatcher@example.com", testPassword); got != 200 {
		t.Errorf("after refused changes, login with the old password = %d, want 200", got)
	}
	apiProfile(t, e, tok)
}

func TestProfileGet(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := apiPost(e, "/api/v2/register/", obj{"email": "ada@example.com", "password": testPassword,
		"tos_accepted": true, "marketing_email_accepted": true, "recaptcha": "x"}, "")
	if r.Status != 200 {
		t.Fatalf("register = %d %s, want 200", r.Status, r.Body)
	}
	tok := r.JSON(t)["token"].(string)
	got := apiProfile(t, e, tok)
	id, ok := got["id"].(float64)
	if !ok || id <= 0 || id != float64(int64(id)) {
		t.Errorf("profile id = %v, want a positive integer", got["id"])
	}
	const t0 = "2026-11-27T13:58:10.246406+00:00"
	want := map[string]any{
		"id": got["id"], "email": "ada@example.com", "first_name": "", "last_name": "",
		"timezone": "UTC", "created_at": t0, "updated_at": t0, "last_login": t0,
		"email_is_verified": false, "marketing_email_accepted": true, "preferences": map[string]any{},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GET /api/v2/profile/ mismatch (-want +got):\n%s", diff)
	}

	e.Clock.Advance(time.Hour)
	tok2 := e.login("ada@example.com", testPassword)
	if got := apiProfile(t, e, tok2)["last_login"]; got != "2026-11-27T14:58:10.246406+00:00" {
		t.Errorf("profile last_login after a login an hour later = %v, want 2026-11-27T14:58:10.246406+00:00", got)
	}
}

func TestProfilePatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.register("ada@example.com", testPassword)
	e.Clock.Advance(time.Hour)

	r := e.do("PATCH", "/api/v2/profile/", obj{"first_name": "Ada", "last_name": "Lovelace",
		"timezone": "America/Los_Angeles", "email": "evil@example.com", "id": 999,
		"email_is_verified": true, "nickname": "x"}, tok)
	if r.Status != 200 {
		t.Fatalf("PATCH profile = %d %s, want 200", r.Status, r.Body)
	}
	patched := r.JSON(t)
	want := map[string]any{
		"id": patched["id"], "email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace",
		"timezone":   "America/Los_Angeles",
		"created_at": "2026-11-27T05:58:10.246406-08:00", "updated_at": "2026-11-27T06:58:10.246406-08:00",
		"last_login": "2026-11-27T05:58:10.246406-08:00", "email_is_verified": false,
		"marketing_email_accepted": false, "preferences": map[string]any{},
	}
	if diff := cmp.Diff(want, patched); diff != "" {
		t.Errorf("PATCH profile response mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, apiProfile(t, e, tok)); diff != "" {
		t.Errorf("GET profile after PATCH mismatch (-want +got):\n%s", diff)
	}
	if id, _ := patched["id"].(float64); id == 999 {
		t.Errorf("PATCH {id: 999} changed the id, want it ignored")
	}

	// A half-hour offset.
	r = e.do("PATCH", "/api/v2/profile/", obj{"timezone": "Asia/Kolkata"}, tok)
	if r.Status != 200 {
		t.Fatalf("PATCH timezone Asia/Kolkata = %d %s, want 200", r.Status, r.Body)
	}
	if got := r.JSON(t)["created_at"]; got != "2026-11-27T19:28:10.246406+05:30" {
		t.Errorf("created_at in Asia/Kolkata = %v, want 2026-11-27T19:28:10.246406+05:30", got)
	}

	// 150 characters (not bytes) are allowed.
	r = e.do("PATCH", "/api/v2/profile/", obj{"first_name": strings.Repeat("é", 150)}, tok)
	if r.Status != 200 {
		t.Errorf("PATCH first_name of 150 é = %d %s, want 200", r.Status, r.Body)
	}
	if got := apiProfile(t, e, tok)["first_name"]; got != strings.Repeat("é", 150) {
		t.Errorf("first_name after PATCH of 150 é = %v, want 150 é", got)
	}
}

func TestProfilePatchInvalid(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.register("ada@example.com", testPassword)
	if r := e.do("PATCH", "/api/v2/profile/", obj{"first_name": "Ada", "last_name": "Lovelace", "timezone": "Europe/Paris"}, tok); r.Status != 200 {
		t.Fatalf("PATCH profile = %d %s, want 200", r.Status, r.Body)
	}
	before := apiProfile(t, e, tok)
	e.Clock.Advance(time.Hour)

	long := strings.Repeat("a", 151)
	for _, c := range []struct {
		name string
		body obj
		want map[string][]apiMsg
	}{
		{"bad timezone", obj{"first_name": "Grace", "timezone": "Mars/Olympus_Mons"},
			map[string][]apiMsg{"timezone": {{"Enter a valid timezone.", "invalid"}}}},
		{"empty timezone", obj{"first_name": "Grace", "timezone": ""},
			map[string][]apiMsg{"timezone": {{"Enter a valid timezone.", "invalid"}}}},
		{"Local timezone", obj{"timezone": "Local"},
			map[string][]apiMsg{"timezone": {{"Enter a valid timezone.", "invalid"}}}},
		{"path timezone", obj{"timezone": "../../../etc/passwd"},
			map[string][]apiMsg{"timezone": {{"Enter a valid timezone.", "invalid"}}}},
		{"long first_name", obj{"first_name": long, "timezone": "Asia/Tokyo"},
			map[string][]apiMsg{"first_name": {{"Ensure this field has no more than 150 characters.", "max_length"}}}},
		{"long last_name", obj{"last_name": long, "first_name": "Grace"},
			map[string][]apiMsg{"last_name": {{"Ensure this field has no more than 150 characters.", "max_length"}}}},
		{"null first_name", obj{"first_name": nil, "last_name": "Hopper"},
			map[string][]apiMsg{"first_name": {{"This field may not be null.", "null"}}}},
		{"bool last_name", obj{"last_name": true, "first_name": "Grace"},
			map[string][]apiMsg{"last_name": {{"Not a valid string.", "invalid"}}}},
	} {
		r := e.do("PATCH", "/api/v2/profile/", c.body, tok)
		apiNoLeak(t, "PATCH "+c.name, r)
		if r.Status != 400 {
			t.Errorf("PATCH profile %s = %d %s, want 400", c.name, r.Status, r.Body)
			continue
		}
		if diff := cmp.Diff(c.want, apiFields(t, r)); diff != "" {
			t.Errorf("PATCH profile %s body mismatch (-want +got):\n%s", c.name, diff)
		}
		if diff := cmp.Diff(before, apiProfile(t, e, tok)); diff != "" {
			t.Errorf("profile after a refused PATCH (%s) changed (-before +after):\n%s", c.name, diff)
		}
	}
}

func TestChangePasswordSuccessStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.register("ada@example.com", testPassword)
	r := apiPost(e, "/api/v2/changepassword/", obj{"password": testPassword, "new_password": "Battery-Staple-5501"}, tok)
	if r.Status != 204 || len(r.Body) != 0 {
		t.Errorf("changepassword = %d %q, want 204 with no body", r.Status, r.Body)
	}
}

func TestFormBodies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.form("/api/v2/register/", url.Values{"email": {"ada@example.com"}, "password": {testPassword},
		"tos_accepted": {"true"}, "recaptcha": {"x"}})
	if r.Status != 200 {
		t.Fatalf("register with a form body = %d %s, want 200", r.Status, r.Body)
	}
	if got := r.JSON(t)["logged_in_existing_user"]; got != false {
		t.Errorf("form register logged_in_existing_user = %v, want false", got)
	}
	r = e.form("/api/v2/login/", url.Values{"email": {"ada@example.com"}, "password": {testPassword}, "recaptcha": {"x"}})
	if r.Status != 200 {
		t.Fatalf("login with a form body = %d %s, want 200", r.Status, r.Body)
	}
	tok, _ := r.JSON(t)["token"].(string)
	if !apiTokenPattern.MatchString(tok) {
		t.Errorf("form login token = %q, want 40 of [a-z0-9]", tok)
	}
	// Wrong password in a form: the same 400 as JSON.
	r = e.form("/api/v2/login/", url.Values{"email": {"ada@example.com"}, "password": {"nope-nope-nope"}})
	if diff := cmp.Diff(map[string][]string{"non_field_errors": {"authorization"}}, apiCodes(t, "form login wrong", r)); diff != "" {
		t.Errorf("form login with a wrong password codes mismatch (-want +got):\n%s", diff)
	}
	// tos_accepted=false in a form is refused.
	r = e.form("/api/v2/register/", url.Values{"email": {"grace@example.com"}, "password": {testPassword}, "tos_accepted": {"false"}})
	if diff := cmp.Diff(map[string][]string{"tos_accepted": {"invalid"}}, apiCodes(t, "form register tos false", r)); diff != "" {
		t.Errorf("form register tos_accepted=false codes mismatch (-want +got):\n%s", diff)
	}
	// A charset parameter on the form type is fine.
	r = e.request("POST", "/api/v2/login/", url.Values{"email": {"ada@example.com"}, "password": {testPassword}}.Encode(),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=UTF-8"}})
	if r.Status != 200 {
		t.Errorf("form login with charset = %d %s, want 200", r.Status, r.Body)
	}
}

func TestFieldErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, c := range []struct {
		name  string
		email any // apiOmit to leave it out
		want  []apiMsg
	}{
		{"null", nil, []apiMsg{{"This field may not be null.", "null"}}},
		{"blank", "", []apiMsg{{"This field may not be blank.", "blank"}}},
		{"spaces", "   ", []apiMsg{{"This field may not be blank.", "blank"}}},
		{"missing", apiOmit{}, []apiMsg{{"This field is required.", "required"}}},
		{"bool", true, []apiMsg{{"Not a valid string.", "invalid"}}},
		{"array", []string{"a@example.com"}, []apiMsg{{"Not a valid string.", "invalid"}}},
		{"object", obj{"a": 1}, []apiMsg{{"Not a valid string.", "invalid"}}},
		{"not an email", "ada.example.com", []apiMsg{{"Enter a valid email address.", "invalid"}}},
		{"no dot in the domain", "ada@localhost", []apiMsg{{"Enter a valid email address.", "invalid"}}},
		{"display name", "Ada <ada@example.com>", []apiMsg{{"Enter a valid email address.", "invalid"}}},
		{"number", 12345, []apiMsg{{"Enter a valid email address.", "invalid"}}},
	} {
		b := obj{"password": testPassword, "tos_accepted": true, "recaptcha": "x"}
		if _, omit := c.email.(apiOmit); !omit {
			b["email"] = c.email
		}
		r := apiPost(e, "/api/v2/register/", b, "")
		apiNoLeak(t, "register email "+c.name, r)
		if r.Status != 400 {
			t.Errorf("register(email %s) = %d %s, want 400", c.name, r.Status, r.Body)
			continue
		}
		if diff := cmp.Diff(map[string][]apiMsg{"email": c.want}, apiFields(t, r)); diff != "" {
			t.Errorf("register(email %s) body mismatch (-want +got):\n%s", c.name, diff)
		}
	}

	// Every failing field is reported at once.
	r := apiPost(e, "/api/v2/register/", obj{"email": nil, "password": "", "tos_accepted": "maybe"}, "")
	want := map[string][]string{"email": {"null"}, "password": {"blank"}, "tos_accepted": {"invalid"}}
	if diff := cmp.Diff(want, apiCodes(t, "register all bad", r)); diff != "" {
		t.Errorf("register with three bad fields codes mismatch (-want +got):\n%s", diff)
	}
	r = apiPost(e, "/api/v2/login/", obj{}, "")
	want = map[string][]string{"email": {"required"}, "password": {"required"}}
	if diff := cmp.Diff(want, apiCodes(t, "login empty object", r)); diff != "" {
		t.Errorf("login {} codes mismatch (-want +got):\n%s", diff)
	}
	// An empty body is an empty object.
	r = e.request("POST", "/api/v2/login/", "", apiJSONHeader)
	if diff := cmp.Diff(want, apiCodes(t, "login empty body", r)); diff != "" {
		t.Errorf("login with an empty body codes mismatch (-want +got):\n%s", diff)
	}
	// A request with no body is never 415.
	r = e.request("POST", "/api/v2/login/", "", http.Header{"Content-Type": {"text/plain"}})
	if diff := cmp.Diff(want, apiCodes(t, "login no body text/plain", r)); diff != "" {
		t.Errorf("login with no body and text/plain codes mismatch (-want +got):\n%s", diff)
	}
	tok := e.register("ada@example.com", testPassword)
	r = apiPost(e, "/api/v2/changepassword/", obj{"password": nil, "new_password": false}, tok)
	want = map[string][]string{"password": {"null"}, "new_password": {"invalid"}}
	if diff := cmp.Diff(want, apiCodes(t, "changepassword bad types", r)); diff != "" {
		t.Errorf("changepassword with bad types codes mismatch (-want +got):\n%s", diff)
	}
}

// apiOmit marks a field left out of a body.
type apiOmit struct{}

// apiBigBody returns a register body of exactly n bytes.
func apiBigBody(t *testing.T, email string, n int) string {
	t.Helper()
	b := apiJSONString(t, obj{"email": email, "password": testPassword, "tos_accepted": true, "recaptcha": "x", "pad": ""})
	pad := n - len(b)
	if pad < 0 {
		t.Fatalf("apiBigBody(%d) is too small", n)
	}
	return strings.Replace(b, `"pad":""`, `"pad":"`+strings.Repeat("p", pad)+`"`, 1)
}

func TestMalformedRequestsChangeNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	valid := func(email string) string {
		return apiJSONString(t, apiRegisterBody(email, testPassword))
	}
	for _, c := range []struct {
		name   string
		method string
		body   func(email string) string
		header http.Header
		status int
		code   string
	}{
		{"malformed JSON", "POST", func(m string) string { return strings.TrimSuffix(valid(m), "}") }, apiJSONHeader, 400, "parse_error"},
		{"JSON array", "POST", func(m string) string { return "[" + valid(m) + "]" }, apiJSONHeader, 400, "parse_error"},
		{"JSON string", "POST", func(m string) string { return apiJSONString(t, valid(m)) }, apiJSONHeader, 400, "parse_error"},
		{"JSON null", "POST", func(string) string { return "null" }, apiJSONHeader, 400, "parse_error"},
		{"trailing garbage", "POST", func(m string) string { return valid(m) + " x" }, apiJSONHeader, 400, "parse_error"},
		{"trailing object", "POST", func(m string) string { return valid(m) + valid(m) }, apiJSONHeader, 400, "parse_error"},
		{"oversized", "POST", func(m string) string { return apiBigBody(t, m, 64<<10+1) }, apiJSONHeader, 413, "request_too_large"},
		{"oversized text/plain", "POST", func(m string) string { return apiBigBody(t, m, 100<<10) }, http.Header{"Content-Type": {"text/plain"}}, 413, "request_too_large"},
		{"PUT", "PUT", valid, apiJSONHeader, 405, "method_not_allowed"},
		{"GET", "GET", valid, apiJSONHeader, 405, "method_not_allowed"},
		{"text/plain", "POST", valid, http.Header{"Content-Type": {"text/plain"}}, 415, "unsupported_media_type"},
		{"no Content-Type", "POST", valid, http.Header{}, 415, "unsupported_media_type"},
		{"multipart", "POST", valid, http.Header{"Content-Type": {"multipart/form-data; boundary=x"}}, 415, "unsupported_media_type"},
		{"bad Content-Type", "POST", valid, http.Header{"Content-Type": {"application/json;;;="}}, 415, "unsupported_media_type"},
		{"Accept text/html", "POST", valid, http.Header{"Content-Type": {"application/json"}, "Accept": {"text/html"}}, 406, "not_acceptable"},
		{"Accept image/png and text/*", "POST", valid, http.Header{"Content-Type": {"application/json"}, "Accept": {"image/png, text/*"}}, 406, "not_acceptable"},
	} {
		email := "m-" + strings.NewReplacer(" ", "", "/", "").Replace(strings.ToLower(c.name)) + "@example.com"
		r := e.request(c.method, "/api/v2/register/", c.body(email), c.header)
		apiExpectDetail(t, "register "+c.name, r, c.status, c.code)
		if c.status == 405 {
			if got := r.Header.Get("Allow"); got != "POST" {
				t.Errorf("register %s Allow = %q, want %q", c.name, got, "POST")
			}
			if got := apiDetail(t, r).Detail; got != `Method "`+c.method+`" not allowed.` {
				t.Errorf("register %s detail = %q, want %q", c.name, got, `Method "`+c.method+`" not allowed.`)
			}
		}
		apiAssertNoAccount(t, e, "register "+c.name, email, testPassword)
		// A proper register of the same address now creates a new account.
		r = apiPost(e, "/api/v2/register/", apiRegisterBody(email, testPassword), "")
		if r.Status != 200 || r.JSON(t)["logged_in_existing_user"] != false {
			t.Errorf("register %s after a refused %s = %d %s, want 200 with logged_in_existing_user false", email, c.name, r.Status, r.Body)
		}
	}

	// The limit is 64 KiB: a body of exactly that size is read.
	r := e.request("POST", "/api/v2/register/", apiBigBody(t, "exact@example.com", 64<<10), apiJSONHeader)
	if r.Status != 200 {
		t.Errorf("register with a body of exactly 64 KiB = %d %s, want 200", r.Status, r.Body)
	}
	// Accept listing JSON among others is fine.
	r = e.request("POST", "/api/v2/register/", valid("accept@example.com"),
		http.Header{"Content-Type": {"application/json; charset=utf-8"}, "Accept": {"text/html, application/json;q=0.9"}})
	if r.Status != 200 {
		t.Errorf("register with Accept text/html, application/json = %d %s, want 200", r.Status, r.Body)
	}
}

func TestMalformedChangePasswordChangesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.register("ada@example.com", testPassword)
	other := e.login("ada@example.com", testPassword)
	valid := apiJSONString(t, obj{"password": testPassword, "new_password": "Battery-Staple-5501"})
	auth := func(h http.Header) http.Header {
		h = h.Clone()
		h.Set("Authorization", "Token "+tok)
		return h
	}
	for _, c := range []struct {
		name, method, body string
		header             http.Header
		status             int
		code               string
	}{
		{"trailing garbage", "POST", valid + "]", apiJSONHeader, 400, "parse_error"},
		{"array", "POST", "[" + valid + "]", apiJSONHeader, 400, "parse_error"},
		{"truncated", "POST", valid[:len(valid)-2], apiJSONHeader, 400, "parse_error"},
		{"oversized", "POST", valid[:len(valid)-1] + `,"pad":"` + strings.Repeat("p", 64<<10) + `"}`, apiJSONHeader, 413, "request_too_large"},
		{"PUT", "PUT", valid, apiJSONHeader, 405, "method_not_allowed"},
		{"text/plain", "POST", valid, http.Header{"Content-Type": {"text/plain"}}, 415, "unsupported_media_type"},
		{"Accept text/html", "POST", valid, http.Header{"Content-Type": {"application/json"}, "Accept": {"text/html"}}, 406, "not_acceptable"},
	} {
		r := e.request(c.method, "/api/v2/changepassword/", c.body, auth(c.header))
		apiExpectDetail(t, "changepassword "+c.name, r, c.status, c.code)
		if got := apiLoginStatus(e, "ada@example.com", testPassword); got != 200 {
			t.Errorf("after a refused changepassword (%s), login with the old password = %d, want 200", c.name, got)
		}
		if r := e.do("GET", "/api/v2/profile/", nil, other); r.Status != 200 {
			t.Errorf("after a refused changepassword (%s), the other token = %d, want 200", c.name, r.Status)
		}
	}
	e.deliver()
	for _, m := range e.inbox() {
		t.Errorf("after only refused changepassword requests, inbox has %q to %s, want nothing", m.Subject, m.To)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.register("ada@example.com", testPassword)
	for _, c := range []struct {
		method, path string
		allow        []string
	}{
		{"PUT", "/api/v2/register/", []string{"POST"}},
		{"GET", "/api/v2/login", []string{"POST"}},
		{"DELETE", "/api/v2/logout/", []string{"GET", "HEAD", "POST"}},
		{"POST", "/api/v2/profile/", []string{"GET", "HEAD", "PATCH"}},
		{"DELETE", "/api/v2/profile", []string{"GET", "HEAD", "PATCH"}},
		{"GET", "/api/v2/changepassword/", []string{"POST"}},
		{"GET", "/api/v2/resetpassword/", []string{"POST"}},
	} {
		r := e.do(c.method, c.path, nil, tok)
		what := c.method + " " + c.path
		apiExpectDetail(t, what, r, 405, "method_not_allowed")
		var got []string
		for _, m := range strings.Split(r.Header.Get("Allow"), ",") {
			if m = strings.TrimSpace(m); m != "" {
				got = append(got, m)
			}
		}
		sort.Strings(got)
		if diff := cmp.Diff(c.allow, got); diff != "" {
			t.Errorf("%s Allow mismatch (-want +got):\n%s", what, diff)
		}
	}
	// The token survived (DELETE /logout/ did not log out).
	apiProfile(t, e, tok)
}

func TestTrailingSlash(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for i, path := range []string{"/api/v2/register/", "/api/v2/register"} {
		email := []string{"slash@example.com", "noslash@example.com"}[i]
		r := apiPost(e, path, apiRegisterBody(email, testPassword), "")
		if r.Status != 200 {
			t.Errorf("POST %s = %d %s, want 200", path, r.Status, r.Body)
			continue
		}
		if got := r.JSON(t)["logged_in_existing_user"]; got != false {
			t.Errorf("POST %s logged_in_existing_user = %v, want false", path, got)
		}
		tok := r.JSON(t)["token"].(string)
		for _, p := range []string{"/api/v2/profile/", "/api/v2/profile"} {
			r := e.do("GET", p, nil, tok)
			if r.Status != 200 || r.JSON(t)["email"] != email {
				t.Errorf("GET %s = %d %s, want 200 for %s", p, r.Status, r.Body, email)
			}
			r = e.do("PATCH", p, obj{"first_name": p}, tok)
			if r.Status != 200 || r.JSON(t)["first_name"] != p {
				t.Errorf("PATCH %s = %d %s, want 200 with first_name %s", p, r.Status, r.Body, p)
			}
		}
		// Error answers are the same on both paths.
		withSlash := apiPost(e, "/api/v2/register/", obj{"email": true}, "")
		without := apiPost(e, "/api/v2/register", obj{"email": true}, "")
		if withSlash.Status != without.Status || string(withSlash.Body) != string(without.Body) {
			t.Errorf("register errors with and without the slash = %d %s and %d %s, want identical",
				withSlash.Status, withSlash.Body, without.Status, without.Body)
		}
	}
	for _, c := range []struct{ method, path string }{
		{"POST", "/api/v2/register/extra/"},
		{"POST", "/api/v2/register/extra"},
		{"GET", "/api/v2/profile/x/"},
		{"POST", "/api/v2/nothing/"},
		{"GET", "/api/v1/profile/"},
		{"GET", "/api/v2/"},
		{"GET", "/nothing-here"},
	} {
		r := e.do(c.method, c.path, obj{"email": "x@example.com"}, "")
		apiExpectDetail(t, c.method+" "+c.path, r, 404, "not_found")
		if got := apiDetail(t, r); got != (apiDetailBody{"Not found.", "not_found"}) {
			t.Errorf("%s %s body = %+v, want {Not found. not_found}", c.method, c.path, got)
		}
	}
}

func TestBadInputsLeakNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.register("ada@example.com", testPassword)
	bodies := []string{
		"{", "}", "[]", "[1,2", `{"email":`, `{"email":"\ud800"}`, "\xff\xfe\x00", `{"email":1e999}`,
		`{"email":"a@b.c","password":` + strings.Repeat("[", 10000) + `}`,
		`{"password":"` + strings.Repeat("x", 300) + `","new_password":"` + strings.Repeat("y", 300) + `"}`,
		`{"timezone":"\u0000"}`, `{"first_name":{"a":[1,{"b":null}]}}`, `{"email":"'; DROP TABLE users; --@example.com"}`,
		`{"email":"a@b.c"} trailing`, `"just a string"`, `12`, `true`,
	}
	paths := []struct{ method, path string }{
		{"POST", "/api/v2/register/"}, {"POST", "/api/v2/login/"}, {"POST", "/api/v2/changepassword/"},
		{"PATCH", "/api/v2/profile/"}, {"POST", "/api/v2/logout/"}, {"POST", "/api/v2/resetpassword/"},
		{"POST", "/api/v2/resetpassword/complete/"}, {"POST", "/api/v2/resetpassword/check/"},
		{"POST", "/api/v2/resetpassword/cancel/"},
	}
	for _, p := range paths {
		for _, b := range bodies {
			for _, ct := range []string{"application/json", "application/x-www-form-urlencoded", "text/plain"} {
				h := http.Header{"Content-Type": {ct}}
				if p.path != "/api/v2/logout/" {
					h.Set("Authorization", "Token "+tok)
				}
				r := e.request(p.method, p.path, b, h)
				apiNoLeak(t, p.method+" "+p.path+" "+ct+" "+b[:min(len(b), 40)], r)
				if r.Status != 204 && !json.Valid(r.Body) {
					t.Errorf("%s %s (%s) body = %q, want JSON", p.method, p.path, ct, r.Body)
				}
			}
		}
	}
	apiProfile(t, e, tok)
}
