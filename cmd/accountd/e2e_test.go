package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accountd/accountd/client"
	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/openapitest"
	"github.com/accountd/accountd/internal/smtptest"
	"github.com/accountd/accountd/internal/testdb"
)

// lockedBuffer collects the process's log from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// testDatabaseURL is a fresh database for one test: a PostgreSQL schema when
// ACCOUNTD_TEST_POSTGRES_URL is set, else a SQLite file.
func testDatabaseURL(t *testing.T) string {
	if os.Getenv("ACCOUNTD_TEST_POSTGRES_URL") != "" {
		return testdb.PostgresSchema(t)
	}
	return filepath.Join(t.TempDir(), "accountd.db")
}

// running is an accountd started through run(… "serve" …).
type running struct {
	t   *testing.T
	api string
	// client calls the API; every answer is checked against
	// docs/openapi.yaml.
	client   *client.Client
	admin    string
	log      *lockedBuffer
	stop     context.CancelFunc
	finished chan error
}

// testSecretKey is the ACCOUNTD_SECRET_KEY of every run of these tests, so
// a command run after serve (or serve after a restart) opens what it sealed.
const testSecretKey = "YWNjb3VudGQgZTJlIHRlc3Qga2V5LCAzMiBieXRlcy4="

var listenLine = regexp.MustCompile(`listening on (https?://\S+) \(admin (http://\S+)\)`)

