package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/captcha"
	"github.com/accountd/accountd/internal/password"
	"github.com/accountd/accountd/internal/secretbox"
	"github.com/accountd/accountd/internal/testdb"
	"github.com/accountd/accountd/internal/web"
)

// Social sign-in through the HTTP API (docs/api.md#social-login) against a real OpenID
// Connect provider on loopback (oidc_test.go), on SQLite, or PostgreSQL
// when ACCOUNTD_TEST_POSTGRES_URL is set.

// TestSocialRegisterLoginDelete walks the SDK's three calls: register makes
// a verified, password-less account with the provider's names; register
// again and login sign the same account in; delete through the provider
// deletes it, and then its tokens are 403 and login/social finds nothing.
func TestSocialRegisterLoginDelete(t *testing.T) {
	p := newOIDCProvider(t)
	e := newEnv(t, withSocial(p))
	ada := googleUser{Sub: "1001", Email: "ada@gmail.com", Given: "Ada", Family: "Lovelace"}

	tok, existing := socialRegister(e, p, ada)
	if existing {
		t.Error("first register/social: logged_in_existing_user = true, want false")
	}
	prof := sfProfile(t, e, tok)
	if prof["email"] != "ada@gmail.com" || prof["email_is_verified"] != true || prof["first_name"] != "Ada" ||
		prof["last_name"] != "Lovelace" {
		t.Errorf("profile after register/social = %v, want ada@gmail.com, verified, Ada Lovelace", prof)
	}
	if len(e.allMail()) != 0 {
		t.Errorf("register/social sent %d mails, want none (the address is verified already)", len(e.allMail()))
	}
	again, existing := socialRegister(e, p, ada)
	if !existing || again == tok {
		t.Errorf("second register/social: logged_in_existing_user = %v (new token: %v), want true with a new token", existing, again != tok)
	}
	if id := sfProfile(t, e, again)["id"]; id != prof["id"] {
		t.Errorf("second register/social signed in account %v, want %v", id, prof["id"])
	}
	login := loginTokenOf(t, socialLogin(e, p, ada))
	if id := sfProfile(t, e, login)["id"]; id != prof["id"] {
		t.Errorf("login/social signed in account %v, want %v", id, prof["id"])
	}

	r := e.do("POST", "/api/v2/deleteaccount/social/", socialBody(p.code(ada)), login)
	sfWantStatus(t, "deleteaccount/social", r, 204)
	for _, tk := range []string{tok, again, login} {
		sfWantDetail(t, "GET profile after deleteaccount/social", e.do("GET", "/api/v2/profile/", nil, tk),
			403, "account_deleted", "Your account is deleted.")
	}
	r = socialLogin(e, p, ada)
	sfWantField(t, "login/social after the deletion", r, "non_field_errors", "authorization")

	log := events(e)
	for _, want := range []string{"social_registered: google", "social_signed_in: google",
		"account_deleted: through google", "social_refused: google: no linked account"} {
		if !strings.Contains(log, want) {
			t.Errorf("audit events lack %q:\n%s", want, log)
		}
	}
}

