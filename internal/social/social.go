// Package social is the OpenID Connect adapter of social sign-in (see
// docs/api.md#social-login): it exchanges an authorization code at the issuer's token endpoint
// (golang.org/x/oauth2) and verifies the ID token (github.com/coreos/go-oidc:
// signature by the issuer's published keys, iss, aud, exp), then checks azp
// itself. It implements account.SocialProvider and imports only account of
// this project; every rule about accounts stays in account.
package social

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/accountd/accountd/internal/account"
)

// DefaultTimeout bounds each request to the provider.
const DefaultTimeout = 10 * time.Second

// Config configures one provider.
type Config struct {
	// Issuer is the OpenID Connect issuer (https://accounts.google.com);
	// discovery finds its token endpoint and keys.
	Issuer       string
	ClientID     string
	ClientSecret string
	// HTTPClient makes the requests to the provider [a client with
	// DefaultTimeout].
	HTTPClient *http.Client
	// Now is the clock the ID token's exp is checked against [time.Now].
	Now func() time.Time
}

// Provider exchanges codes at one issuer. Discovery runs on first use and
// again after a failure, so accountd starts while the provider is down.
type Provider struct {
	cfg Config

	mu       sync.Mutex
	endpoint oauth2.Endpoint
	verifier *oidc.IDTokenVerifier
}

// New returns a Provider; it contacts nothing yet.
func New(cfg Config) *Provider {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: DefaultTimeout}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Provider{cfg: cfg}
}

// Issuer is the configured issuer: with the subject, the key of an identity.
func (p *Provider) Issuer() string { return p.cfg.Issuer }

// discover returns the token endpoint and the ID-token verifier, running
// discovery if it has not succeeded yet.
func (p *Provider) discover(ctx context.Context) (oauth2.Endpoint, *oidc.IDTokenVerifier, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.verifier != nil {
		return p.endpoint, p.verifier, nil
	}
	op, err := oidc.NewProvider(p.clientContext(ctx), p.cfg.Issuer)
	if err != nil {
		return oauth2.Endpoint{}, nil, fmt.Errorf("%w: discovery: %v", account.ErrSocialUnavailable, err)
	}
	p.endpoint = op.Endpoint()
	// client_secret_post: Google accepts it, and auto-detection would cost
	// a failed request first.
	p.endpoint.AuthStyle = oauth2.AuthStyleInParams
	p.verifier = op.Verifier(&oidc.Config{ClientID: p.cfg.ClientID, Now: p.cfg.Now})
	return p.endpoint, p.verifier, nil
}

// AuthorizationURL is the provider's authorization endpoint with an
// authorization-code request for openid, email and profile, the state and
// nonce, and the S256 challenge of the PKCE verifier (account.SocialAuthorizer).
func (p *Provider) AuthorizationURL(ctx context.Context, a account.Authorization) (string, error) {
	endpoint, _, err := p.discover(ctx)
	if err != nil {
		return "", err
	}
	cfg := oauth2.Config{ClientID: p.cfg.ClientID, Endpoint: endpoint, RedirectURL: a.RedirectURI,
		Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}
	return cfg.AuthCodeURL(a.State, oidc.Nonce(a.Nonce), oauth2.S256ChallengeOption(a.CodeVerifier)), nil
}

// clientContext makes go-oidc and oauth2 use the provider's HTTP client.
func (p *Provider) clientContext(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, p.cfg.HTTPClient)
}

// claims are the ID token's claims that account uses.
type claims struct {
	Email         string `json:"email"`
	EmailVerified any    `json:"email_verified"` // a boolean; some providers send "true"
	HostedDomain  string `json:"hd"`
	GivenName     string `json:"given_name"`
	FamilyName    string `json:"family_name"`
	AuthorizedFor string `json:"azp"`
}

