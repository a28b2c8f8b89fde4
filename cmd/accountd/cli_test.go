package main

import (
	"bytes"
	"context"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/smtptest"
	"github.com/accountd/accountd/internal/twofactor"
)

// runCmd runs accountd with args and the environment vars.
func runCmd(t *testing.T, vars map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = run(context.Background(), args, env(vars), &out, &errb)
	return out.String(), errb.String(), err
}

// TestHelpListsEveryCommand: `accountd help` names every command with one
// line, to stdout, and says what purge really erases.
func TestHelpListsEveryCommand(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		out, errs, err := runCmd(t, nil, args...)
		if err != nil || errs != "" {
			t.Errorf("accountd %s = %v, stderr %q; want success, help on stdout", args[0], err, errs)
		}
		for _, want := range []string{"serve", "migrate", "reset-link", "audit", "mail list", "mail retry", "purge", "version",
			"erase deleted accounts past the grace period and old sent mail"} {
			if !strings.Contains(out, want) {
				t.Errorf("accountd %s does not show %q:\n%s", args[0], want, out)
			}
		}
	}
}

// TestSubcommandHelp: `accountd NAME -h` succeeds (exit 0), prints to
// stdout and shows the command's own flags, not serve's thirty-odd.
func TestSubcommandHelp(t *testing.T) {
	cases := []struct {
		args      []string
		want, not []string
	}{
		{[]string{"serve"}, []string{"-dev", "-no-migrate", "-smtp-url", "-captcha-secret", "-secret-key"}, nil},
		{[]string{"migrate"}, []string{"-database-url"}, []string{"-smtp-url", "-secret-key", "-dev"}},
		{[]string{"reset-link"}, []string{"-send", "-dev", "-dashboard-url", "-database-url", "-secret-key", "EMAIL"},
			[]string{"-smtp-url", "-captcha-secret", "-no-migrate"}},
		{[]string{"audit"}, []string{"-email", "-account", "-since", "-limit", "-database-url"}, []string{"-smtp-url", "-send"}},
		{[]string{"mail", "list"}, []string{"-status", "-limit", "-database-url"}, []string{"-smtp-url", "-send"}},
		{[]string{"mail", "retry"}, []string{"-database-url", "ID"}, []string{"-status", "-smtp-url"}},
		{[]string{"purge"}, []string{"-delete-grace", "-mail-retention", "-audit-retention", "-database-url"}, []string{"-smtp-url", "-status"}},
		{[]string{"version"}, nil, []string{"-database-url"}},
	}
	for _, c := range cases {
		for _, h := range []string{"-h", "-help", "--help"} {
			name := strings.Join(c.args, " ")
			out, errs, err := runCmd(t, nil, append(slices.Clone(c.args), h)...)
			if err != nil || errs != "" {
				t.Errorf("accountd %s %s = %v, stderr %q; want success with the help on stdout", name, h, err, errs)
			}
			if !strings.HasPrefix(out, "Usage: accountd "+name) {
				t.Errorf("accountd %s %s starts %q, want Usage: accountd %s", name, h, firstLine(out), name)
			}
			for _, f := range c.want {
				if !strings.Contains(out, "  "+f) && !strings.Contains(out, " "+f+"\n") {
					t.Errorf("accountd %s %s does not show %s:\n%s", name, h, f, out)
				}
			}
			for _, f := range c.not {
				if strings.Contains(out, "  "+f+" ") {
					t.Errorf("accountd %s %s shows %s, a flag it does not take:\n%s", name, h, f, out)
				}
			}
		}
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// TestUsageErrorPointsToHelp: a mistyped flag fails, on stderr, naming the
// flag and where the flags are listed.
func TestUsageErrorPointsToHelp(t *testing.T) {
	out, errs, err := runCmd(t, nil, "audit", "-emial", "ada@example.com")
	if err == nil || out != "" || !strings.Contains(errs, "-emial") || !strings.Contains(errs, "accountd audit -h") {
		t.Errorf("audit -emial = %v, stdout %q, stderr %q; want a failure naming the flag and accountd audit -h", err, out, errs)
	}
}

// TestVersion: `accountd version` and -version name the build, the commit
// (or unknown, as under -buildvcs=false) and the Go version.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"-version"}, {"--version"}} {
		out, _, err := runCmd(t, nil, args...)
		if err != nil || !strings.HasPrefix(out, "accountd ") || !strings.Contains(out, "go:          "+runtime.Version()) ||
			!strings.Contains(out, "commit:") {
			t.Errorf("accountd %s = %v:\n%s\nwant the version, commit and %s", args[0], err, out, runtime.Version())
		}
	}
	full := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.time", Value: "2026-11-27T13:58:10Z"}, {Key: "vcs.modified", Value: "true"}}}
	for _, c := range []struct {
		bi   *debug.BuildInfo
		want string
	}{
		{full, "accountd v1.2.3\ncommit:      0123abcd (with uncommitted changes)\ncommit time: 2026-11-27T13:58:10Z\ngo:          go1.26.0\n"},
		{&debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}},
			"accountd (devel)\ncommit:      unknown\ncommit time: unknown\ngo:          go1.26.0\n"},
		{nil, "accountd unknown\ncommit:      unknown\ncommit time: unknown\ngo:          unknown\n"},
	} {
		if got := versionText(c.bi); got != c.want {
			t.Errorf("versionText(%+v) =\n%s\nwant\n%s", c.bi, got, c.want)
		}
	}
}

