package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestServeRefusesProductionWithoutSettings(t *testing.T) {
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"serve"}, env(nil), &out, &errb)
	if err == nil {
		t.Fatal("serve without -dev and without settings started, want a refusal")
	}
	for _, want := range []string{"captcha provider", "https dashboard URL", "SMTP server", "serve -dev"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not name %q", err, want)
		}
	}
}

func TestServeRefusesCaptchaNoneOutsideDev(t *testing.T) {
	err := run(context.Background(), []string{"serve"}, env(map[string]string{
		"ACCOUNTD_CAPTCHA_PROVIDER": "none", "ACCOUNTD_DASHBOARD_URL": "https://a.example",
		"ACCOUNTD_SMTP_URL": "smtp://127.0.0.1:1"}), &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "captcha") || strings.Contains(err.Error(), "SMTP") {
		t.Errorf("serve with captcha none = %v, want a refusal naming only the captcha", err)
	}
}

func TestDevModeListensOnLoopbackOnly(t *testing.T) {
	err := run(context.Background(), []string{"serve", "-dev", "-addr", "0.0.0.0:0"}, env(nil), &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("serve -dev on 0.0.0.0 = %v, want a loopback refusal", err)
	}
}

func TestFlagsWinOverEnvironment(t *testing.T) {
	fs := newFlags("serve", io.Discard, &bytes.Buffer{})
	c, err := parseConfig("serve", []string{"-reset-token-ttl", "30m"}, env(map[string]string{
		"ACCOUNTD_RESET_TOKEN_TTL": "2h", "ACCOUNTD_RESET_EMAILS_PER_HOUR": "5"}), fs)
	if err != nil {
		t.Fatal(err)
	}
	if c.ResetTokenTTL != 30*time.Minute {
		t.Errorf("ResetTokenTTL = %v, want the flag's 30m", c.ResetTokenTTL)
	}
	if c.ResetEmailsPerHour != 5 {
		t.Errorf("ResetEmailsPerHour = %d, want the environment's 5", c.ResetEmailsPerHour)
	}
	if c.Addr != "127.0.0.1:8080" {
		t.Errorf("Addr = %q, want the default 127.0.0.1:8080", c.Addr)
	}
}

func TestBadSettingIsNamed(t *testing.T) {
	_, err := parseConfig("serve", nil, env(map[string]string{"ACCOUNTD_RESET_TOKEN_TTL": "soon"}), newFlags("serve", io.Discard, &bytes.Buffer{}))
	if err == nil || !strings.Contains(err.Error(), "ACCOUNTD_RESET_TOKEN_TTL") {
		t.Errorf("parseConfig with a bad TTL = %v, want an error naming the variable", err)
	}
}

// TestREADMEListsEverySetting keeps the README's configuration table whole.
func TestREADMEListsEverySetting(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range settings() {
		if !bytes.Contains(readme, []byte("`"+s.env+"`")) || !bytes.Contains(readme, []byte("`-"+s.flag+"`")) {
			t.Errorf("README.md does not list %s / -%s", s.env, s.flag)
		}
	}
}

// TestResetLinkNeedsTheDashboardURL: an operator's link goes to a user, so
// it must not point at a default guessed from the listen address.
func TestResetLinkNeedsTheDashboardURL(t *testing.T) {
	err := run(context.Background(), []string{"reset-link", "ada@example.com"}, env(map[string]string{
		"ACCOUNTD_DATABASE_URL": t.TempDir() + "/a.db"}), &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "ACCOUNTD_DASHBOARD_URL") {
		t.Errorf("reset-link without a dashboard URL = %v, want an error naming ACCOUNTD_DASHBOARD_URL", err)
	}
}

func TestPasswordMinLengthSetting(t *testing.T) {
	c, err := parseConfig("serve", []string{"-password-min-length", "15"}, env(nil), newFlags("serve", io.Discard, &bytes.Buffer{}))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.policy().MinLength; got != 15 {
		t.Errorf("policy().MinLength = %d, want 15", got)
	}
	if v := c.policy().Check("Correct-Horse-7", "ada@example.com"); len(v) != 0 {
		t.Errorf("a 15-character password fails %v under a minimum of 15", v)
	}
	if v := c.policy().Check("Correct-Horse", "ada@example.com"); len(v) != 1 || v[0].Code != "password_too_short" {
		t.Errorf("a 13-character password under a minimum of 15 = %v, want password_too_short", v)
	}
	c.Dev = true
	c.PasswordMinLength = 0
	if err := c.finish(); err == nil {
		t.Error("finish() accepted a minimum length of 0")
	}
}

