package web_test

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accountd/accountd/internal/captcha"
)

// withProvider points the captcha at a local siteverify server that accepts
// only the response "good" and is down while *down is true.
func withProvider(t *testing.T, down *atomic.Bool) func(*envOptions) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "unavailable", http.StatusBadGateway)
			return
		}
		r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		if r.PostForm.Get("response") == "good" {
			w.Write([]byte(`{"success": true, "hostname": "app.example.com"}`))
			return
		}
		w.Write([]byte(`{"success": false}`))
	}))
	t.Cleanup(srv.Close)
	v, err := captcha.NewSiteverify(captcha.SiteverifyConfig{Provider: "turnstile", Secret: "s",
		VerifyURL: srv.URL, Client: &http.Client{Timeout: 2 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	return func(o *envOptions) { o.Captcha = v }
}

func TestCaptchaGuardsRegisterLoginAndReset(t *testing.T) {
	var down atomic.Bool
	e := newEnv(t, withProvider(t, &down))
	reg := func(captcha string) response {
		return e.do("POST", "/api/v2/register/", obj{"email": "ada@example.com", "password": testPassword,
			"tos_accepted": true, "recaptcha": captcha}, "")
	}
	for _, bad := range []string{"", "bad"} {
		if r := reg(bad); r.Status != 400 || r.Code(t, "recaptcha") != "captcha_invalid" {
			t.Errorf("register with captcha %q = %d %s, want 400 recaptcha/captcha_invalid", bad, r.Status, r.Body)
		}
	}
	down.Store(true)
	if r := reg("good"); r.Status != 503 || r.Code(t, "") != "captcha_unavailable" {
		t.Errorf("register with the provider down = %d %s, want 503 captcha_unavailable", r.Status, r.Body)
	}
	down.Store(false)
	// Nothing was created by the refused attempts: this is a new account.
	if r := reg("good"); r.Status != 200 || r.JSON(t)["logged_in_existing_user"] != false {
		t.Fatalf("register with a good captcha = %d %s, want 200 for a new account", r.Status, r.Body)
	}
	login := e.do("POST", "/api/v2/login/", obj{"email": "ada@example.com", "password": testPassword, "recaptcha": "bad"}, "")
	if login.Status != 400 || login.Code(t, "recaptcha") != "captcha_invalid" {
		t.Errorf("login with a bad captcha = %d %s, want 400 captcha_invalid", login.Status, login.Body)
	}
	reset := e.do("POST", "/api/v2/resetpassword/", obj{"email": "ada@example.com", "recaptcha": "bad"}, "")
	if reset.Status != 400 || reset.Code(t, "recaptcha") != "captcha_invalid" {
		t.Errorf("reset request with a bad captcha = %d %s, want 400 captcha_invalid", reset.Status, reset.Body)
	}
	e.deliver()
	if n := len(e.inbox()); n != 0 {
		t.Errorf("a refused reset request sent %d mails, want 0", n)
	}
}
