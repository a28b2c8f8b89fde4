package social_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/social"
)

// The adapter against a real provider on loopback (mockoidc): what it
// returns for a good code, and how it classifies what goes wrong. The HTTP
// tests of internal/web cover the rules on top.

const redirect = "https://dash.example.com"

// startProvider runs a mock provider on 127.0.0.1 until the test ends.
func startProvider(t *testing.T) *mockoidc.MockOIDC {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	return m
}

// code signs u in at the authorization endpoint and returns the code.
func code(t *testing.T, m *mockoidc.MockOIDC, u mockoidc.User) string {
	t.Helper()
	m.QueueUser(u)
	q := url.Values{"client_id": {m.ClientID}, "response_type": {"code"}, "scope": {"openid email profile"},
		"state": {"s"}, "redirect_uri": {redirect}}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(m.AuthorizationEndpoint() + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("authorize: Location %q, want a code", res.Header.Get("Location"))
	}
	return loc.Query().Get("code")
}

// user is an account whose email_verified claim is sent as given (a
// boolean, or a string as some providers send it).
type user struct {
	sub, email string
	verified   any
	hd         string
}

func (u user) ID() string { return u.sub }
func (u user) Userinfo([]string) ([]byte, error) {
	return json.Marshal(map[string]string{"sub": u.sub})
}
func (u user) Claims(_ []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	return &struct {
		*mockoidc.IDTokenClaims
		Email    string `json:"email"`
		Verified any    `json:"email_verified"`
		HD       string `json:"hd,omitempty"`
		Given    string `json:"given_name"`
	}{base, u.email, u.verified, u.hd, "Ada"}, nil
}

func newProvider(m *mockoidc.MockOIDC) *social.Provider {
	return social.New(social.Config{Issuer: m.Issuer(), ClientID: m.ClientID, ClientSecret: m.ClientSecret})
}

func TestExchangeReturnsTheVerifiedIdentity(t *testing.T) {
	m := startProvider(t)
	p := newProvider(m)
	for _, verified := range []any{true, "true"} {
		got, err := p.Exchange(context.Background(), account.Grant{Code: code(t, m, user{"42", "ada@corp.example", verified, "corp.example"}), RedirectURI: redirect})
		want := account.Identity{Issuer: m.Issuer(), Subject: "42", Email: "ada@corp.example", EmailVerified: true,
			HostedDomain: "corp.example", GivenName: "Ada"}
		if err != nil || got != want {
			t.Errorf("Exchange (email_verified %#v) = %+v, %v; want %+v", verified, got, err, want)
		}
	}
	got, err := p.Exchange(context.Background(), account.Grant{Code: code(t, m, user{"43", "b@example.com", false, ""}), RedirectURI: redirect})
	if err != nil || got.EmailVerified {
		t.Errorf("Exchange (email_verified false) = %+v, %v; want the identity, not verified", got, err)
	}
}

func TestExchangeClassifiesFailures(t *testing.T) {
	m := startProvider(t)
	p := newProvider(m)
	used := code(t, m, user{"1", "a@example.com", true, ""})
	if _, err := p.Exchange(context.Background(), account.Grant{Code: used, RedirectURI: redirect}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Exchange(context.Background(), account.Grant{Code: used, RedirectURI: redirect}); !errors.Is(err, account.ErrSocialCode) {
		t.Errorf("Exchange of a used code error = %v, want ErrSocialCode", err)
	}
	c := code(t, m, user{"2", "b@example.com", true, ""})
	m.QueueError(&mockoidc.ServerError{Code: 503, Error: "temporarily_unavailable"})
	if _, err := p.Exchange(context.Background(), account.Grant{Code: c, RedirectURI: redirect}); !errors.Is(err, account.ErrSocialUnavailable) {
		t.Errorf("Exchange against a failing token endpoint error = %v, want ErrSocialUnavailable", err)
	}
	wrongSecret := social.New(social.Config{Issuer: m.Issuer(), ClientID: m.ClientID, ClientSecret: "wrong"})
	if _, err := wrongSecret.Exchange(context.Background(), account.Grant{Code: code(t, m, user{"3", "c@example.com", true, ""}), RedirectURI: redirect}); !errors.Is(err, account.ErrSocialCode) {
		t.Errorf("Exchange with a wrong client secret error = %v, want ErrSocialCode", err)
	}
}

// TestDiscoveryIsRetried: a provider failing at the first request is asked
// again at the next, so a node that started during an outage recovers.
func TestDiscoveryIsRetried(t *testing.T) {
	m := startProvider(t)
	p := newProvider(m)
	m.QueueError(&mockoidc.ServerError{Code: 500, Error: "server_error"}) // the discovery request
	if _, err := p.Exchange(context.Background(), account.Grant{Code: "x", RedirectURI: redirect}); !errors.Is(err, account.ErrSocialUnavailable) {
		t.Fatalf("Exchange with discovery failing error = %v, want ErrSocialUnavailable", err)
	}
	if _, err := p.Exchange(context.Background(), account.Grant{Code: code(t, m, user{"4", "d@example.com", true, ""}), RedirectURI: redirect}); err != nil {
		t.Errorf("Exchange once the provider answers = %v, want the identity", err)
	}
}