// TestSocialRequestErrors: each error of docs/api.md#social-login in its shape, and
// nothing changed by any of them.
func TestSocialRequestErrors(t *testing.T) {
	p := newOIDCProvider(t)
	e := newEnv(t, withSocial(p))
	ada := googleUser{Sub: "1001", Email: "ada@gmail.com"}

	t.Run("unconfigured provider", func(t *testing.T) {
		bare := newEnv(t)
		for _, path := range []string{"/api/v2/register/social/", "/api/v2/login/social/"} {
			r := bare.do("POST", path, registerBody("x"), "")
			sfWantField(t, path+" without a configured provider", r, "provider", "invalid_choice")
			if msg := r.JSON(t)["provider"].([]any)[0].(map[string]any)["message"]; msg != `"google" is not a valid choice.` {
				t.Errorf("%s: message = %q, want DRF's choice message", path, msg)
			}
		}
		b := registerBody("x")
		b["provider"] = "github"
		sfWantField(t, "register/social with provider github", e.do("POST", "/api/v2/register/social/", b, ""),
			"provider", "invalid_choice")
	})
	t.Run("redirect outside the allow-list", func(t *testing.T) {
		code := p.code(ada)
		before := p.tokenRequests.Load()
		for _, uri := range []string{"https://evil.example", allowedRedirect + "/", "http://dash.example.com"} {
			b := registerBody(code)
			b["redirect_uri"] = uri
			sfWantField(t, "register/social with redirect_uri "+uri, e.do("POST", "/api/v2/register/social/", b, ""),
				"redirect_uri", "invalid")
		}
		if n := p.tokenRequests.Load() - before; n != 0 {
			t.Errorf("refused redirect URIs made %d requests to the token endpoint, want none", n)
		}
		// The code was never sent anywhere: it still works.
		if r := e.do("POST", "/api/v2/register/social/", registerBody(code), ""); r.Status != 200 {
			t.Errorf("register/social with the unspent code = %d %s, want 200", r.Status, r.Body)
		}
	})
	t.Run("terms not accepted", func(t *testing.T) {
		b := registerBody(p.code(googleUser{Sub: "2002", Email: "bob@gmail.com"}))
		b["tos_accepted"] = false
		before := p.tokenRequests.Load()
		sfWantField(t, "register/social without the terms", e.do("POST", "/api/v2/register/social/", b, ""), "tos_accepted", "invalid")
		if p.tokenRequests.Load() != before {
			t.Error("register/social without the terms spent the code at the provider")
		}
	})
	t.Run("used and made-up codes", func(t *testing.T) {
		code := p.code(googleUser{Sub: "3003", Email: "cy@gmail.com"})
		if r := e.do("POST", "/api/v2/register/social/", registerBody(code), ""); r.Status != 200 {
			t.Fatalf("register/social = %d %s, want 200", r.Status, r.Body)
		}
		sfWantField(t, "register/social with a used code", e.do("POST", "/api/v2/register/social/", registerBody(code), ""), "code", "invalid")
		sfWantField(t, "login/social with a used code", e.do("POST", "/api/v2/login/social/", socialBody(code), ""), "code", "invalid")
		sfWantField(t, "login/social with a made-up code", e.do("POST", "/api/v2/login/social/", socialBody("made-up"), ""), "code", "invalid")
	})
	t.Run("unverified email", func(t *testing.T) {
		dan := googleUser{Sub: "4004", Email: "dan@gmail.com", Unverified: true}
		sfWantField(t, "register/social with email_verified false", e.do("POST", "/api/v2/register/social/",
			registerBody(p.code(dan)), ""), "code", "email_unverified")
		noAccount(t, e, "dan@gmail.com")
	})
	t.Run("missing fields", func(t *testing.T) {
		r := e.do("POST", "/api/v2/register/social/", obj{}, "")
		for _, f := range []string{"provider", "code", "redirect_uri", "tos_accepted"} {
			sfWantField(t, "register/social with an empty body", r, f, "required")
		}
	})
	if !strings.Contains(events(e), "social_refused: google: email not verified") {
		t.Errorf("no audit event names the unverified email:\n%s", events(e))
	}
}

// noAccount fails unless no account has the address.
func noAccount(t *testing.T, e *env, email string) {
	t.Helper()
	if _, err := e.Store.UserByEmailKey(context.Background(), account.EmailKey(email)); err != account.ErrNotFound {
		t.Errorf("UserByEmailKey(%s) error = %v, want no account", email, err)
	}
}

// TestSocialProviderDown: a provider that cannot be reached, or fails, is
// 503 social_unavailable, and nothing changed.
func TestSocialProviderDown(t *testing.T) {
	p := newOIDCProvider(t)
	e := newEnv(t, withSocial(p))
	eve := googleUser{Sub: "5005", Email: "eve@gmail.com"}

	// The token endpoint fails with a 500.
	code := p.code(eve)
	p.m.QueueError(&mockoidc.ServerError{Code: 500, Error: "server_error", Description: "down"})
	sfWantDetail(t, "register/social while the token endpoint fails", e.do("POST", "/api/v2/register/social/",
		registerBody(code), ""), 503, "social_unavailable", "")
	noAccount(t, e, "eve@gmail.com")

	// Nothing answers at all (discovery has not run yet in a new env).
	down := newOIDCProvider(t)
	e2 := newEnv(t, withSocial(down))
	code = down.code(eve)
	if err := down.m.Shutdown(); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v2/register/social/", "/api/v2/login/social/"} {
		sfWantDetail(t, path+" with the provider down", e2.do("POST", path, registerBody(code), ""),
			503, "social_unavailable", "")
	}
	noAccount(t, e2, "eve@gmail.com")
	if strings.Contains(e2.Logs.String(), code) {
		t.Error("the log holds the authorization code")
	}
}

