package main

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/oauth2-proxy/mockoidc"
)

// prodEnv is every setting serve needs outside -dev, plus vars.
func prodEnv(t *testing.T, vars map[string]string) func(string) string {
	all := map[string]string{"ACCOUNTD_CAPTCHA_PROVIDER": "turnstile", "ACCOUNTD_CAPTCHA_SECRET": "s",
		"ACCOUNTD_CAPTCHA_SITEKEY": "k", "ACCOUNTD_DASHBOARD_URL": "https://dash.example.com",
		"ACCOUNTD_SMTP_URL": "smtp://127.0.0.1:1", "ACCOUNTD_DATABASE_URL": t.TempDir() + "/a.db",
		"ACCOUNTD_SECRET_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", "ACCOUNTD_ADDR": "127.0.0.1:0",
		"ACCOUNTD_ADMIN_ADDR": "off"}
	for k, v := range vars {
		all[k] = v
	}
	return env(all)
}

// TestGoogleSettingsRefusedAtStart: outside -dev, serve refuses half a
// client, a non-https issuer (a loopback http:// one is allowed) and a
// non-https redirect URI, naming the setting and never the client secret.
func TestGoogleSettingsRefusedAtStart(t *testing.T) {
	const secret = "gocspx-hunter2Leak-secret"
	client := map[string]string{"ACCOUNTD_GOOGLE_CLIENT_ID": "id.apps.googleusercontent.com",
		"ACCOUNTD_GOOGLE_CLIENT_SECRET": secret}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range client {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	for _, c := range []struct {
		name string
		vars map[string]string
		want string
	}{
		{"secret without id", map[string]string{"ACCOUNTD_GOOGLE_CLIENT_SECRET": secret}, "ACCOUNTD_GOOGLE_CLIENT_ID"},
		{"id without secret", map[string]string{"ACCOUNTD_GOOGLE_CLIENT_ID": "id"}, "ACCOUNTD_GOOGLE_CLIENT_SECRET"},
		{"http issuer", with(map[string]string{"ACCOUNTD_GOOGLE_ISSUER": "http://accounts.example.com"}), "ACCOUNTD_GOOGLE_ISSUER"},
		{"not a URL", with(map[string]string{"ACCOUNTD_GOOGLE_ISSUER": "accounts.google.com"}), "ACCOUNTD_GOOGLE_ISSUER"},
		{"http redirect", with(map[string]string{"ACCOUNTD_GOOGLE_REDIRECT_URIS": "https://a.example,http://b.example"}),
			"ACCOUNTD_GOOGLE_REDIRECT_URIS"},
	} {
		err := run(context.Background(), []string{"serve"}, prodEnv(t, c.vars), &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), secret) {
			t.Errorf("serve with %s = %v, want a refusal naming %s without the secret", c.name, err, c.want)
		}
	}
}

// TestGoogleSettingsAccepted: a loopback http issuer outside -dev, any
// http issuer and redirect with -dev; the redirect allow-list defaults to
// the dashboard URL's origin; domains are compared in lower case.
func TestGoogleSettingsAccepted(t *testing.T) {
	for _, c := range []struct {
		args []string
		vars map[string]string
		uris []string
	}{
		{nil, map[string]string{"ACCOUNTD_GOOGLE_ISSUER": "http://127.0.0.1:5556/oidc"}, []string{"https://dash.example.com"}},
		{nil, map[string]string{"ACCOUNTD_DASHBOARD_URL": "https://dash.example.com/app/"}, []string{"https://dash.example.com"}},
		{[]string{"-dev"}, map[string]string{"ACCOUNTD_GOOGLE_ISSUER": "http://dex.internal:5556",
			"ACCOUNTD_GOOGLE_REDIRECT_URIS": " http://localhost:3000 , https://dash.example.com "},
			[]string{"http://localhost:3000", "https://dash.example.com"}},
	} {
		vars := map[string]string{"ACCOUNTD_GOOGLE_CLIENT_ID": "id", "ACCOUNTD_GOOGLE_CLIENT_SECRET": "s",
			"ACCOUNTD_GOOGLE_HOSTED_DOMAINS": "Corp.Example", "ACCOUNTD_CAPTCHA_PROVIDER": "turnstile",
			"ACCOUNTD_CAPTCHA_SECRET": "s", "ACCOUNTD_CAPTCHA_SITEKEY": "k", "ACCOUNTD_DASHBOARD_URL": "https://dash.example.com",
			"ACCOUNTD_SMTP_URL": "smtp://127.0.0.1:1", "ACCOUNTD_SECRET_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="}
		for k, v := range c.vars {
			vars[k] = v
		}
		cfg, err := parseConfig("serve", c.args, env(vars), newFlags("serve", &bytes.Buffer{}, &bytes.Buffer{}))
		if err == nil {
			err = cfg.finish()
		}
		if err != nil {
			t.Errorf("%v %v: %v, want accepted", c.args, c.vars, err)
			continue
		}
		g := cfg.socialProviders()["google"]
		if !slices.Equal(g.RedirectURIs, c.uris) || !slices.Equal(g.HostedDomains, []string{"corp.example"}) ||
			!slices.Equal(g.AuthoritativeDomains, []string{"gmail.com", "googlemail.com"}) || g.Provider == nil {
			t.Errorf("%v %v: google = %+v, want redirect URIs %v, hosted corp.example, Gmail authoritative", c.args, c.vars, g, c.uris)
		}
	}
	cfg, err := parseConfig("serve", []string{"-dev"}, env(nil), newFlags("serve", &bytes.Buffer{}, &bytes.Buffer{}))
	if err != nil || cfg.finish() != nil || cfg.socialProviders() != nil {
		t.Errorf("without a client id: socialProviders() = %v, want none (provider: invalid_choice)", cfg.socialProviders())
	}
}

// TestGoogleSignInThroughServe: `serve` with the Google settings pointed at
// a real provider on loopback registers an account through it, and the
// client secret appears nowhere in the log.
func TestGoogleSignInThroughServe(t *testing.T) {
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	app := startServe(t, map[string]string{"ACCOUNTD_GOOGLE_CLIENT_ID": m.ClientID,
		"ACCOUNTD_GOOGLE_CLIENT_SECRET": m.ClientSecret, "ACCOUNTD_GOOGLE_ISSUER": m.Issuer()})
	m.QueueUser(&mockoidc.MockUser{Subject: "77", Email: "serve@gmail.com", EmailVerified: true})
	q := url.Values{"client_id": {m.ClientID}, "response_type": {"code"}, "scope": {"openid email"},
		"state": {"s"}, "redirect_uri": {"https://dash.example.com"}}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(m.AuthorizationEndpoint() + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, _ := url.Parse(res.Header.Get("Location"))
	tok := app.token("POST", "/api/v2/register/social/", map[string]any{"provider": "google",
		"code": loc.Query().Get("code"), "redirect_uri": "https://dash.example.com", "tos_accepted": true})
	if a := app.call("GET", "/api/v2/profile/", tok, nil); a.status != 200 || a.body["email"] != "serve@gmail.com" {
		t.Errorf("profile after register/social = %d %s, want serve@gmail.com", a.status, a.raw)
	}
	if err := app.shutdown(); err != nil {
		t.Fatal(err)
	}
	if log := app.log.String(); strings.Contains(log, m.ClientSecret) || !strings.Contains(log, "sign in with Google on") {
		t.Errorf("the log holds the client secret, or does not say Google sign-in is on:\n%s", log)
	}
}
