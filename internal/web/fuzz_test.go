package web_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/captcha"
	"github.com/accountd/accountd/internal/openapitest"
	"github.com/accountd/accountd/internal/password"
	"github.com/accountd/accountd/internal/secretbox"
	"github.com/accountd/accountd/internal/testdb"
	"github.com/accountd/accountd/internal/web"
)

// apiFuzzRoutes are the API endpoints of routes.go with the method whose
// handler decodes a body (profile: PATCH). auth says whether to send the
// shared token; logout gets a fresh one each time.
var apiFuzzRoutes = []struct {
	method, path string
	auth         bool
}{
	{"POST", "/api/v2/register/", false},
	{"POST", "/api/v2/login/", false},
	{"POST", "/api/v2/logout/", true},
	{"POST", "/api/v2/changepassword/", true},
	{"PATCH", "/api/v2/profile/", true},
	{"POST", "/api/v2/resetpassword/", false},
	{"POST", "/api/v2/resetpassword/complete/", false},
	{"POST", "/api/v2/resetpassword/check/", false},
	{"POST", "/api/v2/resetpassword/cancel/", false},
	{"POST", "/api/v2/changeemail/", true},
	{"POST", "/api/v2/changeemail/complete/", true},
	{"POST", "/api/v2/changeemail/check/", true},
	{"POST", "/api/v2/activation/resend/", true},
	{"POST", "/api/v2/activation/complete/", false},
	{"POST", "/api/v2/deleteaccount/", true},
	{"POST", "/api/v2/apikey/", true},
	{"PATCH", "/api/v2/apikey/1/", true},
	{"POST", "/api/v2/twofactorauth/method/", true},
	{"POST", "/api/v2/twofactorauth/method/1/activate/", true},
	{"POST", "/api/v2/twofactorauth/codeauth/", true},
	{"POST", "/api/v2/twofactorauth/recoverycodes/", true},
	{"POST", "/api/v2/register/social/", false},
	{"POST", "/api/v2/login/social/", false},
	{"POST", "/api/v2/deleteaccount/social/", true},
	{"PATCH", "/api/v2/profile/preferences/", true},
	{"PUT", "/api/v2/profile/preferences/", true},
}

var apiFuzzContentTypes = []string{
	"application/json",
	"application/x-www-form-urlencoded",
	"application/json; charset=utf-8",
	"", // no Content-Type header
	"text/plain",
	"multipart/form-data; boundary=x",
	"application/json;;=",
	"APPLICATION/JSON",
}

var apiFuzzStatuses = map[int]bool{200: true, 201: true, 204: true, 400: true, 401: true, 403: true, 404: true,
	405: true, 406: true, 413: true, 415: true, 429: true, 503: true}

// apiFuzzEnv is newEnv for a *testing.F: the real handler on a real SQLite
// file over HTTP. It returns the server's URL.
func apiFuzzEnv(f *testing.F) string {
	f.Helper()
	store := testdb.SQLiteStore(f)
	start := time.Date(2026, 11, 27, 13, 58, 10, 246406000, time.UTC)
	now := func() time.Time { return start }
	hasher := password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16})
	svc := account.NewService(store, hasher, account.Config{DashboardURL: "https://dash.example.com",
		ResetTokenTTL: time.Hour, ResetEmailsPerHour: 3, MailDomain: "example.com", Policy: password.DefaultPolicy(),
		Secrets: secretbox.NewRandom()}, now, nil)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := web.New(svc, captcha.None{}, log, web.NewMetrics(prometheus.NewRegistry()),
		web.Config{DevInbox: store, MinPasswordLength: 8})
	srv := httptest.NewServer(h)
	f.Cleanup(srv.Close)
	return srv.URL
}

// apiFuzzDo sends one request and returns status and body.
func apiFuzzDo(tb testing.TB, method, url, contentType, token string, body []byte) (int, []byte) {
	tb.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Token "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatal(err)
	}
	// Whatever the input, the answer is one that docs/openapi.yaml describes.
	openapitest.Verify(tb, req, res.StatusCode, res.Header, b)
	return res.StatusCode, b
}

