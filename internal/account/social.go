package account

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
)

// Social sign-in over OpenID Connect (docs/api.md#social-login). An adapter
// (internal/social) exchanges the code and verifies the ID token; every rule
// about who signs in, what is linked and what is voided lives here.

// Identity is what a provider vouches for after a code exchange and the
// checks of the ID token (signature, iss, aud, exp, azp).
type Identity struct {
	// Issuer is the provider's configured issuer: with Subject the key of
	// the identity (ASVS 6.8.1), never the email.
	Issuer  string
	Subject string
	Email   string
	// EmailVerified is the email_verified claim.
	EmailVerified bool
	// HostedDomain is the hd claim: the Google Workspace domain of the
	// account, "" for a consumer account.
	HostedDomain string
	GivenName    string
	FamilyName   string
}

// SocialProvider exchanges an authorization code for a verified identity.
// It returns an error wrapping ErrSocialCode when the provider refuses the
// code or the ID token fails a check (a nonce that differs from g.Nonce
// included), ErrSocialUnavailable when the provider cannot be reached; the
// wrapped detail is for logs and audit events and holds no code or token.
type SocialProvider interface {
	Exchange(ctx context.Context, g Grant) (Identity, error)
}

// Grant is what a client sends to be exchanged: the code and the
// redirect_uri it was issued for, and, from a client that used them, the
// PKCE code_verifier and the nonce of the authorization request
// (extensions: the SDK sends neither).
type Grant struct {
	Code         string
	RedirectURI  string
	CodeVerifier string
	Nonce        string
}

// Errors a SocialProvider wraps.
var (
	ErrSocialCode        = errors.New("the provider refused the code or its ID token")
	ErrSocialUnavailable = errors.New("the provider cannot be reached")
)

// SocialConfig is one configured provider ("google").
type SocialConfig struct {
	Provider SocialProvider
	// RedirectURIs is the exact-match allow-list of redirect_uri values;
	// one outside it is refused before the provider is contacted.
	RedirectURIs []string
	// AuthoritativeDomains are the address domains whose verified address
	// the provider vouches for (gmail.com, googlemail.com); an hd claim
	// equal to the address's domain is authoritative too.
	AuthoritativeDomains []string
	// HostedDomains, when not empty, is the allow-list of hd claims: an
	// identity outside it is refused.
	HostedDomains []string
}

// SocialInput is the body of a social register, login or delete request.
type SocialInput struct {
	Provider    string
	Code        string
	RedirectURI string
	// CodeVerifier and Nonce are the optional extension fields
	// code_verifier and nonce.
	CodeVerifier string
	Nonce        string
	// TOSAccepted and MarketingEmailAccepted are read on register only.
	TOSAccepted            bool
	MarketingEmailAccepted bool
}

// MailSocialLinked tells an account's owner that a provider's sign-in was
// linked to it (docs/api.md#social-login).
const MailSocialLinked = "social_linked"

// Errors of docs/api.md#social-login.
var (
	errSocialCodeInvalid     = Invalid("code", "invalid", "The authorization code is invalid or was already used.")
	errSocialEmailUnverified = Invalid("code", "email_unverified", "The email address of this sign-in is not verified.")
	errSocialHostedDomain    = Invalid("code", "invalid", "Accounts of this domain may not sign in here.")
	errSocialRedirect        = Invalid("redirect_uri", "invalid", "This redirect URI is not allowed.")
	errSocialNotLinked       = Invalid("non_field_errors", "authorization", "No account is linked to this sign-in.")
	errSocialOtherAccount    = Invalid("code", "authorization", "This sign-in is not linked to your account.")
	errSocialUnavailable     = &Error{Kind: KindUnavailable, Code: "social_unavailable",
		Message: "The sign-in provider cannot be reached, please try again later."}
)

// errSocialProvider answers a provider that is not configured, in DRF's
// words for a ChoiceField.
func errSocialProvider(name string) *Error {
	if len(name) > 64 {
		name = name[:64]
	}
	return Invalid("provider", "invalid_choice", `"`+strings.ToValidUTF8(name, "")+`" is not a valid choice.`)
}