// TestSocialRefusesBadIDTokens: a token whose signature does not match its
// claims, an expired one, one for another client (aud), or one authorized
// for another client (azp) signs nobody in and creates nothing.
func TestSocialRefusesBadIDTokens(t *testing.T) {
	p := newOIDCProvider(t)
	e := newEnv(t, withSocial(p))
	cases := []struct {
		name   string
		u      googleUser
		forged bool
	}{
		{"forged claims", googleUser{Sub: "6001", Email: "f1@gmail.com"}, true},
		{"expired", googleUser{Sub: "6002", Email: "f2@gmail.com", Expired: true}, false},
		{"foreign audience", googleUser{Sub: "6003", Email: "f3@gmail.com", Audience: []string{"another-client"}}, false},
		{"azp of another client", googleUser{Sub: "6004", Email: "f4@gmail.com",
			Audience: []string{p.m.ClientID, "another-client"}, AZP: "another-client"}, false},
		{"two audiences without azp", googleUser{Sub: "6005", Email: "f5@gmail.com",
			Audience: []string{p.m.ClientID, "another-client"}}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code := p.code(c.u)
			p.forge.Store(c.forged)
			r := e.do("POST", "/api/v2/register/social/", registerBody(code), "")
			p.forge.Store(false)
			sfWantField(t, "register/social with a token "+c.name, r, "code", "invalid")
			noAccount(t, e, c.u.Email)
		})
	}
	// The same provider still signs a good token in.
	socialRegister(e, p, googleUser{Sub: "6009", Email: "good@gmail.com"})
}

// TestSocialPreRegistrationHijack: an attacker registered the victim's
// Gmail address with a password and never verified it, made an API key,
// asked for a reset link and turned on TOTP. When the owner signs in with
// Google, the account is linked and everything of the attacker's ends.
func TestSocialPreRegistrationHijack(t *testing.T) {
	p := newOIDCProvider(t)
	e := newEnv(t, withSocial(p))
	const victim = "victim@gmail.com"
	attacker := e.register(victim, testPassword)
	key := e.do("POST", "/api/v2/apikey/", obj{"label": "mine"}, attacker).JSON(t)["key"].(string)
	reset := e.resetToken(victim)
	enrolTOTP(e, attacker)
	e.deliver()
	mailsBefore := len(e.allMail())

	owner := loginTokenOf(t, socialLogin(e, p, googleUser{Sub: "7007", Email: victim}))
	prof := sfProfile(t, e, owner) // verified: not pending on the attacker's TOTP
	if prof["email_is_verified"] != true {
		t.Errorf("email_is_verified after the link = %v, want true", prof["email_is_verified"])
	}
	for name, tk := range map[string]string{"the attacker's login token": attacker, "the attacker's API key": key} {
		sfWantDetail(t, "GET profile with "+name, e.do("GET", "/api/v2/profile/", nil, tk), 401, "authentication_failed", "Invalid token.")
	}
	sfWantField(t, "login with the attacker's password", e.do("POST", "/api/v2/login/",
		obj{"email": victim, "password": testPassword, "recaptcha": "x"}, ""), "non_field_errors", "authorization")
	r := e.do("POST", "/api/v2/resetpassword/complete/", obj{"password_reset_token": reset,
		"password": "Battery-Staple-5501", "recaptcha": "x"}, "")
	sfWantField(t, "the attacker's reset link", r, "password_reset_token", "invalid")

	e.deliver()
	if n := len(sfMails(e, victim, "A Google sign-in was linked to your account")); n != 1 || len(e.allMail()) != mailsBefore+1 {
		t.Errorf("mails after the link: %d linked notices, %d new mails; want exactly the notice", n, len(e.allMail())-mailsBefore)
	}
	if log := events(e); !strings.Contains(log, "social_hijack_voided") || !strings.Contains(log, "social_linked: google") {
		t.Errorf("audit events lack the voiding and the link:\n%s", log)
	}
	// From now on the identity signs in directly.
	if id := sfProfile(t, e, loginTokenOf(t, socialLogin(e, p, googleUser{Sub: "7007", Email: victim})))["id"]; id != prof["id"] {
		t.Errorf("second login/social signed in %v, want %v", id, prof["id"])
	}
}