// startServe runs `accountd serve -dev` with the given environment on free
// ports and waits until it listens.
func startServe(t *testing.T, vars map[string]string) *running {
	t.Helper()
	all := map[string]string{
		"ACCOUNTD_ADDR":          "127.0.0.1:0",
		"ACCOUNTD_ADMIN_ADDR":    "127.0.0.1:0",
		"ACCOUNTD_DATABASE_URL":  testDatabaseURL(t),
		"ACCOUNTD_DASHBOARD_URL": "https://dash.example.com",
		"ACCOUNTD_LOG_LEVEL":     "debug",
		"ACCOUNTD_SECRET_KEY":    testSecretKey,
	}
	for k, v := range vars {
		all[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	r := &running{t: t, log: &lockedBuffer{}, stop: cancel, finished: make(chan error, 1)}
	go func() {
		err := run(ctx, []string{"serve", "-dev"}, env(all), pw, r.log)
		pw.CloseWithError(io.EOF)
		r.finished <- err
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	go io.Copy(io.Discard, pr)
	m := listenLine.FindStringSubmatch(line)
	if m == nil {
		cancel()
		t.Fatalf("serve printed %q (%v), want a listening line; log:\n%s", line, err, r.log)
	}
	r.api, r.admin = m[1], m[2]
	r.client = client.New(r.api, client.WithUserAgent("e2e-test/1.0"),
		client.WithHTTPClient(&http.Client{Transport: openapitest.Transport(t, nil)}))
	t.Cleanup(func() { r.shutdown() })
	return r
}

// shutdown stops the service and waits for run to return.
func (r *running) shutdown() error {
	r.stop()
	select {
	case err, ok := <-r.finished:
		if ok {
			close(r.finished)
		}
		return err
	case <-time.After(30 * time.Second):
		r.t.Fatal("serve did not return within 30 s of shutdown")
		return nil
	}
}

// register creates an account and returns its login token.
func (r *running) register(email, password string) string {
	r.t.Helper()
	res, err := r.client.Register(context.Background(), client.RegisterRequest{Email: email, Password: password, TOSAccepted: true})
	if err != nil || res.Token == "" {
		r.t.Fatalf("register %s = %+v, %v; want a token", email, res, err)
	}
	return res.Token
}

// login returns a new login token.
func (r *running) login(email, password string) string {
	r.t.Helper()
	tok, err := r.client.Login(context.Background(), client.LoginRequest{Email: email, Password: password})
	if err != nil {
		r.t.Fatalf("login %s = %v, want a token", email, err)
	}
	return tok
}

// wantAPIError fails unless err is an answer of the API with the status and,
// on field when not "", the code.
func wantAPIError(t *testing.T, what string, err error, status int, field, code string) {
	t.Helper()
	var e *client.Error
	if !errors.As(err, &e) || e.Status != status || field != "" && e.FieldCode(field) != code {
		t.Errorf("%s = %v, want %d with %s/%s", what, err, status, field, code)
	}
}

var confirmLink = regexp.MustCompile(`https://dash\.example\.com/resetpassword/([0-9a-f]{64})/confirm/`)

// nextMail returns the next message that is not an activation email (every
// registration sends one).
func nextMail(t *testing.T, srv *smtptest.Server) smtptest.Received {
	t.Helper()
	for {
		msg := srv.Wait()
		if smtptest.Parse(t, msg.Data).Header.Get("Subject") != "Confirm your email address" {
			return msg
		}
	}
}

// resetMail waits for the next message and returns its reset token, checking
// that the text and HTML parts both carry the link.
func resetMail(t *testing.T, srv *smtptest.Server, to string) string {
	t.Helper()
	msg := nextMail(t, srv)
	if len(msg.To) != 1 || msg.To[0] != to {
		t.Fatalf("reset mail went to %v, want [%s]", msg.To, to)
	}
	p := smtptest.Parse(t, msg.Data)
	if p.Header.Get("Message-Id") == "" {
		t.Error("reset mail has no Message-ID")
	}
	m := confirmLink.FindStringSubmatch(p.Parts["text/plain"])
	if m == nil {
		t.Fatalf("reset mail text has no confirm link:\n%s", p.Parts["text/plain"])
	}
	if !strings.Contains(p.Parts["text/html"], m[0]) {
		t.Errorf("the HTML part lacks the link %s", m[0])
	}
	return m[1]
}

// TestServeEndToEnd drives the real program: register, log in twice, ask for
// two resets, read them from a real SMTP server, complete one, and check
// every consequence the contract promises; then the logs hold no secret.
func TestServeEndToEnd(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Config{})
	app := startServe(t, map[string]string{"ACCOUNTD_SMTP_URL": srv.URL(""), "ACCOUNTD_MAIL_FROM": "noreply@example.com"})
	const email, oldPW, newPW = "ada@example.com", "Correct-Horse-7391", "Battery-Staple-5501"

	ctx := context.Background()
	regTok := app.register(email, oldPW)
	login1, login2 := app.login(email, oldPW), app.login(email, oldPW)

	for i := 0; i < 2; i++ {
		if err := app.client.RequestReset(ctx, email, ""); err != nil {
			t.Fatalf("reset request = %v, want 204", err)
		}
	}
	first, second := resetMail(t, srv, email), resetMail(t, srv, email)

	newTok, err := app.client.CompleteReset(ctx, first, newPW, "")
	if err != nil {
		t.Fatalf("reset complete = %v, want a token", err)
	}
	for _, old := range []string{regTok, login1, login2} {
		_, err := app.client.WithToken(old).Profile(ctx)
		wantAPIError(t, "profile with a token from before the reset", err, 401, "", "")
	}
	if p, err := app.client.WithToken(newTok).Profile(ctx); err != nil || p.Email != email {
		t.Errorf("profile with the new token = %+v, %v; want %s's", p, err, email)
	}
	_, err = app.client.Login(ctx, client.LoginRequest{Email: email, Password: oldPW})
	wantAPIError(t, "login with the old password", err, 400, "non_field_errors", "authorization")
	lastTok := app.login(email, newPW)
	for name, tok := range map[string]string{"the used token": first, "the second outstanding token": second} {
		_, err := app.client.CompleteReset(ctx, tok, "Another-Pass-8812", "")
		wantAPIError(t, "complete with "+name, err, 400, "password_reset_token", "invalid")
	}

	notice := nextMail(t, srv)
	if p := smtptest.Parse(t, notice.Data); !strings.Contains(strings.ToLower(p.Header.Get("Subject")), "password") ||
		p.Type != "multipart/alternative" {
		t.Errorf("after the reset got %q (%s), want the multipart password changed notice", p.Header.Get("Subject"), p.Type)
	}
	checkAdmin(t, app)
	if err := app.shutdown(); err != nil {
		t.Errorf("serve returned %v after shutdown, want nil", err)
	}

	log := app.log.String()
	for what, secret := range map[string]string{"old password": oldPW, "new password": newPW, "register token": regTok,
		"login token": login1, "new token": newTok, "last token": lastTok, "reset token": first, "second reset token": second} {
		if strings.Contains(log, secret) {
			t.Errorf("the log contains the %s", what)
		}
	}
}

// checkAdmin checks the admin listener: health, readiness and metrics.
func checkAdmin(t *testing.T, app *running) {
	t.Helper()
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready", "/metrics": "accountd_audit_events_total"} {
		res, err := http.Get(app.admin + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Errorf("GET %s = %d, want 200 containing %q", path, res.StatusCode, want)
		}
		if path != "/metrics" {
			continue
		}
		for _, metric := range []string{"accountd_mail_queued ", "accountd_mail_dead 0",
			"accountd_mail_oldest_queued_age_seconds ", "accountd_mail_sent_latency_seconds_count{kind=\"reset_link\"} 2",
			"accountd_http_request_duration_seconds_count"} {
			if !strings.Contains(string(b), metric) {
				t.Errorf("/metrics lacks %q", metric)
			}
		}
	}
}

// TestOperatorCommands issues a reset link from the command line against the
// database of a running service, uses it, and reads the audit trail.
func TestOperatorCommands(t *testing.T) {
	vars := map[string]string{"ACCOUNTD_DATABASE_URL": testDatabaseURL(t), "ACCOUNTD_DASHBOARD_URL": "https://dash.example.com",
		"ACCOUNTD_SECRET_KEY": testSecretKey}
	app := startServe(t, vars)
	app.register("ada@example.com", "Correct-Horse-7391")

	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"reset-link", "ADA@example.com"}, env(vars), &out, &errb); err != nil {
		t.Fatalf("reset-link: %v\n%s", err, errb.String())
	}
	m := confirmLink.FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("reset-link printed %q, want a confirm link", out.String())
	}
	if err := app.client.CheckReset(context.Background(), m[1]); err != nil {
		t.Errorf("check of the operator's link = %v, want 204", err)
	}
	if err := run(context.Background(), []string{"reset-link", "nobody@example.com"}, env(vars), &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
		t.Error("reset-link for an unknown address succeeded, want an error")
	}

	out.Reset()
	if err := run(context.Background(), []string{"audit", "-email", "ada@example.com", "-since", "1h"}, env(vars), &out, &errb); err != nil {
		t.Fatalf("audit: %v\n%s", err, errb.String())
	}
	for _, want := range []string{"registered", "reset_link_issued", "reset_checked"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("audit output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), m[1]) {
		t.Error("the audit output contains the reset token")
	}
}

