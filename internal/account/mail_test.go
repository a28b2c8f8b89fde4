package account_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/password"
	"github.com/accountd/accountd/internal/secretbox"
	"github.com/accountd/accountd/internal/testdb"
)

// hexRun is what every secret of a mail looks like (NewSecretHex): a value
// under a key not declared secret must not hold one.
var hexRun = regexp.MustCompile(`[0-9a-f]{32,}`)

// TestMailKindsDeclareEverySecret drives every flow that queues mail and
// checks each stored mail against account.MailKinds: its kind is declared,
// every declared secret is stored sealed, and no other value holds a
// secret. Adding a kind without declaring its secrets fails here; so does
// declaring a kind no flow below produces (add the flow).
func TestMailKindsDeclareEverySecret(t *testing.T) {
	ctx := t.Context()
	st := testdb.SQLiteStore(t)
	now := time.Date(2026, 11, 27, 13, 58, 10, 0, time.UTC)
	hasher := password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16})
	cfg := account.Config{DashboardURL: "https://dash.example.com", ResetEmailsPerHour: 3, NotifyUnknownAddress: true,
		Policy: password.DefaultPolicy(), Secrets: secretbox.NewRandom(),
		Social: map[string]account.SocialConfig{"google": {Provider: fixedIdentity{account.Identity{
			Issuer: "https://accounts.google.com", Subject: "1001", Email: "grace@gmail.com", EmailVerified: true}},
			RedirectURIs: []string{"https://dash.example.com"}, AuthoritativeDomains: []string{"gmail.com"}}}}
	svc := account.NewService(st, hasher, cfg, func() time.Time { return now }, nil)
	c := account.Client{IP: "203.0.113.7", UserAgent: "Firefox"}
	const pw, newPW = "Correct-Horse-7391", "Battery-Staple-5501"

	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	tok, _, err := svc.Register(ctx, account.RegisterInput{Email: "ada@example.com", Password: pw, TOSAccepted: true}, c)
	must("Register", err)
	login, u, err := svc.Authenticate(ctx, tok)
	must("Authenticate", err)
	must("RequestReset", svc.RequestReset(ctx, "ada@example.com", c))
	must("RequestReset(unknown)", svc.RequestReset(ctx, "nobody@example.com", c))
	claimed, err := st.ClaimMail(ctx, now, now.Add(time.Minute), 100)
	must("ClaimMail", err)
	_, errs := svc.ResolveMails(ctx, claimed)
	for _, err := range errs {
		must("ResolveMails", err)
	}
	must("RequestReset (left unresolved)", svc.RequestReset(ctx, "ada@example.com", c))
	_, err = svc.ResetLink(ctx, "ada@example.com", true)
	must("ResetLink", err)
	must("RequestEmailChange", svc.RequestEmailChange(ctx, u, pw, "ada@example.org", c))
	code := openedSecret(t, svc, st, account.MailEmailChangeConfirm, "code")
	must("CompleteEmailChange", svc.CompleteEmailChange(ctx, login, u, code, c))
	_, u, err = svc.Authenticate(ctx, tok)
	must("Authenticate", err)
	must("ChangePassword", svc.ChangePassword(ctx, login, u, pw, newPW, c))
	must("ResetTwoFactor", svc.ResetTwoFactor(ctx, "ada@example.org"))
	// An email code at a challenged sign-in, and again by a resend; the
	// "new sign-in" notice of a sign-in from another device.
	challenging := cfg
	challenging.EmailTwoFactor = account.EmailTwoFactorAlways
	strict := account.NewService(st, hasher, challenging, func() time.Time { return now }, nil)
	pending, err := strict.Login(ctx, "ada@example.org", newPW, c)
	must("Login (challenged)", err)
	ptok, pu, err := strict.Authenticate(ctx, pending)
	must("Authenticate (pending)", err)
	now = now.Add(time.Minute)
	if sent, err := strict.ResendTwoFactorEmail(ctx, ptok, pu, c); err != nil || !sent {
		t.Fatalf("ResendTwoFactorEmail = %v, %v; want true", sent, err)
	}
	noticing := cfg
	noticing.SignInNotice = true
	_, err = account.NewService(st, hasher, noticing, func() time.Time { return now }, nil).
		Login(ctx, "ada@example.org", newPW, account.Client{IP: "198.51.100.9", UserAgent: "Chrome"})
	must("Login (new device)", err)
	_, _, err = svc.Register(ctx, account.RegisterInput{Email: "grace@gmail.com", Password: pw, TOSAccepted: true}, c)
	must("Register", err)
	_, err = svc.SocialLogin(ctx, account.SocialInput{Provider: "google", Code: "x", RedirectURI: "https://dash.example.com"}, c)
	must("SocialLogin (links the address)", err)
	op := account.Operator{Via: "test"}
	_, err = svc.Suspend(ctx, u.ID, "abuse_report", op)
	must("Suspend", err)
	_, err = svc.Unsuspend(ctx, u.ID, op)
	must("Unsuspend", err)

	seen := map[string]bool{}
	for _, m := range allMail(t, st) {
		seen[m.Kind] = true
		checkMailSecrets(t, svc, m)
	}
	for _, k := range account.MailKinds {
		if !seen[k.Name] {
			t.Errorf("no flow of this test queued a %q mail: add one, so its data is checked", k.Name)
		}
	}
}