// TestFlagsFirst: flags after positional arguments are flags; a flag's
// value stays with it; "--" ends the flags.
func TestFlagsFirst(t *testing.T) {
	fs := newFlags("reset-link", io.Discard, io.Discard)
	fs.Bool("send", false, "")
	fs.String("database-url", "", "")
	for _, c := range []struct{ in, want []string }{
		{[]string{"ada@example.com", "-send"}, []string{"-send", "--", "ada@example.com"}},
		{[]string{"-send", "ada@example.com"}, []string{"-send", "--", "ada@example.com"}},
		{[]string{"ada@example.com", "-database-url", "x.db", "-send"}, []string{"-database-url", "x.db", "-send", "--", "ada@example.com"}},
		{[]string{"ada@example.com", "--database-url=x.db"}, []string{"--database-url=x.db", "--", "ada@example.com"}},
		{[]string{"-send", "--", "-odd@example.com", "-send"}, []string{"-send", "--", "-odd@example.com", "-send"}},
		{[]string{"-send"}, []string{"-send"}},
	} {
		if got := flagsFirst(fs, c.in); !slices.Equal(got, c.want) {
			t.Errorf("flagsFirst(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestFlagsAfterArguments: `reset-link EMAIL -send` and `reset-link -dev
// EMAIL -send` do what they say, as users expect.
func TestFlagsAfterArguments(t *testing.T) {
	vars := map[string]string{"ACCOUNTD_DATABASE_URL": testDatabaseURL(t), "ACCOUNTD_SECRET_KEY": testSecretKey}
	app := startServe(t, vars)
	app.register("ada@example.com", "Correct-Horse-7391")
	for _, args := range [][]string{
		{"reset-link", "ada@example.com", "-send", "-dev"},
		{"reset-link", "-dev", "ada@example.com", "-send"},
	} {
		out, errs, err := runCmd(t, vars, args...)
		if err != nil || !strings.Contains(out, "reset email queued") {
			t.Errorf("accountd %s = %v, %q (stderr %q); want the email queued", strings.Join(args, " "), err, out, errs)
		}
	}
	out, _, err := runCmd(t, vars, "mail", "list", "-dev", "-status", "queued")
	if err == nil && strings.Count(out, "reset_link") > 2 {
		t.Errorf("more reset emails than asked for:\n%s", out)
	}
}

// TestAuditFollowsTheAccount: -account and -email select one account's
// whole history, across a change of address and the reset request made
// before the worker knew the account; -since takes days.
func TestAuditFollowsTheAccount(t *testing.T) {
	vars := map[string]string{"ACCOUNTD_DATABASE_URL": testDatabaseURL(t), "ACCOUNTD_SECRET_KEY": testSecretKey}
	if _, errs, err := runCmd(t, vars, "migrate"); err != nil {
		t.Fatalf("migrate: %v\n%s", err, errs)
	}
	cfg, _, err := parseConfigArgs(nil, env(vars), newFlags("serve", io.Discard, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	a, err := opsApp(context.Background(), cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, now := context.Background(), time.Now()
	u := account.User{Email: "new@example.com", EmailKey: account.EmailKey("new@example.com"), PasswordHash: "x",
		Timezone: "UTC", CreatedAt: now, UpdatedAt: now, PasswordChangedAt: now, EmailChangedAt: now}
	other := account.User{Email: "bob@example.com", EmailKey: account.EmailKey("bob@example.com"), PasswordHash: "x",
		Timezone: "UTC", CreatedAt: now, UpdatedAt: now, PasswordChangedAt: now, EmailChangedAt: now}
	for _, p := range []*account.User{&u, &other} {
		if err := a.store.CreateUser(ctx, p); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
	}
	for _, e := range []account.Event{
		{Time: now.Add(-10 * 24 * time.Hour), Type: "ancient", UserID: u.ID, Email: "old@example.com"},
		{Time: now.Add(-3 * 24 * time.Hour), Type: "registered", UserID: u.ID, Email: "old@example.com"},
		{Time: now.Add(-time.Hour), Type: "reset_requested", Email: "new@example.com"},
		{Time: now.Add(-time.Minute), Type: "login", UserID: u.ID, Email: "new@example.com"},
		{Time: now.Add(-time.Minute), Type: "bobs_login", UserID: other.ID, Email: "bob@example.com"},
	} {
		e.EmailKey = account.EmailKey(e.Email)
		if err := a.store.AddEvent(ctx, &e); err != nil {
			t.Fatalf("AddEvent: %v", err)
		}
	}
	a.Close()
	want := []string{"registered", "reset_requested", "login"}
	for _, args := range [][]string{
		{"audit", "-account", fmt.Sprint(u.ID), "-since", "7d"},
		{"audit", "-email", "New@example.com", "-since", "7d"},
	} {
		out, errs, err := runCmd(t, vars, args...)
		if err != nil {
			t.Fatalf("accountd %s: %v\n%s", strings.Join(args, " "), err, errs)
		}
		if got := auditTypes(out); !slices.Equal(got, []string{"login", "reset_requested", "registered"}) {
			t.Errorf("accountd %s lists %q, want %q newest first:\n%s", strings.Join(args, " "), got, want, out)
		}
	}
}

// auditTypes is the EVENT column of audit's table.
func auditTypes(out string) []string {
	var types []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		if f := strings.Fields(line); len(f) > 1 {
			types = append(types, f[1])
		}
	}
	return types
}

// TestResetSentNamesTheAccount: the audit row of a delivered reset email
// carries the account's id (it showed 0).
func TestResetSentNamesTheAccount(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Config{})
	vars := map[string]string{"ACCOUNTD_DATABASE_URL": testDatabaseURL(t), "ACCOUNTD_SECRET_KEY": testSecretKey,
		"ACCOUNTD_SMTP_URL": srv.URL("")}
	app := startServe(t, vars)
	tok := app.register("ada@example.com", "Correct-Horse-7391")
	p, err := app.client.WithToken(tok).Profile(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprint(p.ID)
	if err := app.client.RequestReset(context.Background(), "ada@example.com", ""); err != nil {
		t.Fatalf("reset request = %v", err)
	}
	resetMail(t, srv, "ada@example.com")
	var out string
	eventually(t, "a reset_sent event", func() bool {
		out, _, _ = runCmd(t, vars, "audit", "-email", "ada@example.com")
		return strings.Contains(out, "reset_sent")
	})
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 2 && f[1] == "reset_sent" && f[2] != id {
			t.Errorf("reset_sent names account %s, want %s:\n%s", f[2], id, out)
		}
	}
}

// TestMailListShowsTheInboxPage: in development, `mail list` shows where
// each email is in the inbox; the outbox's own id (for mail retry) differs.
func TestMailListShowsTheInboxPage(t *testing.T) {
	vars := map[string]string{"ACCOUNTD_DATABASE_URL": testDatabaseURL(t), "ACCOUNTD_SECRET_KEY": testSecretKey}
	app := startServe(t, vars)
	// An outbox row with no inbox copy first, so the numbering parts.
	if err := app.client.RequestReset(context.Background(), "nobody@example.com", ""); err != nil {
		t.Fatal(err)
	}
	app.register("ada@example.com", "Correct-Horse-7391")
	var page string
	eventually(t, "mail list shows the activation email's inbox page", func() bool {
		out, _, _ := runCmd(t, vars, "mail", "list", "-dev")
		for _, line := range strings.Split(out, "\n") {
			if f := strings.Fields(line); len(f) > 4 && f[4] == "ada@example.com" && strings.HasPrefix(f[1], "/dev/mail/") {
				page = f[1]
			}
		}
		return page != ""
	})
	res, err := http.Get(app.api + page)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), "ada@example.com") {
		t.Errorf("GET %s = %d, want the activation email to ada@example.com:\n%s", page, res.StatusCode, body)
	}
}

// TestUserTwoFactorReset: the command takes one address and names an
// unknown one (the effect is tested in web's TestTwoFactorOperatorReset).
func TestUserTwoFactorReset(t *testing.T) {
	vars := map[string]string{"ACCOUNTD_DATABASE_URL": testDatabaseURL(t), "ACCOUNTD_SECRET_KEY": testSecretKey}
	if _, errs, err := runCmd(t, vars, "migrate"); err != nil {
		t.Fatalf("migrate: %v\n%s", err, errs)
	}
	if _, _, err := runCmd(t, vars, "user", "2fa-reset"); err == nil {
		t.Error("user 2fa-reset without an address succeeded")
	}
	if _, _, err := runCmd(t, vars, "user", "2fa-reset", "nobody@example.com"); err == nil ||
		!strings.Contains(err.Error(), "No active account") {
		t.Errorf("user 2fa-reset of an unknown address = %v, want no active account", err)
	}
}

// TestTOTPCommand: `accountd totp` prints the code an app would show for a
// secret_key (computed by twofactor, whose RFC 6238 vectors are tested),
// and -pair the body activate takes; a secret that is not base32 is named.
func TestTOTPCommand(t *testing.T) {
	secret := []byte("12345678901234567890")
	key := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret)
	before := twofactor.StepAt(time.Now())
	out, _, err := runCmd(t, nil, "totp", key)
	after := twofactor.StepAt(time.Now())
	got := strings.TrimSpace(out)
	if err != nil || got != twofactor.CodeAt(secret, before) && got != twofactor.CodeAt(secret, after) {
		t.Errorf("accountd totp = %q, %v; want the current code", out, err)
	}
	out, _, err = runCmd(t, nil, "totp", "-pair", strings.ToLower(key))
	var pair map[string]string
	if err != nil || json.Unmarshal([]byte(out), &pair) != nil || len(pair["code_1"]) != 6 || len(pair["code_2"]) != 6 {
		t.Errorf("accountd totp -pair = %q, %v; want {\"code_1\", \"code_2\"}", out, err)
	}
	if _, _, err := runCmd(t, nil, "totp", "not base32!"); err == nil || !strings.Contains(err.Error(), "base32") {
		t.Errorf("accountd totp with a bad secret = %v, want an error naming base32", err)
	}
}
