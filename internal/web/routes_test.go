package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/ratelimit"
	"github.com/accountd/accountd/internal/web"
)

// refuseCaptcha is a captcha provider that refuses every response.
type refuseCaptcha struct{}

func (refuseCaptcha) Verify(context.Context, string, string) error { return errors.New("refused") }

// anyBody carries every field any route reads, each well-formed, so that a
// request passes the field checks and reaches the captcha. Passwords are
// the account's own: no check fails and nothing is locked.
var anyBody = func() string {
	b, _ := json.Marshal(obj{"email": "ada@example.com", "password": testPassword, "new_password": testPassword,
		"tos_accepted": true, "recaptcha": "x", "password_reset_token": strings.Repeat("0", 64),
		"new_email": "ada2@example.com", "confirmation_code": strings.Repeat("0", 64),
		"activation_token": strings.Repeat("0", 64), "label": "k",
		"type": "email_code", "code": "123456", "code_1": "123456", "code_2": "654321"})
	return string(b)
}()

// routeEnv is an environment with one account, whose password it signs in
// with directly through the service (every call a fresh login token).
type routeEnv struct {
	*env
	user account.User
}

func newRouteEnv(t *testing.T, opts ...func(*envOptions)) routeEnv {
	t.Helper()
	e := newEnv(t, opts...)
	tok, _, err := e.Svc.Register(context.Background(), account.RegisterInput{Email: "ada@example.com",
		Password: testPassword, TOSAccepted: true}, account.Client{IP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	_, u, err := e.Svc.Authenticate(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	return routeEnv{e, u}
}

func (e routeEnv) loginToken() string {
	e.t.Helper()
	tok, err := e.Svc.Login(context.Background(), "ada@example.com", testPassword, account.Client{IP: "192.0.2.1"})
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

func (e routeEnv) apiKey() string {
	e.t.Helper()
	_, key, err := e.Svc.CreateAPIKey(context.Background(), e.user, "test", account.Client{IP: "192.0.2.1"})
	if err != nil {
		e.t.Fatal(err)
	}
	return key
}

// send sends anyBody (none for GET and DELETE) to the route, with
// credentials when auth is not "", from ip behind the trusted proxy.
func (e routeEnv) send(method, path, auth, ip string) response {
	e.t.Helper()
	h := http.Header{"X-Forwarded-For": {ip}}
	if auth != "" {
		h.Set("Authorization", auth)
	}
	body := ""
	if method != "GET" && method != "DELETE" {
		body = anyBody
		h.Set("Content-Type", "application/json")
	}
	return e.request(method, strings.ReplaceAll(path, "{id}", "1"), body, h)
}

// TestRouteTableGuards walks the route table and checks that each route
// enforces what it declares, and only that: a refused captcha is 400
// captcha_invalid, an API key 403 where only login tokens are accepted, no
// or a made-up token 401 where one is needed, a pending login token 403
// 2fa_needed where the table does not accept it, and the named limit 429.
func TestRouteTableGuards(t *testing.T) {
	routes := web.APIRoutes()
	if len(routes) == 0 {
		t.Fatal("the route table is empty")
	}
	proxy := func(o *envOptions) { withLimits(nil)(o); o.Web.Limiter = nil }
	t.Run("captcha", func(t *testing.T) {
		e := newRouteEnv(t, proxy, func(o *envOptions) { o.Captcha = refuseCaptcha{} })
		for _, rt := range routes {
			for _, m := range rt.Methods {
				r := e.send(m, rt.Path, "Token "+e.loginToken(), "192.0.2.10")
				refused := r.Status == 400 && strings.Contains(string(r.Body), `"captcha_invalid"`)
				if refused != rt.Captcha {
					t.Errorf("%s %s with a refused captcha = %d %s; the table declares captcha %v",
						m, rt.Path, r.Status, r.Body, rt.Captcha)
				}
			}
		}
	})
	t.Run("auth", func(t *testing.T) {
		e := newRouteEnv(t, proxy)
		for _, rt := range routes {
			needs := rt.Auth == "token" || rt.Auth == "loginToken"
			for _, m := range rt.Methods {
				if r := e.send(m, rt.Path, "", "192.0.2.11"); (r.Status == 401) != needs {
					t.Errorf("%s %s without a token = %d %s; the table declares auth %s", m, rt.Path, r.Status, r.Body, rt.Auth)
				}
				checked := needs || rt.Auth == "optional"
				if r := e.send(m, rt.Path, "Token "+randomToken(), "192.0.2.11"); (r.Status == 401) != checked {
					t.Errorf("%s %s with a made-up token = %d %s; the table declares auth %s", m, rt.Path, r.Status, r.Body, rt.Auth)
				}
				if !needs {
					continue
				}
				r := e.send(m, rt.Path, "Token "+e.apiKey(), "192.0.2.11")
				refused := r.Status == 403 && r.Code(t, "") == "api_key_not_allowed"
				if refused != (rt.Auth == "loginToken") {
					t.Errorf("%s %s with an API key = %d %s; the table declares auth %s", m, rt.Path, r.Status, r.Body, rt.Auth)
				}
			}
		}
	})
	t.Run("2fa", func(t *testing.T) {
		e := newRouteEnv(t, proxy)
		enrolTOTP(e.env, e.loginToken())
		for _, rt := range routes {
			if rt.Auth != "token" && rt.Auth != "loginToken" {
				continue
			}
			for _, m := range rt.Methods {
				pending := e.loginToken()
				r := e.send(m, rt.Path, "Token "+pending, "192.0.2.13")
				refused := r.Status == 403 && r.Code(t, "") == "2fa_needed"
				if refused == rt.Pending {
					t.Errorf("%s %s with a pending token = %d %s; the table declares pending %v",
						m, rt.Path, r.Status, r.Body, rt.Pending)
				}
			}
		}
	})
	t.Run("limit", func(t *testing.T) {
		for _, rt := range routes {
			if rt.Limit == "" {
				continue
			}
			for _, m := range rt.Methods {
				e := newRouteEnv(t, withLimits(func(l *web.RateLimits) {
					reflect.ValueOf(l).Elem().FieldByName(rt.Limit).Set(reflect.ValueOf(ratelimit.PerMinute(1)))
				}))
				if r := e.send(m, rt.Path, "", "192.0.2.12"); r.Status == 429 {
					t.Fatalf("%s %s: the first request = 429", m, rt.Path)
				}
				if r := e.send(m, rt.Path, "", "192.0.2.12"); r.Status != 429 || r.Code(t, "") != "throttled" {
					t.Errorf("%s %s: the second request under %s = 1/min = %d %s, want 429 throttled",
						m, rt.Path, rt.Limit, r.Status, r.Body)
				}
			}
		}
	})
}

// TestRouteTableMatchesContract pins what each route declares (docs/api.md, docs/api.md#rate-limits,
// docs/api.md), so that a changed guard is a visible change of this list.
func TestRouteTableMatchesContract(t *testing.T) {
	want := map[string]string{
		"/api/v2/register/":                           "POST public Register captcha verified",
		"/api/v2/login/":                              "POST public Login captcha verified",
		"/api/v2/register/social/":                    "POST public Register - verified",
		"/api/v2/login/social/":                       "POST public Login - verified",
		"/api/v2/deleteaccount/social/":               "POST loginToken - - verified",
		"/api/v2/logout/":                             "GET,POST loginToken - - pending",
		"/api/v2/changepassword/":                     "POST loginToken - - verified",
		"/api/v2/profile/":                            "GET,PATCH token - - verified",
		"/api/v2/resetpassword/":                      "POST public ResetRequest captcha verified",
		"/api/v2/resetpassword/complete/":             "POST public ResetComplete captcha verified",
		"/api/v2/resetpassword/check/":                "POST public ResetComplete - verified",
		"/api/v2/resetpassword/cancel/":               "POST public ResetComplete - verified",
		"/api/v2/changeemail/":                        "POST loginToken - - verified",
		"/api/v2/changeemail/complete/":               "POST loginToken - - verified",
		"/api/v2/changeemail/check/":                  "POST loginToken - - verified",
		"/api/v2/activation/":                         "GET token - - verified",
		"/api/v2/activation/resend/":                  "POST loginToken - - verified",
		"/api/v2/activation/complete/":                "POST optional - - verified",
		"/api/v2/deleteaccount/":                      "POST loginToken - captcha verified",
		"/api/v2/apikey/":                             "GET,POST loginToken - - verified",
		"/api/v2/apikey/{id}/":                        "DELETE,GET,PATCH loginToken - - verified",
		"/api/v2/sessions/":                           "GET loginToken - - verified",
		"/api/v2/sessions/revoke_others/":             "POST loginToken - - verified",
		"/api/v2/sessions/{id}/":                      "DELETE loginToken - - verified",
		"/api/v2/twofactorauth/method/current/":       "GET loginToken - - pending",
		"/api/v2/twofactorauth/method/":               "POST loginToken - - verified",
		"/api/v2/twofactorauth/method/{id}/activate/": "POST loginToken - - verified",
		"/api/v2/twofactorauth/codeauth/":             "POST loginToken - captcha pending",
		"/api/v2/twofactorauth/email/resend/":         "POST loginToken - - pending",
		"/api/v2/twofactorauth/recoverycodes/":        "POST loginToken - - verified",
		"/api/v2/verification/suspension/":            "GET token - - verified",
		"/api/v2/profile/preferences/":                "GET,PATCH,PUT token - - verified",
	}
	got := map[string]string{}
	for _, rt := range web.APIRoutes() {
		limit, captcha := rt.Limit, "-"
		if limit == "" {
			limit = "-"
		}
		if rt.Captcha {
			captcha = "captcha"
		}
		state := "verified"
		if rt.Pending {
			state = "pending"
		}
		got[rt.Path] = strings.Join(rt.Methods, ",") + " " + rt.Auth + " " + limit + " " + captcha + " " + state
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("route table (-want +got):\n%s", diff)
	}
}

// TestActivationResendRefusesAPIKeys: resending the activation email is
// managing the account's address, for login tokens only (docs/api.md); an
// API key may read the status.
func TestActivationResendRefusesAPIKeys(t *testing.T) {
	e := newRouteEnv(t)
	key := e.apiKey()
	if r := e.do("POST", "/api/v2/activation/resend/", nil, key); r.Status != 403 || r.Code(t, "") != "api_key_not_allowed" {
		t.Errorf("activation resend with an API key = %d %s, want 403 api_key_not_allowed", r.Status, r.Body)
	}
	if r := e.do("GET", "/api/v2/activation/", nil, key); r.Status != 200 {
		t.Errorf("activation status with an API key = %d %s, want 200", r.Status, r.Body)
	}
}
