package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
)

// secretLike names the settings that hold a secret as a whole. It is written
// here on its own, not taken from config.go, so a new setting such as
// ACCOUNTD_SECRET_KEY or ACCOUNTD_ADMIN_TOKEN is tested whether or not the
// code knows it is secret. Words, not substrings: ACCOUNTD_TOKEN_IDLE_TTL
// and ACCOUNTD_PASSWORD_MIN_LENGTH hold no secret, and help must show their
// defaults.
var secretLike = regexp.MustCompile(`_SECRET(_|$)|_(PASSWORD|TOKEN)$`)

// leakMarker is the secret part of every value the test sets.
const leakMarker = "hunter2Leak"

type secretCase struct {
	s     setting
	value string
}

// secretCases returns, for every setting that may hold a secret, the value
// to set: the whole value for secret-like names, a URL with a password and a
// password parameter for the URL settings (SMTP, database, Redis…).
func secretCases(t *testing.T) []secretCase {
	t.Helper()
	var out []secretCase
	for _, s := range settings() {
		switch {
		case secretLike.MatchString(s.env):
			out = append(out, secretCase{s, leakMarker + "-0123456789abcdef"})
		case strings.HasSuffix(s.env, "_URL"):
			scheme := "https"
			switch s.env {
			case "ACCOUNTD_SMTP_URL":
				scheme = "smtp"
			case "ACCOUNTD_DATABASE_URL":
				scheme = "postgres"
			case "ACCOUNTD_REDIS_URL":
				scheme = "redis"
			}
			out = append(out, secretCase{s, scheme + "://user:" + leakMarker + "@host.example:1234/x?password=" + leakMarker + "q"})
		}
	}
	for _, env := range []string{"ACCOUNTD_SMTP_URL", "ACCOUNTD_CAPTCHA_SECRET", "ACCOUNTD_DATABASE_URL", "ACCOUNTD_REDIS_URL"} {
		found := false
		for _, c := range out {
			found = found || c.s.env == env
		}
		if !found {
			t.Errorf("%s is not among the secret settings tested", env)
		}
	}
	return out
}

// TestSecretsNeverShownInHelpOrUsage: `accountd serve -h`, a mistyped flag
// and a bad value never print a secret setting's value, whether it comes
// from the environment or a flag (issue 12, defect 12). The flag package
// prints every setting's current value as its default.
func TestSecretsNeverShownInHelpOrUsage(t *testing.T) {
	for _, c := range secretCases(t) {
		s, value := c.s, c.value
		t.Run(s.env, func(t *testing.T) {
			vars := map[string]string{s.env: value}
			for _, args := range [][]string{
				{"serve", "-h"},
				{"serve", "-no-such-flag"},
				{"migrate", "-h"},
				{"reset-link", "-h"},
				{"serve", "-" + s.flag, value, "-no-such-flag"},
				{"serve", "-" + s.flag, value, "-reset-token-ttl", "soon"},
			} {
				var out, errb bytes.Buffer
				err := run(context.Background(), args, env(vars), &out, &errb)
				shown := out.String() + errb.String()
				if err != nil {
					shown += err.Error()
				}
				if strings.Contains(shown, leakMarker) {
					t.Errorf("accountd %s with %s set shows its secret:\n%s", strings.Join(args, " "), s.env, shown)
				}
			}
		})
	}
}

// TestSecretsShownAsSet: help says that a secret is set, and shows a URL with
// its password replaced, so an operator can still check the settings.
func TestSecretsShownAsSet(t *testing.T) {
	var help bytes.Buffer // -h prints to stdout (issue 20)
	run(context.Background(), []string{"serve", "-h"}, env(map[string]string{
		"ACCOUNTD_CAPTCHA_SECRET": "s3cret-value",
		"ACCOUNTD_SMTP_URL":       "smtp://mailer:p%40ss@smtp.example.com:587",
		"ACCOUNTD_DATABASE_URL":   "accountd-test.db",
	}), &help, &bytes.Buffer{})
	for _, want := range []string{
		"(ACCOUNTD_CAPTCHA_SECRET) (default (set))",
		"(default smtp://mailer:xxxxx@smtp.example.com:587)",
		"(default accountd-test.db)",
		// Settings named like secrets but holding none show their value.
		"(ACCOUNTD_TOKEN_IDLE_TTL) (default 14d)",
		"(ACCOUNTD_PASSWORD_MIN_LENGTH) (default 8)",
	} {
		if !strings.Contains(help.String(), want) {
			t.Errorf("serve -h does not show %q:\n%s", want, help.String())
		}
	}
}

// TestSecretRefusedWithoutItsValue: a secret setting whose value is refused
// is named without the value, from the environment or a flag.
func TestSecretRefusedWithoutItsValue(t *testing.T) {
	refuse := setting{flag: "test-secret", env: "ACCOUNTD_TEST_SECRET", set: func(*config, string) error {
		return fmt.Errorf("%q is not valid base64", leakMarker)
	}}
	for _, args := range [][]string{nil, {"-test-secret", leakMarker}} {
		vars := map[string]string{}
		if args == nil {
			vars["ACCOUNTD_TEST_SECRET"] = leakMarker
		}
		var errb bytes.Buffer
		_, _, err := parseSettings([]setting{refuse}, args, env(vars), newFlags("serve", io.Discard, &errb))
		if err == nil || !strings.Contains(err.Error(), "test-secret") && !strings.Contains(err.Error(), "TEST_SECRET") {
			t.Errorf("parse with a refused secret (args %q) = %v, want an error naming the setting", args, err)
		}
		if err != nil && strings.Contains(err.Error()+errb.String(), leakMarker) {
			t.Errorf("parse with a refused secret (args %q) shows it: %v\n%s", args, err, errb.String())
		}
	}
}