// socialCheck validates the fields every social request shares: the
// provider is configured and the redirect URI is allowed. Nothing has been
// sent to the provider yet.
func (s *Service) socialCheck(in SocialInput, extra []FieldError) (SocialConfig, error) {
	fields := extra
	pc, ok := s.cfg.Social[in.Provider]
	if !ok || pc.Provider == nil {
		fields = append(fields, errSocialProvider(in.Provider).Fields...)
	} else if !slices.Contains(pc.RedirectURIs, in.RedirectURI) {
		fields = append(fields, errSocialRedirect.Fields...)
	}
	if in.CodeVerifier != "" && !validCodeVerifier(in.CodeVerifier) {
		fields = append(fields, FieldError{"code_verifier", "invalid",
			"Enter 43 to 128 characters of A-Z, a-z, 0-9, \"-\", \".\", \"_\" and \"~\"."})
	}
	if len(in.Nonce) > maxNonceLength {
		fields = append(fields, FieldError{"nonce", "max_length", "Ensure this field has no more than 255 characters."})
	}
	if len(fields) > 0 {
		return SocialConfig{}, InvalidFields(fields)
	}
	return pc, nil
}

// maxNonceLength bounds the nonce extension field.
const maxNonceLength = 255

// validCodeVerifier reports whether v is a PKCE code verifier (RFC 7636
// §4.1): 43 to 128 unreserved characters.
func validCodeVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0) {
			return false
		}
	}
	return true
}

// socialIdentity exchanges the code and applies the rules on the identity
// the provider vouches for: a verified address, a hosted domain in the
// allow-list. Each refusal leaves an audit event with its reason.
func (s *Service) socialIdentity(ctx context.Context, pc SocialConfig, in SocialInput, c Client) (Identity, error) {
	id, err := pc.Provider.Exchange(ctx, Grant{Code: in.Code, RedirectURI: in.RedirectURI,
		CodeVerifier: in.CodeVerifier, Nonce: in.Nonce})
	switch {
	case errors.Is(err, ErrSocialUnavailable):
		s.bestEffortEvent(ctx, "social_refused", 0, "", c, in.Provider+": provider unavailable")
		e := *errSocialUnavailable
		e.Err = err
		return Identity{}, &e
	case err != nil:
		s.bestEffortEvent(ctx, "social_refused", 0, "", c, in.Provider+": "+truncate(reasonOf(err), 200))
		return Identity{}, errSocialCodeInvalid
	}
	email, verr := ValidateEmail("email", id.Email)
	if !id.EmailVerified || verr != nil {
		s.bestEffortEvent(ctx, "social_refused", 0, "", c, in.Provider+": email not verified (or not a valid address)")
		return Identity{}, errSocialEmailUnverified
	}
	id.Email = email
	if len(pc.HostedDomains) > 0 && !slices.Contains(pc.HostedDomains, strings.ToLower(id.HostedDomain)) {
		s.bestEffortEvent(ctx, "social_refused", 0, id.Email, c, in.Provider+": hosted domain not allowed")
		return Identity{}, errSocialHostedDomain
	}
	return id, nil
}

// reasonOf is the detail of a provider's error for the audit log: the
// adapter's words after the sentinel, which hold no code or token.
func reasonOf(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ErrSocialCode.Error()+": "); i >= 0 {
		return msg[i+len(ErrSocialCode.Error())+2:]
	}
	return msg
}

// authoritative reports whether the provider vouches for the mailbox of
// id's address, not only for having once seen it verified: the address is
// at one of its own domains, or at the Workspace domain the hd claim names.
func authoritative(pc SocialConfig, id Identity) bool {
	at := strings.LastIndexByte(id.Email, '@')
	domain := strings.ToLower(id.Email[at+1:])
	return slices.Contains(pc.AuthoritativeDomains, domain) ||
		id.HostedDomain != "" && strings.EqualFold(id.HostedDomain, domain)
}