// eventually polls cond until it holds or 10 s pass: the running service
// works on its own schedule, and this waits for what it promises.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestMailListAndRetry: a mail the SMTP server refuses for good goes dead,
// shows in `mail list -status dead`, and `mail retry` sends it once the
// server accepts it.
func TestMailListAndRetry(t *testing.T) {
	var refuse atomic.Bool
	refuse.Store(true)
	srv := smtptest.Start(t, smtptest.Config{Rcpt: func(string) error {
		if refuse.Load() {
			return smtptest.Reply(550, [3]int{5, 1, 1}, "No such user")
		}
		return nil
	}})
	vars := map[string]string{"ACCOUNTD_DATABASE_URL": testDatabaseURL(t),
		"ACCOUNTD_SMTP_URL": srv.URL(""), "ACCOUNTD_DASHBOARD_URL": "https://dash.example.com",
		"ACCOUNTD_SECRET_KEY": testSecretKey}
	app := startServe(t, vars)
	tok := app.register("ada@example.com", "Correct-Horse-7391")
	if err := app.client.WithToken(tok).ChangePassword(context.Background(), "Correct-Horse-7391", "Battery-Staple-5501"); err != nil {
		t.Fatalf("change password = %v", err)
	}
	list := func(status string) string {
		var out, errb bytes.Buffer
		if err := run(context.Background(), []string{"mail", "list", "-status", status}, env(vars), &out, &errb); err != nil {
			t.Fatalf("mail list: %v %s", err, errb.String())
		}
		return out.String()
	}
	eventually(t, "the refused notice is not listed as dead", func() bool { return strings.Contains(list("dead"), "password_changed") })
	id := strings.Fields(strings.Split(list("dead"), "\n")[1])[0]

	refuse.Store(false)
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"mail", "retry", id}, env(vars), &out, &errb); err != nil {
		t.Fatalf("mail retry %s: %v %s", id, err, errb.String())
	}
	msg := nextMail(t, srv)
	if len(msg.To) != 1 || msg.To[0] != "ada@example.com" {
		t.Errorf("the retried mail went to %v, want ada@example.com", msg.To)
	}
	eventually(t, "the retried mail is not listed as sent", func() bool { return strings.Contains(list("sent"), "password_changed") })
	if err := run(context.Background(), []string{"mail", "retry", id}, env(vars), &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
		t.Error("retrying a sent mail succeeded, want an error")
	}
}

