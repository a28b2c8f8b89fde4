package account_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/password"
	"github.com/accountd/accountd/internal/ratelimit"
	"github.com/accountd/accountd/internal/secretbox"
	"github.com/accountd/accountd/internal/testdb"
)

// Table tests of the rules that decide when a secret sent by email is
// accepted, and of the activation resend limits, on a fake clock.

const rulesPassword = "Correct-Horse-7391"

// rulesClock is a clock that moves only when told to.
type rulesClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *rulesClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *rulesClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// rules is a Service on a SQLite file with a fake clock that also drives
// its limiter.
type rules struct {
	t     *testing.T
	ctx   context.Context
	svc   *account.Service
	store account.Store
	clock *rulesClock
}

var rulesClient = account.Client{IP: "192.0.2.1", UserAgent: "rules-test"}

func newRules(t *testing.T, opts ...func(*account.Config, *account.Store)) *rules {
	t.Helper()
	clk := &rulesClock{t: time.Date(2026, 11, 27, 13, 58, 10, 246406000, time.UTC)}
	var st account.Store = testdb.SQLiteStore(t)
	hasher := password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16})
	cfg := account.Config{DashboardURL: "https://dash.example.com",
		ResetTokenTTL: time.Hour, ResetEmailsPerHour: 100, MailDomain: "example.com",
		Policy: password.DefaultPolicy(), Limiter: ratelimit.Budget{Limiter: ratelimit.NewMemory(clk.Now)},
		Secrets: secretbox.NewRandom()}
	for _, o := range opts {
		o(&cfg, &st)
	}
	svc := account.NewService(st, hasher, cfg, clk.Now, nil)
	return &rules{t: t, ctx: context.Background(), svc: svc, store: st, clock: clk}
}

// register creates an account and returns a login token of it.
func (r *rules) register(email string) string {
	r.t.Helper()
	tok, _, err := r.svc.Register(r.ctx, account.RegisterInput{Email: email, Password: rulesPassword,
		TOSAccepted: true}, rulesClient)
	if err != nil {
		r.t.Fatalf("Register(%s) = %v", email, err)
	}
	return tok
}

// caller returns the token and the account as they are now.
func (r *rules) caller(tok string) (account.Token, account.User) {
	r.t.Helper()
	t, u, err := r.svc.Authenticate(r.ctx, tok)
	if err != nil {
		r.t.Fatalf("Authenticate = %v", err)
	}
	return t, u
}

// secret returns a value of the newest queued mail of kind.
func (r *rules) secret(kind, key string) string {
	r.t.Helper()
	mails, err := r.store.Mails(r.ctx, account.MailQueued, 1000)
	if err != nil {
		r.t.Fatal(err)
	}
	var newest account.Mail
	for _, m := range mails {
		if m.Kind == kind && m.ID > newest.ID {
			newest = m
		}
	}
	// The secrets of queued mail are sealed; open them as the worker does.
	opened, err := r.svc.OpenMail(newest)
	if err != nil {
		r.t.Fatal(err)
	}
	if opened.Data[key] == "" {
		r.t.Fatalf("no queued %s mail with %s", kind, key)
	}
	return opened.Data[key]
}

// resetToken asks for a reset of email and resolves it as the mail worker
// does, returning the token of the link.
func (r *rules) resetToken(email string) string {
	r.t.Helper()
	if err := r.svc.RequestReset(r.ctx, email, rulesClient); err != nil {
		r.t.Fatal(err)
	}
	mails, err := r.store.Mails(r.ctx, account.MailQueued, 1000)
	if err != nil {
		r.t.Fatal(err)
	}
	for _, m := range mails {
		if m.Kind == account.MailResetRequest {
			out, err := r.svc.ResolveMail(r.ctx, m)
			if err != nil {
				r.t.Fatal(err)
			}
			if out, err = r.svc.OpenMail(out); err != nil {
				r.t.Fatal(err)
			}
			return out.Data["token"]
		}
	}
	r.t.Fatal("no queued reset request")
	return ""
}

// code returns the field code of a KindInvalid error, "" for nil.
func code(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var ae *account.Error
	if !errors.As(err, &ae) || ae.Kind != account.KindInvalid {
		t.Fatalf("error = %v, want an invalid-field error", err)
	}
	return ae.Code
}