// SocialRegister signs in with a provider, creating an account when the
// identity has none (docs/api.md#social-login). existing is true when an account was
// signed in instead: linked before, or linked now by the rules of
// resolveSocial.
func (s *Service) SocialRegister(ctx context.Context, in SocialInput, c Client) (token string, existing bool, err error) {
	var tos []FieldError
	if !in.TOSAccepted {
		tos = append(tos, FieldError{"tos_accepted", "invalid", "You must accept the terms of service."})
	}
	pc, err := s.socialCheck(in, tos)
	if err != nil {
		return "", false, err
	}
	id, err := s.socialIdentity(ctx, pc, in, c)
	if err != nil {
		return "", false, err
	}
	token, found, err := s.resolveSocial(ctx, pc, in.Provider, id, c, ErrEmailTaken)
	if err != nil || found {
		return token, found, err
	}
	token, err = s.createSocialUser(ctx, in, id, c)
	return token, false, err
}

// SocialLogin signs in with a provider. An identity without an account is
// refused: accounts are made by SocialRegister, with the terms accepted.
func (s *Service) SocialLogin(ctx context.Context, in SocialInput, c Client) (string, error) {
	pc, err := s.socialCheck(in, nil)
	if err != nil {
		return "", err
	}
	id, err := s.socialIdentity(ctx, pc, in, c)
	if err != nil {
		return "", err
	}
	token, found, err := s.resolveSocial(ctx, pc, in.Provider, id, c, ErrBadCredentials)
	if err != nil {
		return "", err
	}
	if !found {
		s.bestEffortEvent(ctx, "social_refused", 0, id.Email, c, in.Provider+": no linked account")
		return "", errSocialNotLinked
	}
	return token, nil
}

// resolveSocial finds the account of an identity and signs it in (see
// docs/api.md#social-login): the identity's own account; else an active account with the same
// address, linked only when the provider is authoritative for the address;
// else none (found false). taken is the error for an address whose
// account may not be linked: ErrEmailTaken on register, ErrBadCredentials
// on login.
func (s *Service) resolveSocial(ctx context.Context, pc SocialConfig, provider string, id Identity, c Client, taken error) (string, bool, error) {
	si, err := s.store.SocialIdentity(ctx, id.Issuer, id.Subject)
	switch {
	case err == nil:
		return s.socialLinkedSignIn(ctx, si, id, c, taken)
	case !isNotFound(err):
		return "", false, wrapStore(err)
	}
	u, err := s.store.UserByEmailKey(ctx, EmailKey(id.Email))
	switch {
	case isNotFound(err):
		return "", false, nil
	case err != nil:
		return "", false, wrapStore(err)
	case u.Deleted():
		// A deleted account keeps its address until the purge; login
		// treats it as unknown.
		if taken == ErrBadCredentials {
			return "", false, nil
		}
		return "", false, ErrEmailTaken
	case !authoritative(pc, id):
		s.bestEffortEvent(ctx, "social_refused", u.ID, u.Email, c, provider+": address taken, provider not authoritative for it")
		return "", false, taken
	}
	if other, err := s.linkedAtIssuer(ctx, u.ID, id.Issuer); err != nil || other {
		if other {
			// A Workspace admin can delete a user and make another with the
			// same address (a new subject): that person must not inherit
			// the account. A subject never replaces another.
			s.bestEffortEvent(ctx, "social_refused", u.ID, u.Email, c, provider+": address linked to another subject")
			return "", false, taken
		}
		return "", false, err
	}
	token, err := s.linkSocial(ctx, u, provider, id, c)
	return token, err == nil, err
}

// linkedAtIssuer reports whether the user has an identity at issuer.
func (s *Service) linkedAtIssuer(ctx context.Context, userID int64, issuer string) (bool, error) {
	ids, err := s.store.SocialIdentities(ctx, userID)
	if err != nil {
		return false, wrapStore(err)
	}
	return slices.ContainsFunc(ids, func(si SocialIdentity) bool { return si.Issuer == issuer }), nil
}