// TestSecretKeyRequiredOutsideDev: outside -dev accountd refuses to start
// without ACCOUNTD_SECRET_KEY, or with one that is not 32 bytes of base64
// (in -dev too), with one message that never holds the value (issue 12 A8).
func TestSecretKeyRequiredOutsideDev(t *testing.T) {
	prod := map[string]string{"ACCOUNTD_CAPTCHA_PROVIDER": "turnstile", "ACCOUNTD_CAPTCHA_SECRET": "s",
		"ACCOUNTD_CAPTCHA_SITEKEY": "k", "ACCOUNTD_DASHBOARD_URL": "https://a.example",
		"ACCOUNTD_SMTP_URL": "smtp://127.0.0.1:1", "ACCOUNTD_DATABASE_URL": t.TempDir() + "/a.db"}
	err := run(context.Background(), []string{"serve"}, env(prod), &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "ACCOUNTD_SECRET_KEY") || !strings.Contains(err.Error(), "openssl rand") {
		t.Errorf("serve without a secret key = %v, want a refusal naming ACCOUNTD_SECRET_KEY and how to make one", err)
	}
	// reset-link -send queues a sealed email the server must open: it needs the key too.
	err = run(context.Background(), []string{"reset-link", "ada@example.com"}, env(prod), &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "ACCOUNTD_SECRET_KEY") {
		t.Errorf("reset-link without a secret key = %v, want a refusal naming ACCOUNTD_SECRET_KEY", err)
	}
	short := "c2l4dGVlbiBieXRlcyBrZXk=" // 16 bytes
	for name, v := range map[string]string{"16 bytes": short, "not base64": "not-base64-at-all!!"} {
		for _, args := range [][]string{{"serve"}, {"serve", "-dev"}} {
			vars := map[string]string{"ACCOUNTD_SECRET_KEY": v, "ACCOUNTD_ADDR": "127.0.0.1:0"}
			for k, pv := range prod {
				vars[k] = pv
			}
			err := run(context.Background(), args, env(vars), &bytes.Buffer{}, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), "ACCOUNTD_SECRET_KEY") || strings.Contains(err.Error(), v) {
				t.Errorf("%v with a key of %s = %v, want a refusal naming ACCOUNTD_SECRET_KEY without its value", args, name, err)
			}
		}
	}
}

// TestHelpNeverShowsTheSecretKey: help output shows "(set)", not the key.
func TestHelpNeverShowsTheSecretKey(t *testing.T) {
	const key = "YWNjb3VudGQgaGVscCB0ZXN0IGtleSwgMzIgYnl0ZXMu"
	for _, args := range [][]string{{"serve", "-h"}, {"serve", "-no-such-flag"}, {"serve", "-secret-key", key, "-h"}} {
		var out, errb bytes.Buffer
		run(context.Background(), args, env(map[string]string{"ACCOUNTD_SECRET_KEY": key}), &out, &errb)
		help := out.String() + errb.String()
		// A usage error no longer lists every flag (issue 20), only -h does.
		named := args[len(args)-1] != "-h" || strings.Contains(help, "ACCOUNTD_SECRET_KEY")
		if strings.Contains(help, key) || !named {
			t.Errorf("accountd %v printed the key, or its help not the setting:\n%s", args, help)
		}
	}
}

// TestTwoFactorSettings: ACCOUNTD_TOTP_SKEW is 0 to 2, ACCOUNTD_EMAIL_2FA
// one of the three policies and ACCOUNTD_SIGNIN_NOTICE on or off; anything
// else is refused at start-up, by name, rather than run without the second
// factor or the notice the operator asked for.
func TestTwoFactorSettings(t *testing.T) {
	for _, c := range []struct {
		flag, value, wantErr string
	}{
		{"-totp-skew", "2", ""},
		{"-totp-skew", "3", "ACCOUNTD_TOTP_SKEW"},
		{"-email-2fa", "off", ""},
		{"-email-2fa", "new_device", ""},
		{"-email-2fa", "always", ""},
		{"-email-2fa", "sometimes", "ACCOUNTD_EMAIL_2FA"},
		{"-signin-notice", "off", ""},
		{"-signin-notice", "no", "ACCOUNTD_SIGNIN_NOTICE"},
		{"-federated-access", "write", ""},
		{"-federated-access", "all", "ACCOUNTD_FEDERATED_ACCESS"},
		{"-admin-token", "short", "ACCOUNTD_ADMIN_TOKEN"},
		{"-admin-token", strings.Repeat("x", 32), ""},
	} {
		c2, err := parseConfig("serve", []string{"-dev", c.flag, c.value}, env(nil), newFlags("serve", io.Discard, &bytes.Buffer{}))
		if err == nil {
			err = c2.finish()
		}
		if c.wantErr == "" && err != nil || c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)) {
			t.Errorf("%s %s: %v, want an error containing %q", c.flag, c.value, err, c.wantErr)
		}
	}
}