// TestSocialLinksVerifiedAccountsOfAuthoritativeAddresses: a verified
// account keeps its password when its Gmail sign-in is linked; a Workspace
// address links when the hd claim names its domain.
func TestSocialLinksVerifiedAccountsOfAuthoritativeAddresses(t *testing.T) {
	p := newOIDCProvider(t)
	e := newEnv(t, withSocial(p))
	for _, u := range []googleUser{
		{Sub: "8001", Email: "Grace@GoogleMail.com"},
		{Sub: "8002", Email: "hopper@navy.example", HD: "navy.example"},
	} {
		tok := e.register(u.Email, testPassword)
		completeActivation(t, e, tok)
		_, existing := socialRegister(e, p, u)
		if !existing {
			t.Errorf("register/social for the verified account %s: logged_in_existing_user = false, want true", u.Email)
		}
		if st := sfLoginStatus(e, u.Email, testPassword); st != 200 {
			t.Errorf("password login of %s after the link = %d, want 200 (a verified account keeps its password)", u.Email, st)
		}
		if st := e.do("GET", "/api/v2/profile/", nil, tok).Status; st != 200 {
			t.Errorf("the older token of %s after the link = %d, want 200", u.Email, st)
		}
	}
}

// completeActivation verifies the address of the token's account with the
// link of its newest activation email.
func completeActivation(t *testing.T, e *env, token string) {
	t.Helper()
	e.deliver()
	u := sfProfile(t, e, token)
	mails := sfMails(e, u["email"].(string), activationSubject)
	if len(mails) == 0 {
		t.Fatalf("no activation mail for %v", u["email"])
	}
	m := sfActivationLink.FindStringSubmatch(mails[0].Text)
	if m == nil {
		t.Fatalf("activation mail has no link:\n%s", mails[0].Text)
	}
	if r := e.do("POST", "/api/v2/activation/complete/", obj{"activation_token": m[1]}, ""); r.Status != 200 {
		t.Fatalf("activation complete = %d %s", r.Status, r.Body)
	}
}

// TestSocialDoesNotLinkWithoutAuthority: a verified address the provider
// is not authoritative for (no hd, or an hd of another domain) never links
// to the account that has it: register/social is 400 email/unique,
// login/social 400 authorization, and the account is untouched.
func TestSocialDoesNotLinkWithoutAuthority(t *testing.T) {
	p := newOIDCProvider(t)
	e := newEnv(t, withSocial(p))
	const addr = "ada@example.com"
	tok := e.register(addr, testPassword)
	for _, u := range []googleUser{{Sub: "9001", Email: addr}, {Sub: "9002", Email: addr, HD: "other.example"}} {
		sfWantField(t, "register/social for "+addr+" (hd "+u.HD+")", e.do("POST", "/api/v2/register/social/",
			registerBody(p.code(u)), ""), "email", "unique")
		sfWantField(t, "login/social for "+addr+" (hd "+u.HD+")", socialLogin(e, p, u), "non_field_errors", "authorization")
	}
	if st := e.do("GET", "/api/v2/profile/", nil, tok).Status; st != 200 {
		t.Errorf("the account's token after the refused links = %d, want 200", st)
	}
	if st := sfLoginStatus(e, addr, testPassword); st != 200 {
		t.Errorf("password login after the refused links = %d, want 200", st)
	}
	if _, err := e.Store.SocialIdentity(context.Background(), p.m.Issuer(), "9001"); err != account.ErrNotFound {
		t.Errorf("SocialIdentity(9001) error = %v, want none linked", err)
	}
	if !strings.Contains(events(e), "provider not authoritative") {
		t.Errorf("no audit event gives the reason of the refusal:\n%s", events(e))
	}
}