// socialLinkedSignIn signs in the account an identity is linked to. The
// address may have changed at the provider: the subject stays the key.
func (s *Service) socialLinkedSignIn(ctx context.Context, si SocialIdentity, id Identity, c Client, taken error) (string, bool, error) {
	u, err := s.store.UserByID(ctx, si.UserID)
	if err != nil {
		return "", false, wrapStore(err)
	}
	if u.Deleted() {
		if taken == ErrBadCredentials {
			return "", false, nil
		}
		return "", false, ErrEmailTaken
	}
	var token string
	now := s.clock()
	err = s.store.InTx(ctx, func(tx Store) error {
		if err := tx.TouchSocialIdentity(ctx, si.ID, id.Email, now); err != nil {
			return err
		}
		if err := tx.SetLastLogin(ctx, u.ID, now); err != nil {
			return err
		}
		if token, _, err = s.mintLoginToken(ctx, tx, u, c, signInSocial); err != nil {
			return err
		}
		return s.event(ctx, tx, "social_signed_in", u.ID, u.Email, c, si.Provider)
	})
	if err != nil {
		return "", false, wrapStore(err)
	}
	s.wake() // an email code or a sign-in notice may have been queued
	return token, true, nil
}

// linkSocial links an identity to the account with its address and signs
// it in. An account whose address was never verified may have been made by
// someone else in the owner's name (pre-registration hijack): its password,
// tokens, API keys, pending links, codes and second factor are voided
// first, so nothing its maker set survives, and the address counts as
// verified from now on. The owner is told.
func (s *Service) linkSocial(ctx context.Context, u User, provider string, id Identity, c Client) (string, error) {
	var token string
	now := s.clock()
	err := s.store.InTx(ctx, func(tx Store) error {
		if !u.EmailVerified {
			if err := s.voidUnverifiedAccount(ctx, tx, u, now, c); err != nil {
				return err
			}
			u.EmailVerified = true
		}
		si := SocialIdentity{UserID: u.ID, Provider: provider, Issuer: id.Issuer, Subject: id.Subject,
			Email: id.Email, CreatedAt: now, LastLoginAt: now}
		if err := tx.CreateSocialIdentity(ctx, &si); err != nil {
			return err
		}
		if err := tx.SetLastLogin(ctx, u.ID, now); err != nil {
			return err
		}
		notice := s.newMail(MailSocialLinked, u.Email, c, map[string]string{
			"email": u.Email, "provider": socialProviderName(provider), "linked_at": formatMailTime(now),
			"ip": c.IP, "user_agent": c.UserAgent, "reset_url": s.cfg.DashboardURL + "/resetpassword/",
		})
		if err := tx.EnqueueMail(ctx, notice); err != nil {
			return err
		}
		if err := s.event(ctx, tx, "social_linked", u.ID, u.Email, c, provider); err != nil {
			return err
		}
		var err error
		token, _, err = s.mintLoginToken(ctx, tx, u, c, signInSocialLink)
		return err
	})
	if errors.Is(err, ErrConflict) {
		// A concurrent request linked this identity first.
		return "", errSocialCodeInvalid
	}
	if err != nil {
		return "", wrapStore(err)
	}
	s.wake()
	return token, nil
}