// TestAccountEmailsOverSMTP: the emails of activation and change of
// address reach a real SMTP server, each with the right link.
func TestAccountEmailsOverSMTP(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Config{})
	app := startServe(t, map[string]string{"ACCOUNTD_SMTP_URL": srv.URL(""), "ACCOUNTD_MAIL_FROM": "noreply@example.com"})
	tok := app.register("ada@example.com", "Correct-Horse-7391")

	// mail returns the next message's recipient, subject and text part.
	mail := func() (to, subject, text string) {
		t.Helper()
		msg := srv.Wait()
		p := smtptest.Parse(t, msg.Data)
		return strings.Join(msg.To, ","), p.Header.Get("Subject"), p.Parts["text/plain"]
	}
	to, subject, text := mail()
	act := regexp.MustCompile(`https://dash\.example\.com/activation/([0-9a-f]{64})/confirm/`).FindStringSubmatch(text)
	if to != "ada@example.com" || act == nil {
		t.Fatalf("after register: mail to %s %q without an activation link:\n%s", to, subject, text)
	}
	ctx, ada := context.Background(), app.client.WithToken(tok)
	if _, err := app.client.CompleteActivation(ctx, act[1]); err != nil {
		t.Errorf("activation with the emailed link = %v, want 200", err)
	}

	if err := ada.ChangeEmail(ctx, "Correct-Horse-7391", "ada@example.org"); err != nil {
		t.Fatalf("change email = %v", err)
	}
	got := map[string]string{}
	for i := 0; i < 2; i++ {
		to, _, text := mail()
		got[to] = text
	}
	code := regexp.MustCompile(`https://dash\.example\.com/changeemail/([0-9a-f]{64})/confirm/`).FindStringSubmatch(got["ada@example.org"])
	if code == nil {
		t.Fatalf("the new address got no confirmation link:\n%s", got["ada@example.org"])
	}
	if !strings.Contains(got["ada@example.com"], "ada@example.org") || strings.Contains(got["ada@example.com"], code[1]) {
		t.Errorf("the notice to the old address should name the new one and hold no code:\n%s", got["ada@example.com"])
	}
	if err := ada.CompleteEmailChange(ctx, code[1]); err != nil {
		t.Fatalf("complete the change = %v", err)
	}
	to, subject, _ = mail()
	if to != "ada@example.com" || !strings.Contains(strings.ToLower(subject), "changed") {
		t.Errorf("after the change: mail to %s %q, want the changed notice to the old address", to, subject)
	}
}

// TestPasswordMinLengthReachesTheService: the setting governs what the API
// accepts and what the pages say.
func TestPasswordMinLengthReachesTheService(t *testing.T) {
	app := startServe(t, map[string]string{"ACCOUNTD_PASSWORD_MIN_LENGTH": "15"})
	_, err := app.client.Register(context.Background(),
		client.RegisterRequest{Email: "ada@example.com", Password: "Correct-Horse", TOSAccepted: true})
	var e *client.Error
	if !errors.As(err, &e) || e.FieldCode("password") != "password_too_short" ||
		!strings.Contains(e.Fields["password"][0].Message, "at least 15") {
		t.Errorf("register with 13 characters under a minimum of 15 = %v, want 400 password_too_short", err)
	}
	res, err := http.Get(app.api + "/resetpassword/" + strings.Repeat("ab", 32) + "/confirm/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(page), "At least 15 characters") {
		t.Error("the confirm page does not say the minimum is 15")
	}
}