// TestSocialSubjectIsTheKey: the provider's address changes, the subject
// stays: the same account signs in, and no account is made for the new
// address; a new subject with a linked account's address is refused.
func TestSocialSubjectIsTheKey(t *testing.T) {
	p := newOIDCProvider(t)
	e := newEnv(t, withSocial(p))
	tok, _ := socialRegister(e, p, googleUser{Sub: "1111", Email: "old@gmail.com"})
	id := sfProfile(t, e, tok)["id"]
	again, existing := socialRegister(e, p, googleUser{Sub: "1111", Email: "new@gmail.com"})
	if !existing || sfProfile(t, e, again)["id"] != id {
		t.Errorf("register/social after the address changed: existing %v, account %v; want true, %v",
			existing, sfProfile(t, e, again)["id"], id)
	}
	noAccount(t, e, "new@gmail.com")
	if got := sfProfile(t, e, loginTokenOf(t, socialLogin(e, p, googleUser{Sub: "1111", Email: "new@gmail.com"})))["id"]; got != id {
		t.Errorf("login/social after the address changed signed in %v, want %v", got, id)
	}
	si, err := e.Store.SocialIdentity(context.Background(), p.m.Issuer(), "1111")
	if err != nil || si.Email != "new@gmail.com" {
		t.Errorf("SocialIdentity(1111) = %+v, %v; want the new address recorded", si, err)
	}
	// A new subject with the account's address (a Workspace user deleted
	// and made again) does not take the account over, though the provider
	// is authoritative for the address.
	tok2, _ := socialRegister(e, p, googleUser{Sub: "2222", Email: "ws@corp.example", HD: "corp.example"})
	wsID := sfProfile(t, e, tok2)["id"]
	reborn := googleUser{Sub: "2223", Email: "ws@corp.example", HD: "corp.example"}
	sfWantField(t, "register/social of a new subject with a linked address", e.do("POST", "/api/v2/register/social/",
		registerBody(p.code(reborn)), ""), "email", "unique")
	sfWantField(t, "login/social of a new subject with a linked address", socialLogin(e, p, reborn),
		"non_field_errors", "authorization")
	if got := sfProfile(t, e, loginTokenOf(t, socialLogin(e, p, googleUser{Sub: "2222", Email: "ws@corp.example",
		HD: "corp.example"})))["id"]; got != wsID {
		t.Errorf("login/social of the first subject signed in %v, want %v", got, wsID)
	}
}

// TestSocialSignInFacesTOTP: a social sign-in is a first factor: on an
// account with TOTP its token starts pending (docs/api.md#two-factor-authentication, docs/api.md#social-login).
func TestSocialSignInFacesTOTP(t *testing.T) {
	p := newOIDCProvider(t)
	e := newEnv(t, withSocial(p))
	u := googleUser{Sub: "1212", Email: "tess@gmail.com"}
	tok, _ := socialRegister(e, p, u)
	totp := enrolTOTP(e, tok)
	for name, r := range map[string]func() response{
		"login/social": func() response { return socialLogin(e, p, u) },
		"register/social": func() response {
			return e.do("POST", "/api/v2/register/social/", registerBody(p.code(u)), "")
		},
	} {
		pending, _ := r().JSON(t)["token"].(string)
		sfWantDetail(t, "GET profile with the token of "+name, e.do("GET", "/api/v2/profile/", nil, pending),
			403, "2fa_needed", "Two factor authentication is needed.")
		if ca := tfCodeAuth(e, pending, tfCode(e, totp.secret)); ca.Status != 204 {
			t.Fatalf("codeauth of the %s token = %d %s, want 204", name, ca.Status, ca.Body)
		}
		if st := e.do("GET", "/api/v2/profile/", nil, pending).Status; st != 200 {
			t.Errorf("GET profile with the %s token after codeauth = %d, want 200", name, st)
		}
		e.Clock.Advance(30 * time.Second) // a TOTP code is accepted once
	}
}