// voidUnverifiedAccount ends everything the maker of an unverified account
// may hold or have set, inside the linking transaction: the password
// (cleared: the account signs in through the provider until a reset sets
// one), every token and API key, every reset link, change-of-address code
// and activation link, and any second factor with its recovery codes.
func (s *Service) voidUnverifiedAccount(ctx context.Context, tx Store, u User, now time.Time, c Client) error {
	steps := []func() error{
		func() error { return tx.SetPassword(ctx, u.ID, "", now) },
		func() error { return tx.RevokeTokens(ctx, u.ID, 0, []TokenKind{TokenLogin, TokenAPIKey}, now) },
		func() error { return s.voidPending(ctx, tx, u.ID, now) },
		func() error { return tx.SetActiveTwoFactorMethod(ctx, u.ID, 0, 0, now) },
		func() error { return tx.ReplaceRecoveryCodes(ctx, u.ID, nil, now) },
		func() error { return tx.ClearTwoFactorFailures(ctx, u.ID) },
		func() error { return tx.SetEmailVerified(ctx, u.ID, now) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return s.event(ctx, tx, "social_hijack_voided", u.ID, u.Email, c,
		"unverified account: password, tokens, API keys, links and second factor voided before linking")
}

// createSocialUser creates an account for an identity that has none: its
// address verified by the provider, no password, the names the provider
// gave, the identity linked, and a first login token.
func (s *Service) createSocialUser(ctx context.Context, in SocialInput, id Identity, c Client) (string, error) {
	now := s.clock()
	u := User{Email: id.Email, EmailKey: EmailKey(id.Email), Timezone: "UTC",
		FirstName: truncateRunes(id.GivenName, maxNameLength), LastName: truncateRunes(id.FamilyName, maxNameLength),
		EmailVerified: true, MarketingEmailAccepted: in.MarketingEmailAccepted,
		CreatedAt: now, UpdatedAt: now, PasswordChangedAt: now, EmailChangedAt: now}
	var token string
	err := s.store.InTx(ctx, func(tx Store) error {
		if err := tx.CreateUser(ctx, &u); err != nil {
			return err
		}
		if err := tx.SetEmailVerified(ctx, u.ID, now); err != nil {
			return err
		}
		si := SocialIdentity{UserID: u.ID, Provider: in.Provider, Issuer: id.Issuer, Subject: id.Subject,
			Email: id.Email, CreatedAt: now, LastLoginAt: now}
		if err := tx.CreateSocialIdentity(ctx, &si); err != nil {
			return err
		}
		if err := tx.SetLastLogin(ctx, u.ID, now); err != nil {
			return err
		}
		var err error
		if token, _, err = s.mintLoginToken(ctx, tx, u, c, signInSocialRegistered); err != nil {
			return err
		}
		return s.event(ctx, tx, "social_registered", u.ID, u.Email, c, in.Provider)
	})
	if errors.Is(err, ErrConflict) {
		// A concurrent request made this account, or linked the identity.
		return "", ErrEmailTaken
	}
	return token, wrapStore(err)
}

// DeleteAccountSocial deletes the account of t after a fresh sign-in with a
// provider whose identity is linked to it: the proof of presence of the
// password-less accounts (docs/api.md#social-login), instead of the password.
func (s *Service) DeleteAccountSocial(ctx context.Context, t Token, u User, in SocialInput, c Client) error {
	if err := LoginTokenOnly.Permit(t); err != nil {
		return err
	}
	pc, err := s.socialCheck(in, nil)
	if err != nil {
		return err
	}
	id, err := s.socialIdentity(ctx, pc, in, c)
	if err != nil {
		return err
	}
	si, err := s.store.SocialIdentity(ctx, id.Issuer, id.Subject)
	if err != nil && !isNotFound(err) {
		return wrapStore(err)
	}
	if err != nil || si.UserID != u.ID {
		s.bestEffortEvent(ctx, "social_refused", u.ID, u.Email, c, in.Provider+": delete with an identity not linked to the account")
		return errSocialOtherAccount
	}
	return s.markDeleted(ctx, u, c, "account_deleted", "through "+in.Provider)
}

// SocialIdentity is an identity at a provider linked to an account.
type SocialIdentity struct {
	ID       int64
	UserID   int64
	Provider string // the configured name, "google"
	Issuer   string
	Subject  string
	// Email is the address the provider gave at the last sign-in, for
	// operators; it never selects the account.
	Email       string
	CreatedAt   time.Time
	LastLoginAt time.Time
}

// SocialIdentities lists the identities linked to the account.
func (s *Service) SocialIdentities(ctx context.Context, u User) ([]SocialIdentity, error) {
	out, err := s.store.SocialIdentities(ctx, u.ID)
	return out, wrapStore(err)
}

// socialProviderName is the provider's name as emails show it.
func socialProviderName(provider string) string {
	if provider == "google" {
		return "Google"
	}
	return provider
}

// truncateRunes cuts s to at most n characters.
func truncateRunes(s string, n int) string {
	r := []rune(strings.ToValidUTF8(s, ""))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n])
}