// TestPurgeDeletesOldMail: accountd purge deletes the sent and suppressed
// emails older than ACCOUNTD_MAIL_RETENTION and keeps the rest.
func TestPurgeDeletesOldMail(t *testing.T) {
	ctx := context.Background()
	vars := map[string]string{"ACCOUNTD_DATABASE_URL": testDatabaseURL(t), "ACCOUNTD_MAIL_RETENTION": "48h",
		"ACCOUNTD_SECRET_KEY": testSecretKey}
	db, err := openStore(ctx, &config{DatabaseURL: vars["ACCOUNTD_DATABASE_URL"]}, true)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	want := map[string]bool{}
	for i, m := range []struct {
		status account.MailStatus
		age    time.Duration
		kept   bool
	}{
		{account.MailSent, 72 * time.Hour, false}, {account.MailSuppressed, 49 * time.Hour, false},
		{account.MailSent, 47 * time.Hour, true}, {account.MailQueued, 72 * time.Hour, true},
		{account.MailDead, 72 * time.Hour, true},
	} {
		mail := account.Mail{Kind: account.MailPasswordChanged, To: fmt.Sprintf("u%d@example.com", i),
			MessageID: fmt.Sprintf("<%d@example.com>", i), Status: m.status,
			CreatedAt: now.Add(-m.age), NextAt: now.Add(time.Hour)}
		if err := db.store.EnqueueMail(ctx, &mail); err != nil {
			t.Fatal(err)
		}
		want[mail.To] = m.kept
	}
	db.Close()

	var out, errb bytes.Buffer
	if err := run(ctx, []string{"purge"}, env(vars), &out, &errb); err != nil {
		t.Fatalf("purge: %v %s", err, errb.String())
	}
	if !strings.Contains(out.String(), "deleted 2 sent or suppressed emails older than 48h0m0s") {
		t.Errorf("purge printed %q, want it to report the 2 emails deleted", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"mail", "list"}, env(vars), &out, &errb); err != nil {
		t.Fatalf("mail list: %v %s", err, errb.String())
	}
	for to, kept := range want {
		if strings.Contains(out.String(), to) != kept {
			t.Errorf("after purge, %s listed: %v, want %v\n%s", to, !kept, kept, out.String())
		}
	}
}

func TestMailRetentionBelowADayRefused(t *testing.T) {
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"serve", "-dev", "-mail-retention", "1h"},
		env(map[string]string{"ACCOUNTD_DATABASE_URL": filepath.Join(t.TempDir(), "a.db")}), &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "ACCOUNTD_MAIL_RETENTION") {
		t.Errorf("serve with 1h retention = %v, want a refusal naming ACCOUNTD_MAIL_RETENTION", err)
	}
}

// TestPurgeDeletesOldAuditEvents: accountd purge deletes the audit events
// older than ACCOUNTD_AUDIT_RETENTION, and accountd audit no longer shows
// them; the newer ones stay.
func TestPurgeDeletesOldAuditEvents(t *testing.T) {
	ctx := context.Background()
	vars := map[string]string{"ACCOUNTD_DATABASE_URL": testDatabaseURL(t), "ACCOUNTD_AUDIT_RETENTION": "48h",
		"ACCOUNTD_SECRET_KEY": testSecretKey}
	db, err := openStore(ctx, &config{DatabaseURL: vars["ACCOUNTD_DATABASE_URL"]}, true)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	for _, e := range []struct {
		typ string
		age time.Duration
	}{{"login_failed", 72 * time.Hour}, {"reset_requested", 49 * time.Hour}, {"login", 47 * time.Hour}} {
		ev := account.Event{Time: now.Add(-e.age), Type: e.typ, Email: "ada@example.com",
			EmailKey: account.EmailKey("ada@example.com")}
		if err := db.store.AddEvent(ctx, &ev); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	var out, errb bytes.Buffer
	if err := run(ctx, []string{"purge"}, env(vars), &out, &errb); err != nil {
		t.Fatalf("purge: %v %s", err, errb.String())
	}
	if !strings.Contains(out.String(), "deleted 2 audit events older than 48h0m0s") {
		t.Errorf("purge printed %q, want it to report the 2 audit events deleted", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"audit", "-since", "30d"}, env(vars), &out, &errb); err != nil {
		t.Fatalf("audit: %v %s", err, errb.String())
	}
	for typ, kept := range map[string]bool{"login_failed": false, "reset_requested": false, "login": true} {
		if strings.Contains(out.String(), typ) != kept {
			t.Errorf("after purge, %s listed: %v, want %v\n%s", typ, !kept, kept, out.String())
		}
	}
}

func TestAuditRetentionBelowADayRefused(t *testing.T) {
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"serve", "-dev", "-audit-retention", "1h"},
		env(map[string]string{"ACCOUNTD_DATABASE_URL": filepath.Join(t.TempDir(), "a.db")}), &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "ACCOUNTD_AUDIT_RETENTION") {
		t.Errorf("serve with 1h audit retention = %v, want a refusal naming ACCOUNTD_AUDIT_RETENTION", err)
	}
}