// apiFuzzToken registers or logs in email and returns a token.
func apiFuzzToken(tb testing.TB, base, path, email string) string {
	tb.Helper()
	b, _ := json.Marshal(obj{"email": email, "password": testPassword, "tos_accepted": true, "recaptcha": "x"})
	status, body := apiFuzzDo(tb, "POST", base+path, "application/json", "", b)
	var m struct{ Token string }
	if status != 200 || json.Unmarshal(body, &m) != nil || m.Token == "" {
		tb.Fatalf("POST %s for %s = %d %s, want 200 with a token", path, email, status, body)
	}
	return m.Token
}

func FuzzRequestDecoders(f *testing.F) {
	seeds := []string{
		`{"email":"ada@example.com","password":"Correct-Horse-7391","tos_accepted":true,"recaptcha":"x"}`,
		`{"email":"fuzz@example.com","password":"Correct-Horse-7391","recaptcha":"x"}`,
		``,
		`{"password":"Correct-Horse-7391","new_password":"Battery-Staple-5501"}`,
		`{"first_name":"Ada","last_name":"Lovelace","timezone":"Europe/Paris"}`,
		`{"email":"ada@example.com","recaptcha":"x"}`,
		`{"password":"Battery-Staple-5501","password_reset_token":"` + strings.Repeat("ab", 32) + `"}`,
		`{"password_reset_token":"` + strings.Repeat("0", 64) + `"}`,
		`{"password_reset_token":null}`,
	}
	for i, s := range seeds {
		f.Add(uint8(i), uint8(0), []byte(s))
	}
	f.Add(uint8(0), uint8(1), []byte("email=ada%40example.com&password=x&tos_accepted=yes&tos_accepted=no"))
	f.Add(uint8(1), uint8(1), []byte("email=%zz&password"))
	f.Add(uint8(3), uint8(2), []byte(`{"password":1e999,"new_password":[1,{"a":null}]}`))
	f.Add(uint8(4), uint8(0), []byte(`{"timezone":"../../etc/passwd","first_name":true}`))
	f.Add(uint8(4), uint8(0), []byte(`{"first_name":null}`))
	f.Add(uint8(0), uint8(4), []byte(`{"email":"a@b.c"}`))
	f.Add(uint8(2), uint8(3), []byte(`x`))
	f.Add(uint8(17), uint8(0), []byte(`{"type":"device_totp"}`))
	f.Add(uint8(18), uint8(0), []byte(`{"code_1":"123 456","code_2":"１２３４５６"}`))
	f.Add(uint8(19), uint8(0), []byte(`{"code":"ABCD-EFGH-IJKL-MNOP-QRST-UVWX","recaptcha":"x"}`))
	f.Add(uint8(19), uint8(1), []byte("code=123456&code=654321&recaptcha=x"))
	f.Add(uint8(20), uint8(0), []byte(`{}`))
	f.Add(uint8(6), uint8(0), []byte(`[{"password":"x"}]`))
	f.Add(uint8(7), uint8(0), []byte(`{"password_reset_token":"x"} trailing`))
	f.Add(uint8(8), uint8(6), []byte("\xff\xfe\x00{"))
	f.Add(uint8(5), uint8(7), []byte(`{"email":"\ud800@example.com"}`))
	f.Add(uint8(1), uint8(0), []byte(`{"email":"ada@example.com","password":"`+strings.Repeat("€", 300)+`"}`))
	f.Add(uint8(9), uint8(0), []byte(`{"password":"x","new_email":"b@example.com"}`))
	f.Add(uint8(10), uint8(0), []byte(`{"confirmation_code":"`+strings.Repeat("a", 64)+`"}`))
	f.Add(uint8(12), uint8(1), []byte(`activation_token=00`))
	f.Add(uint8(13), uint8(0), []byte(`{"password":"nope","recaptcha":""}`))
	f.Add(uint8(14), uint8(0), []byte(`{"label":"`+strings.Repeat("k", 201)+`"}`))
	f.Add(uint8(15), uint8(0), []byte(`{"label":null}`))
	f.Add(uint8(21), uint8(0), []byte(`{"customer_satisfaction_survey_last_dismissed_at":"2026-11-27T13:58:10.246406-07:00"}`))
	f.Add(uint8(21), uint8(0), []byte(`{"onboarding_activity_page_viewed_at":null,"customer_satisfaction_survey_last_completed_at":"9999-12-31 23:59:59.9999999+23:59"}`))
	f.Add(uint8(22), uint8(1), []byte("customer_satisfaction_survey_last_dismissed_at=2026-02-29T00:00"))

	base := apiFuzzEnv(f)
	token := apiFuzzToken(f, base, "/api/v2/register/", "fuzz-owner@example.com")
	apiFuzzToken(f, base, "/api/v2/register/", "fuzz-logout@example.com")

	f.Fuzz(func(t *testing.T, route, contentType uint8, body []byte) {
		rt := apiFuzzRoutes[int(route)%len(apiFuzzRoutes)]
		ct := apiFuzzContentTypes[int(contentType)%len(apiFuzzContentTypes)]
		tok := ""
		switch {
		case rt.path == "/api/v2/logout/":
			tok = apiFuzzToken(t, base, "/api/v2/login/", "fuzz-logout@example.com")
		case rt.auth:
			tok = token
		}
		status, got := apiFuzzDo(t, rt.method, base+rt.path, ct, tok, body)
		what := rt.method + " " + rt.path + " (" + ct + ")"
		if !apiFuzzStatuses[status] {
			t.Errorf("%s with body %q = %d %s, want one of the contract statuses", what, body, status, got)
		}
		if status == 204 {
			if len(got) != 0 {
				t.Errorf("%s with body %q = 204 with body %q, want none", what, body, got)
			}
			return
		}
		var m map[string]any
		if err := json.Unmarshal(got, &m); err != nil {
			t.Errorf("%s with body %q = %d %q, want a JSON object (%v)", what, body, status, got, err)
		}
		low := strings.ToLower(string(got))
		for _, s := range []string{"goroutine", "panic", "runtime error"} {
			if strings.Contains(low, s) {
				t.Errorf("%s with body %q = %d %s, contains %q", what, body, status, got, s)
			}
		}
	})
}