// TestSocialPKCEAndNonce: the extension fields code_verifier and nonce,
// for a client that used PKCE or a nonce in its authorization request: the
// verifier goes to the token endpoint, the nonce must be the ID token's.
func TestSocialPKCEAndNonce(t *testing.T) {
	p := newOIDCProvider(t)
	e := newEnv(t, withSocial(p))
	verifier := strings.Repeat("v3rifier-", 6) // 54 characters
	sum := sha256.Sum256([]byte(verifier))
	pkce := url.Values{"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
	u := googleUser{Sub: "1601", Email: "pkce@gmail.com"}

	sfWantField(t, "register/social without the code_verifier", e.do("POST", "/api/v2/register/social/",
		registerBody(p.codeWith(u, pkce)), ""), "code", "invalid")
	b := registerBody(p.codeWith(u, pkce))
	b["code_verifier"] = strings.Repeat("x", 43)
	sfWantField(t, "register/social with another code_verifier", e.do("POST", "/api/v2/register/social/", b, ""), "code", "invalid")
	noAccount(t, e, u.Email)
	before := p.tokenRequests.Load()
	b = registerBody("unused")
	b["code_verifier"] = "too short"
	sfWantField(t, "register/social with a malformed code_verifier", e.do("POST", "/api/v2/register/social/", b, ""),
		"code_verifier", "invalid")
	if p.tokenRequests.Load() != before {
		t.Error("a malformed code_verifier reached the token endpoint")
	}
	b = registerBody(p.codeWith(u, pkce))
	b["code_verifier"] = verifier
	if r := e.do("POST", "/api/v2/register/social/", b, ""); r.Status != 200 {
		t.Errorf("register/social with the code_verifier = %d %s, want 200", r.Status, r.Body)
	}

	nonce := url.Values{"nonce": {"n-0123456789"}}
	b = socialBody(p.codeWith(u, nonce))
	b["nonce"] = "n-another"
	sfWantField(t, "login/social with another nonce", e.do("POST", "/api/v2/login/social/", b, ""), "code", "invalid")
	b = socialBody(p.codeWith(u, nonce))
	b["nonce"] = "n-0123456789"
	loginTokenOf(t, e.do("POST", "/api/v2/login/social/", b, ""))
	b = socialBody("unused")
	b["nonce"] = strings.Repeat("n", 256)
	sfWantField(t, "login/social with a long nonce", e.do("POST", "/api/v2/login/social/", b, ""), "nonce", "max_length")
}

// countingHasher records the password hashing work of a test.
type countingHasher struct {
	account.Hasher
	mu sync.Mutex
	// verified counts Verify calls on a real hash; dummies VerifyDummy calls;
	// empty counts Verify calls on an empty hash (no work at all).
	verified, dummies, empty int
}

func (h *countingHasher) Verify(pw, encoded string) (bool, bool, error) {
	h.mu.Lock()
	if encoded == "" {
		h.empty++
	} else {
		h.verified++
	}
	h.mu.Unlock()
	return h.Hasher.Verify(pw, encoded)
}

func (h *countingHasher) VerifyDummy(pw string) bool {
	h.mu.Lock()
	h.dummies++
	h.mu.Unlock()
	return h.Hasher.VerifyDummy(pw)
}

func (h *countingHasher) counts() (verified, dummies, empty int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.verified, h.dummies, h.empty
}

// TestSocialAccountHasNoPassword: a password login of an account made by
// register/social fails exactly like a wrong password, after the same
// hashing work (a dummy hash); change password and delete with a password
// are 400 password/authorization; the reset flow sets a first password.
func TestSocialAccountHasNoPassword(t *testing.T) {
	p := newOIDCProvider(t)
	h := &countingHasher{}
	e := newEnv(t, withSocial(p), func(o *envOptions) {
		o.Hasher = func(in account.Hasher) account.Hasher { h.Hasher = in; return h }
	})
	const addr = "nopw@gmail.com"
	tok, _ := socialRegister(e, p, googleUser{Sub: "1313", Email: addr})

	v0, d0, _ := h.counts()
	r := e.do("POST", "/api/v2/login/", obj{"email": addr, "password": testPassword, "recaptcha": "x"}, "")
	sfWantField(t, "password login of a social account", r, "non_field_errors", "authorization")
	unknown := e.do("POST", "/api/v2/login/", obj{"email": "nobody@gmail.com", "password": testPassword, "recaptcha": "x"}, "")
	if string(r.Body) != string(unknown.Body) {
		t.Errorf("password login of a social account = %s, of an unknown address = %s; want the same", r.Body, unknown.Body)
	}
	v1, d1, empty := h.counts()
	if v1 != v0 || d1-d0 != 2 || empty != 0 {
		t.Errorf("hashing of the two logins: %d verifies, %d dummies, %d checks of an empty hash; want 0, 2, 0",
			v1-v0, d1-d0, empty)
	}
	sfWantField(t, "change password of a social account", e.do("POST", "/api/v2/changepassword/",
		obj{"password": "", "new_password": "Battery-Staple-5501"}, tok), "password", "blank")
	sfWantField(t, "change password of a social account", e.do("POST", "/api/v2/changepassword/",
		obj{"password": testPassword, "new_password": "Battery-Staple-5501"}, tok), "password", "authorization")
	sfWantField(t, "delete with a password of a social account", e.do("POST", "/api/v2/deleteaccount/",
		obj{"password": testPassword, "recaptcha": "x"}, tok), "password", "authorization")

	reset := e.resetToken(addr)
	if r := e.do("POST", "/api/v2/resetpassword/complete/", obj{"password_reset_token": reset,
		"password": "Battery-Staple-5501", "recaptcha": "x"}, ""); r.Status != 200 {
		t.Fatalf("reset complete of a social account = %d %s, want 200", r.Status, r.Body)
	}
	if st := sfLoginStatus(e, addr, "Battery-Staple-5501"); st != 200 {
		t.Errorf("password login after the first password was set = %d, want 200", st)
	}
	loginTokenOf(t, socialLogin(e, p, googleUser{Sub: "1313", Email: addr}))
}

// TestSocialDeleteNeedsTheCallersIdentity: deleteaccount/social with a
// sign-in of another identity is 400 code/authorization and deletes
// nothing; an API key may not call it.
func TestSocialDeleteNeedsTheCallersIdentity(t *testing.T) {
	p := newOIDCProvider(t)
	e := newEnv(t, withSocial(p))
	mine, _ := socialRegister(e, p, googleUser{Sub: "1414", Email: "me@gmail.com"})
	socialRegister(e, p, googleUser{Sub: "1415", Email: "you@gmail.com"})
	for _, u := range []googleUser{{Sub: "1415", Email: "you@gmail.com"}, {Sub: "1416", Email: "nobody@gmail.com"}} {
		sfWantField(t, "deleteaccount/social with the identity "+u.Sub, e.do("POST", "/api/v2/deleteaccount/social/",
			socialBody(p.code(u)), mine), "code", "authorization")
	}
	sfWantStatus(t, "GET profile after the refused deletions", e.do("GET", "/api/v2/profile/", nil, mine), 200)
	key := e.do("POST", "/api/v2/apikey/", obj{"label": "k"}, mine).JSON(t)["key"].(string)
	sfWantDetail(t, "deleteaccount/social with an API key", e.do("POST", "/api/v2/deleteaccount/social/",
		socialBody(p.code(googleUser{Sub: "1414", Email: "me@gmail.com"})), key), 403, "api_key_not_allowed", "")
}

// TestSocialHostedDomainAllowList: with ACCOUNTD_GOOGLE_HOSTED_DOMAINS set,
// only accounts of those Workspace domains sign in.
func TestSocialHostedDomainAllowList(t *testing.T) {
	p := newOIDCProvider(t)
	e := newEnv(t, withSocial(p, func(c *account.SocialConfig) { c.HostedDomains = []string{"corp.example"} }))
	for _, u := range []googleUser{{Sub: "1501", Email: "x@gmail.com"}, {Sub: "1502", Email: "y@other.example", HD: "other.example"}} {
		sfWantField(t, "register/social of "+u.Email, e.do("POST", "/api/v2/register/social/", registerBody(p.code(u)), ""),
			"code", "invalid")
		noAccount(t, e, u.Email)
	}
	socialRegister(e, p, googleUser{Sub: "1503", Email: "z@corp.example", HD: "corp.example"})
}

// FuzzSocialDecoders sends arbitrary bodies to the three social routes of a
// server whose "google" is a real provider on loopback: every answer is a
// contract status with a JSON object, never a 500 or a panic, and a
// made-up code is never taken.
func FuzzSocialDecoders(f *testing.F) {
	seeds := []string{
		`{"provider":"google","code":"x","redirect_uri":"https://dash.example.com","tos_accepted":true}`,
		`{"provider":"google","code":"x","redirect_uri":"https://dash.example.com"}`,
		`{"provider":"github","code":"","redirect_uri":null,"tos_accepted":"yes"}`,
		`{"provider":["google"],"code":{"a":1},"redirect_uri":1e999,"marketing_email_accepted":2}`,
		`{"provider":"google","provider":"google","code":"\u0000","redirect_uri":"https://dash.example.com/"}`,
		`provider=google&code=x&redirect_uri=https%3A%2F%2Fdash.example.com&tos_accepted=on`,
		`{"provider":"` + strings.Repeat("g", 5000) + `","code":"` + strings.Repeat("c", 5000) + `"}`,
		`{"provider":"google","code":"x","redirect_uri":"https://dash.example.com","code_verifier":"` +
			strings.Repeat("~", 43) + `","nonce":"n"}`,
		`{"provider":"google","code":"x","redirect_uri":"https://dash.example.com","code_verifier":"é","nonce":5}`,
		``, `[]`, `{`,
	}
	for i, s := range seeds {
		f.Add(uint8(i%3), []byte(s))
	}
	p := newOIDCProvider(f)
	base, token := socialFuzzEnv(f, p)
	paths := []string{"/api/v2/register/social/", "/api/v2/login/social/", "/api/v2/deleteaccount/social/"}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		path := paths[int(route)%len(paths)]
		tok := ""
		if strings.Contains(path, "delete") {
			tok = token
		}
		ct := "application/json"
		if len(body) > 0 && body[0] != '{' && body[0] != '[' {
			ct = "application/x-www-form-urlencoded"
		}
		status, got := apiFuzzDo(t, "POST", base+path, ct, tok, body)
		if !apiFuzzStatuses[status] || status == 200 || status == 204 {
			t.Errorf("POST %s with body %q = %d %s, want a refusal of the contract", path, body, status, got)
		}
		var m map[string]any
		if err := json.Unmarshal(got, &m); err != nil {
			t.Errorf("POST %s with body %q = %d %q, want a JSON object (%v)", path, body, status, got, err)
		}
	})
}