// fixedIdentity is a social provider that vouches for one identity
// whatever the code.
type fixedIdentity struct{ id account.Identity }

func (f fixedIdentity) Exchange(context.Context, account.Grant) (account.Identity, error) {
	return f.id, nil
}

// checkMailSecrets checks one stored mail against its kind's declaration.
func checkMailSecrets(t *testing.T, svc *account.Service, m account.Mail) {
	t.Helper()
	kind, ok := account.MailKindOf(m.Kind)
	if !ok {
		t.Errorf("mail %d has kind %q, which account.MailKinds does not declare", m.ID, m.Kind)
		return
	}
	opened, err := svc.OpenMail(m)
	if err != nil {
		t.Fatalf("OpenMail(%d): %v", m.ID, err)
	}
	var secrets []string
	for _, k := range kind.Secrets {
		if v := opened.Data[k]; v != "" {
			secrets = append(secrets, v)
			if m.Data[k] == v || !strings.HasPrefix(m.Data[k], "sealed:") {
				t.Errorf("%s mail %d stores its secret %q unsealed", m.Kind, m.ID, k)
			}
		}
	}
	for k, v := range m.Data {
		if slices.Contains(kind.Secrets, k) {
			continue
		}
		leak := hexRun.MatchString(v) || slices.ContainsFunc(secrets, func(s string) bool {
			return strings.Contains(v, s) || strings.Contains(s, v) && len(v) >= 16
		})
		if leak {
			t.Errorf("%s mail %d: data[%q] = %q holds a secret; declare %q among the kind's Secrets", m.Kind, m.ID, k, v, k)
		}
	}
}

// allMail returns every stored mail, whatever its status.
func allMail(t *testing.T, st account.Store) []account.Mail {
	t.Helper()
	var out []account.Mail
	for _, s := range []account.MailStatus{account.MailQueued, account.MailSent, account.MailDead, account.MailSuppressed} {
		ms, err := st.Mails(t.Context(), s, 1000)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ms...)
	}
	return out
}

// openedSecret returns the opened value of key in the newest mail of kind.
func openedSecret(t *testing.T, svc *account.Service, st account.Store, kind, key string) string {
	t.Helper()
	var newest account.Mail
	for _, m := range allMail(t, st) {
		if m.Kind == kind && m.ID > newest.ID {
			newest = m
		}
	}
	opened, err := svc.OpenMail(newest)
	if err != nil || opened.Data[key] == "" {
		t.Fatalf("no %s mail with %q to open (%v)", kind, key, err)
	}
	return opened.Data[key]
}