// FuzzPreferenceDateTime: the date-time parser of the preferences never
// panics, and what it accepts is a UTC instant that reads back the same in
// the format the API answers with.
func FuzzPreferenceDateTime(f *testing.F) {
	for _, s := range []string{"2026-11-27T13:58", "2026-11-27T13:58:10.246406Z", "2026-11-27 13:58:10,1234567-0130",
		"2022-06-14T15:59:06.663774-07:00", "0001-01-01T00:00+23:59", "9999-12-31T23:59:59-23:59", "2026-02-29T00:00",
		"2026-1-2T3:4:5", "", "Z", "2026-11-27T13:58+24:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := web.ParseDateTime(s)
		if !ok {
			return
		}
		if got.Location() != time.UTC {
			t.Errorf("ParseDateTime(%q) = %v, want UTC", s, got)
		}
		out := got.Format("2006-01-02T15:04:05.000000-07:00")
		again, ok := web.ParseDateTime(out)
		if !ok || !again.Equal(got) {
			t.Errorf("ParseDateTime(%q) = %s, which reads back as %v, %v", s, out, again, ok)
		}
	})
}

// FuzzQueryText: an admin filter value the handler lets through to the
// store is valid UTF-8 without NUL (what PostgreSQL can compare); anything
// else is refused on the parameter, never passed on.
func FuzzQueryText(f *testing.F) {
	for _, s := range []string{"email=ada", "email=ada%00", "email=%ff", "email=%00%ff", "type=%c3%28",
		"email=%e2%80%ae", "email=", "email=a&email=%00", "email=%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, refusal := web.QueryText(raw, "email")
		if refusal != "" {
			if v != "" {
				t.Errorf("QueryText(%q) refused (%s) but passed %q on", raw, refusal, v)
			}
			return
		}
		if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
			t.Errorf("QueryText(%q) passed %q to the store", raw, v)
		}
	})
}
