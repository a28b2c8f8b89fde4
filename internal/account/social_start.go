package account

import (
	"context"
	"slices"
)

// SocialAuthorizer is a provider a browser can be sent to, for the pages'
// "Sign in with Google": it returns the authorization request's URL.
type SocialAuthorizer interface {
	AuthorizationURL(ctx context.Context, a Authorization) (string, error)
}

// Authorization is one authorization request: where the provider sends the
// browser back, the state the callback must bring back, the nonce the ID
// token must carry, and the PKCE verifier whose S256 challenge it sends.
type Authorization struct {
	RedirectURI, State, Nonce, CodeVerifier string
}

// SocialAuthorizable reports whether the pages may offer the provider with
// this redirect URI: it is configured, can send browsers, and redirectURI is
// in its allow-list.
func (s *Service) SocialAuthorizable(provider, redirectURI string) bool {
	pc, ok := s.cfg.Social[provider]
	if !ok || pc.Provider == nil || !slices.Contains(pc.RedirectURIs, redirectURI) {
		return false
	}
	_, ok = pc.Provider.(SocialAuthorizer)
	return ok
}

// SocialAuthorizationURL returns the URL that starts a browser's sign-in at
// the provider, or ErrSocialUnavailable when it cannot be reached (its
// discovery failed). The provider must be SocialAuthorizable.
func (s *Service) SocialAuthorizationURL(ctx context.Context, provider string, a Authorization) (string, error) {
	if !s.SocialAuthorizable(provider, a.RedirectURI) {
		return "", errSocialProvider(provider)
	}
	return s.cfg.Social[provider].Provider.(SocialAuthorizer).AuthorizationURL(ctx, a)
}
