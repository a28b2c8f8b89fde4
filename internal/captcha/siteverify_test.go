package captcha

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// provider is a local server speaking the siteverify protocol; answer
// writes the reply to each check.
func provider(t *testing.T, answer func(w http.ResponseWriter, r *http.Request)) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(answer))
	t.Cleanup(srv.Close)
	return srv
}

func reply(body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(body))
	}
}

func newVerifier(t *testing.T, url string, mod func(*SiteverifyConfig)) *Siteverify {
	t.Helper()
	cfg := SiteverifyConfig{Provider: "recaptcha", Secret: "s3cret", VerifyURL: url,
		Client: &http.Client{Timeout: 300 * time.Millisecond}}
	if mod != nil {
		mod(&cfg)
	}
	v, err := NewSiteverify(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSiteverifySendsTheProtocolFields(t *testing.T) {
	var got http.Header
	var form map[string]string
	srv := provider(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		r.ParseForm()
		form = map[string]string{"secret": r.PostForm.Get("secret"), "response": r.PostForm.Get("response"),
			"remoteip": r.PostForm.Get("remoteip")}
		reply(`{"success": true, "hostname": "app.example.com"}`)(w, r)
	})
	if err := newVerifier(t, srv.URL, nil).Verify(context.Background(), "tok", "203.0.113.9"); err != nil {
		t.Fatalf("Verify = %v, want nil", err)
	}
	want := map[string]string{"secret": "s3cret", "response": "tok", "remoteip": "203.0.113.9"}
	for k, v := range want {
		if form[k] != v {
			t.Errorf("form %s = %q, want %q", k, form[k], v)
		}
	}
	if ct := got.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type = %q, want a form POST", ct)
	}
}

func TestSiteverifyJudgesAnswers(t *testing.T) {
	v3 := func(c *SiteverifyConfig) { c.MinScore, c.Action = 0.5, "login" }
	hosts := func(c *SiteverifyConfig) { c.Hostnames = []string{"app.example.com"} }
	tests := []struct {
		name   string
		answer string
		mod    func(*SiteverifyConfig)
		want   error
	}{
		{"success", `{"success": true, "hostname": "app.example.com"}`, nil, nil},
		{"failure", `{"success": false, "error-codes": ["invalid-input-response"]}`, nil, ErrInvalid},
		{"v3 good score", `{"success": true, "score": 0.9, "action": "login"}`, v3, nil},
		{"v3 low score", `{"success": true, "score": 0.1, "action": "login"}`, v3, ErrInvalid},
		{"v3 wrong action", `{"success": true, "score": 0.9, "action": "register"}`, v3, ErrInvalid},
		{"expected hostname", `{"success": true, "hostname": "app.example.com"}`, hosts, nil},
		{"wrong hostname", `{"success": true, "hostname": "evil.example"}`, hosts, ErrInvalid},
		{"garbage answer", `<html>oops</html>`, nil, ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := provider(t, reply(tt.answer))
			err := newVerifier(t, srv.URL, tt.mod).Verify(context.Background(), "tok", "")
			if !errors.Is(err, tt.want) && (err != nil || tt.want != nil) {
				t.Errorf("Verify(%s) = %v, want %v", tt.answer, err, tt.want)
			}
		})
	}
}

func TestSiteverifyFailsClosed(t *testing.T) {
	block := make(chan struct{})
	slow := provider(t, func(w http.ResponseWriter, r *http.Request) { <-block })
	defer close(block)
	broken := provider(t, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", 500) })
	closed := provider(t, reply(`{}`))
	closed.Close()
	for name, url := range map[string]string{"timeout": slow.URL, "status 500": broken.URL, "unreachable": closed.URL} {
		err := newVerifier(t, url, nil).Verify(context.Background(), "tok", "")
		if !errors.Is(err, ErrUnavailable) {
			t.Errorf("Verify with a provider that is %s = %v, want ErrUnavailable", name, err)
		}
	}
}

func TestSiteverifyRejectsMissingResponseWithoutAsking(t *testing.T) {
	asked := false
	srv := provider(t, func(w http.ResponseWriter, r *http.Request) { asked = true; reply(`{"success": true}`)(w, r) })
	if err := newVerifier(t, srv.URL, nil).Verify(context.Background(), "  ", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("Verify of an empty response = %v, want ErrInvalid", err)
	}
	if asked {
		t.Error("an empty response was sent to the provider")
	}
}

func TestNewSiteverifyChecksConfiguration(t *testing.T) {
	for _, cfg := range []SiteverifyConfig{
		{Provider: "captchaco", Secret: "x"},
		{Provider: "hcaptcha"},
		{Provider: "turnstile", Secret: "x", VerifyURL: "ftp://x"},
	} {
		if _, err := NewSiteverify(cfg); err == nil {
			t.Errorf("NewSiteverify(%+v) = nil error, want one", cfg)
		}
	}
}