// socialFuzzEnv is apiFuzzEnv with p as "google", and a token of an account
// registered through it (for deleteaccount/social).
func socialFuzzEnv(f *testing.F, p *oidcProvider) (string, string) {
	f.Helper()
	store := testdb.SQLiteStore(f)
	start := time.Date(2026, 11, 27, 13, 58, 10, 246406000, time.UTC)
	hasher := password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16})
	svc := account.NewService(store, hasher, account.Config{DashboardURL: "https://dash.example.com",
		MailDomain: "example.com", Policy: password.DefaultPolicy(), Secrets: secretbox.NewRandom(),
		Social: map[string]account.SocialConfig{"google": p.config()}}, func() time.Time { return start }, nil)
	h := web.New(svc, captcha.None{}, slog.New(slog.NewTextHandler(io.Discard, nil)),
		web.NewMetrics(prometheus.NewRegistry()), web.Config{DevInbox: store, MinPasswordLength: 8})
	srv := httptest.NewServer(h)
	f.Cleanup(srv.Close)
	b, _ := json.Marshal(registerBody(p.code(googleUser{Sub: "fuzz", Email: "fuzz@gmail.com"})))
	status, body := apiFuzzDo(f, "POST", srv.URL+"/api/v2/register/social/", "application/json", "", b)
	var m struct{ Token string }
	if status != 200 || json.Unmarshal(body, &m) != nil || m.Token == "" {
		f.Fatalf("register/social = %d %s, want 200 with a token", status, body)
	}
	return srv.URL, m.Token
}