func TestResetTokenRefusals(t *testing.T) {
	tests := []struct {
		name string
		// prepare returns the token to check after doing what the case needs.
		prepare func(r *rules, tok string) string
		want    string
	}{
		{"fresh", func(r *rules, tok string) string { return r.resetToken("ada@example.com") }, ""},
		{"unknown", func(r *rules, tok string) string { return strings.Repeat("ab", 32) }, "invalid"},
		{"malformed", func(r *rules, tok string) string { return "not-a-token" }, "invalid"},
		{"used", func(r *rules, tok string) string {
			rt := r.resetToken("ada@example.com")
			if _, err := r.svc.CompleteReset(r.ctx, rt, "Battery-Staple-5501", rulesClient); err != nil {
				r.t.Fatal(err)
			}
			return rt
		}, "invalid"},
		{"voided by another token's use", func(r *rules, tok string) string {
			older, newer := r.resetToken("ada@example.com"), r.resetToken("ada@example.com")
			if _, err := r.svc.CompleteReset(r.ctx, newer, "Battery-Staple-5501", rulesClient); err != nil {
				r.t.Fatal(err)
			}
			return older
		}, "invalid"},
		{"cancelled", func(r *rules, tok string) string {
			rt := r.resetToken("ada@example.com")
			if err := r.svc.CancelReset(r.ctx, rt, rulesClient); err != nil {
				r.t.Fatal(err)
			}
			return rt
		}, "invalid"},
		{"one second before expiry", func(r *rules, tok string) string {
			rt := r.resetToken("ada@example.com")
			r.clock.Advance(time.Hour - time.Second)
			return rt
		}, ""},
		{"at expiry", func(r *rules, tok string) string {
			rt := r.resetToken("ada@example.com")
			r.clock.Advance(time.Hour)
			return rt
		}, "expired"},
		{"issued before a password change", func(r *rules, tok string) string {
			rt := r.resetToken("ada@example.com")
			r.clock.Advance(time.Second)
			t, u := r.caller(tok)
			if err := r.svc.ChangePassword(r.ctx, t, u, rulesPassword, "Battery-Staple-5501", rulesClient); err != nil {
				r.t.Fatal(err)
			}
			return rt
		}, "invalid"},
		{"issued before an email change", func(r *rules, tok string) string {
			rt := r.resetToken("ada@example.com")
			r.clock.Advance(time.Second)
			changeEmail(r, tok, "ada2@example.com")
			return rt
		}, "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRules(t)
			tok := r.register("ada@example.com")
			raw := tt.prepare(r, tok)
			if got := code(t, r.svc.CheckReset(r.ctx, raw, rulesClient)); got != tt.want {
				t.Errorf("CheckReset = %q, want %q", got, tt.want)
			}
		})
	}
}

// changeEmail moves the account of tok to addr through a confirmation code.
func changeEmail(r *rules, tok, addr string) {
	r.t.Helper()
	_, u := r.caller(tok)
	if err := r.svc.RequestEmailChange(r.ctx, u, rulesPassword, addr, rulesClient); err != nil {
		r.t.Fatal(err)
	}
	code := r.secret(account.MailEmailChangeConfirm, "code")
	t, u := r.caller(tok)
	if err := r.svc.CompleteEmailChange(r.ctx, t, u, code, rulesClient); err != nil {
		r.t.Fatal(err)
	}
}