// Exchange exchanges the grant's code (with its PKCE verifier, if any) for
// tokens and returns the identity the verified ID token names; a nonce
// given must be the token's. Errors wrap account.ErrSocialCode (the code or the token
// refused) or account.ErrSocialUnavailable (the provider cannot be
// reached); their words hold no code or token.
func (p *Provider) Exchange(ctx context.Context, g account.Grant) (account.Identity, error) {
	endpoint, verifier, err := p.discover(ctx)
	if err != nil {
		return account.Identity{}, err
	}
	conf := oauth2.Config{ClientID: p.cfg.ClientID, ClientSecret: p.cfg.ClientSecret,
		Endpoint: endpoint, RedirectURL: g.RedirectURI}
	var opts []oauth2.AuthCodeOption
	if g.CodeVerifier != "" {
		opts = append(opts, oauth2.VerifierOption(g.CodeVerifier))
	}
	ctx = p.clientContext(ctx)
	tok, err := conf.Exchange(ctx, g.Code, opts...)
	if err != nil {
		return account.Identity{}, exchangeError(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return account.Identity{}, fmt.Errorf("%w: no ID token in the answer", account.ErrSocialCode)
	}
	idt, err := verifier.Verify(ctx, raw)
	if err != nil {
		return account.Identity{}, verifyError(err)
	}
	// go-oidc leaves the nonce to us. Compared in constant time: it binds
	// the token to the client's authorization request.
	if g.Nonce != "" && subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(g.Nonce)) != 1 {
		return account.Identity{}, fmt.Errorf("%w: ID token: nonce differs", account.ErrSocialCode)
	}
	return p.identity(idt)
}

// identity reads the claims of a verified ID token, checking azp: a token
// issued to another client must not sign in here (OIDC Core 3.1.3.7).
func (p *Provider) identity(idt *oidc.IDToken) (account.Identity, error) {
	var c claims
	if err := idt.Claims(&c); err != nil {
		return account.Identity{}, fmt.Errorf("%w: claims: unreadable", account.ErrSocialCode)
	}
	if c.AuthorizedFor != "" && c.AuthorizedFor != p.cfg.ClientID ||
		c.AuthorizedFor == "" && len(idt.Audience) > 1 {
		return account.Identity{}, fmt.Errorf("%w: ID token: azp is another client", account.ErrSocialCode)
	}
	if idt.Subject == "" || !slices.Contains(idt.Audience, p.cfg.ClientID) {
		return account.Identity{}, fmt.Errorf("%w: ID token: no subject", account.ErrSocialCode)
	}
	return account.Identity{Issuer: p.cfg.Issuer, Subject: idt.Subject, Email: c.Email,
		EmailVerified: c.EmailVerified == true || c.EmailVerified == "true",
		HostedDomain:  c.HostedDomain, GivenName: c.GivenName, FamilyName: c.FamilyName}, nil
}

// exchangeError classifies a failed code exchange: the provider's refusal
// (a 4xx with an OAuth error: a used, expired or foreign code) or a
// provider that cannot be reached or fails (a network error, a 5xx).
func exchangeError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode < 500 {
		reason := re.ErrorCode
		if reason == "" {
			reason = re.Response.Status
		}
		return fmt.Errorf("%w: exchange refused: %s", account.ErrSocialCode, truncate(reason, 64))
	}
	if re != nil && re.Response != nil {
		return fmt.Errorf("%w: token endpoint answered %s", account.ErrSocialUnavailable, re.Response.Status)
	}
	return fmt.Errorf("%w: token endpoint: %v", account.ErrSocialUnavailable, networkError(err))
}

// verifyError classifies a failed ID-token check: the keys could not be
// fetched (unavailable) or the token is not good (a bad signature, another
// issuer or audience, expired).
func verifyError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%w: fetching keys: %v", account.ErrSocialUnavailable, networkError(err))
	}
	var expired *oidc.TokenExpiredError
	if errors.As(err, &expired) {
		return fmt.Errorf("%w: ID token: expired", account.ErrSocialCode)
	}
	return fmt.Errorf("%w: ID token: %s", account.ErrSocialCode, truncate(err.Error(), 160))
}

// networkError is the cause of a failed request without its URL's query
// (the token endpoint's URL holds no secret, but keep it short).
func networkError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