func TestActivationTokenValidity(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(r *rules, tok, activation string) string
		want    string
	}{
		{"fresh", func(r *rules, tok, a string) string { return a }, ""},
		{"unknown", func(r *rules, tok, a string) string { return strings.Repeat("cd", 32) }, "invalid"},
		{"one second before 72 hours", func(r *rules, tok, a string) string {
			r.clock.Advance(72*time.Hour - time.Second)
			return a
		}, ""},
		{"at 72 hours", func(r *rules, tok, a string) string { r.clock.Advance(72 * time.Hour); return a }, "expired"},
		{"used", func(r *rules, tok, a string) string {
			if _, err := r.svc.CompleteActivation(r.ctx, a, rulesClient); err != nil {
				r.t.Fatal(err)
			}
			return a
		}, "invalid"},
		{"older than a password change", func(r *rules, tok, a string) string {
			r.clock.Advance(time.Second)
			t, u := r.caller(tok)
			if err := r.svc.ChangePassword(r.ctx, t, u, rulesPassword, "Battery-Staple-5501", rulesClient); err != nil {
				r.t.Fatal(err)
			}
			return a
		}, "invalid"},
		{"sent to an address the account left", func(r *rules, tok, a string) string {
			r.clock.Advance(time.Second)
			changeEmail(r, tok, "ada2@example.com")
			return a
		}, "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRules(t)
			tok := r.register("ada@example.com")
			raw := tt.prepare(r, tok, r.secret(account.MailActivation, "token"))
			_, err := r.svc.CompleteActivation(r.ctx, raw, rulesClient)
			if got := code(t, err); got != tt.want {
				t.Errorf("CompleteActivation = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEmailChangeCodeValidity(t *testing.T) {
	tests := []struct {
		name string
		// prepare returns the code and the login token that submits it.
		prepare func(r *rules, tok, code string) (string, string)
		want    string
	}{
		{"fresh", func(r *rules, tok, c string) (string, string) { return c, tok }, ""},
		{"unknown", func(r *rules, tok, c string) (string, string) { return strings.Repeat("ef", 32), tok }, "invalid"},
		{"one second before 24 hours", func(r *rules, tok, c string) (string, string) {
			r.clock.Advance(24*time.Hour - time.Second)
			return c, tok
		}, ""},
		{"at 24 hours", func(r *rules, tok, c string) (string, string) {
			r.clock.Advance(24 * time.Hour)
			return c, tok
		}, "expired"},
		{"used", func(r *rules, tok, c string) (string, string) {
			t, u := r.caller(tok)
			if err := r.svc.CompleteEmailChange(r.ctx, t, u, c, rulesClient); err != nil {
				r.t.Fatal(err)
			}
			return c, tok
		}, "invalid"},
		{"another account's", func(r *rules, tok, c string) (string, string) {
			return c, r.register("bob@example.com")
		}, "invalid"},
		{"older than the last email change", func(r *rules, tok, c string) (string, string) {
			r.clock.Advance(time.Second)
			changeEmail(r, tok, "ada3@example.com")
			return c, tok
		}, "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRules(t)
			tok := r.register("ada@example.com")
			_, u := r.caller(tok)
			if err := r.svc.RequestEmailChange(r.ctx, u, rulesPassword, "ada2@example.com", rulesClient); err != nil {
				t.Fatal(err)
			}
			raw, by := tt.prepare(r, tok, r.secret(account.MailEmailChangeConfirm, "code"))
			bt, bu := r.caller(by)
			if got := code(t, r.svc.CompleteEmailChange(r.ctx, bt, bu, raw, rulesClient)); got != tt.want {
				t.Errorf("CompleteEmailChange = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestActivationResendLimits: one resend a minute and five a day per
// account (docs/api.md#activation), counted by the service whatever the rate limits.
func TestActivationResendLimits(t *testing.T) {
	r := newRules(t)
	tok := r.register("ada@example.com")
	other := r.register("bob@example.com")
	resend := func(tok string) error {
		_, u := r.caller(tok)
		_, err := r.svc.ResendActivation(r.ctx, u, rulesClient)
		return err
	}
	steps := []struct {
		wait      time.Duration
		throttled bool
		retry     int // seconds, when throttled
	}{
		{0, false, 0},
		{30 * time.Second, true, 30}, // one a minute
		{30 * time.Second, false, 0}, // 2nd
		{time.Minute, false, 0},      // 3rd
		{time.Minute, false, 0},      // 4th
		{time.Minute, false, 0},      // 5th
		// Five a day: one comes back 4.8 h after the first, sent at 0.
		{time.Minute, true, 17280 - 300},
		{(17280 - 300) * time.Second, false, 0},
	}
	for i, s := range steps {
		r.clock.Advance(s.wait)
		err := resend(tok)
		var ae *account.Error
		switch {
		case !s.throttled && err != nil:
			t.Fatalf("resend %d = %v, want nil", i+1, err)
		case s.throttled && (!errors.As(err, &ae) || ae.Kind != account.KindRateLimited || ae.RetryAfter != s.retry):
			t.Fatalf("resend %d = %#v, want throttled with RetryAfter %d", i+1, err, s.retry)
		}
	}
	if err := resend(other); err != nil {
		t.Errorf("another account's resend = %v, want nil: the limits are per account", err)
	}
	// A verified address sends nothing and counts nothing.
	verified := r.register("cy@example.com")
	if _, err := r.svc.CompleteActivation(r.ctx, r.secret(account.MailActivation, "token"), rulesClient); err != nil {
		t.Fatal(err)
	}
	_, u := r.caller(verified)
	if !u.EmailVerified {
		t.Fatal("the address is not verified after activation")
	}
	for range 10 {
		if _, err := r.svc.ResendActivation(r.ctx, u, rulesClient); err != nil {
			t.Fatalf("resend for a verified address = %v, want nil", err)
		}
	}
}

// TestAddressPasswordBudgetIsASVS221: at most 100 wrong passwords an hour
// for one address, whatever the networks (ASVS 2.2.1).
func TestAddressPasswordBudgetIsASVS221(t *testing.T) {
	if r := account.DefaultAddressPasswordFailures; r.N > 100 || r.Per < time.Hour {
		t.Errorf("account.DefaultAddressPasswordFailures = %+v, want at most 100 an hour", r)
	}
}
