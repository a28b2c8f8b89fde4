package web_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/social"
)

// A real OpenID Connect provider on loopback for the social sign-in tests
// (docs/api.md#social-login): mockoidc serves discovery, the keys, the authorization
// endpoint that hands out codes, and a token endpoint where each code
// works once. The tests shape the ID token through the user they queue
// (googleUser: any claim, aud and exp too) and a middleware that can break
// its signature; accountd reaches it through the real adapter.

// allowedRedirect is the one redirect URI the tests allow.
const allowedRedirect = "https://dash.example.com"

// oidcProvider is a running mock provider.
type oidcProvider struct {
	t testing.TB
	m *mockoidc.MockOIDC
	// tokenRequests counts the requests that reached the token endpoint.
	tokenRequests atomic.Int64
	// forge, when set, alters the ID token's claims after signing, so its
	// signature no longer matches.
	forge atomic.Bool
	// mu serialises the authorization requests: mockoidc's session store is
	// a plain map.
	mu sync.Mutex
}

// newOIDCProvider starts a provider on 127.0.0.1 for the test.
func newOIDCProvider(t testing.TB) *oidcProvider {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &oidcProvider{t: t, m: m}
	if err := m.AddMiddleware(p.tokenMiddleware); err != nil {
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
	return p
}

// tokenMiddleware counts token requests and, with forge set, rewrites the
// ID token's payload (a new subject) while keeping its signature.
func (p *oidcProvider) tokenMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, mockoidc.TokenEndpoint) {
			next.ServeHTTP(w, r)
			return
		}
		p.tokenRequests.Add(1)
		if !p.forge.Load() {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err == nil {
			if raw, ok := body["id_token"].(string); ok {
				body["id_token"] = forgeSubject(raw, "forged-subject")
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rec.Code)
		_ = json.NewEncoder(w).Encode(body)
	})
}

// forgeSubject replaces the sub claim of a signed JWT, keeping the header
// and the signature of the original.
func forgeSubject(raw, sub string) string {
	parts := strings.Split(raw, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return raw
	}
	var claims map[string]any
	if json.Unmarshal(payload, &claims) != nil {
		return raw
	}
	claims["sub"] = sub
	payload, _ = json.Marshal(claims)
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	return strings.Join(parts, ".")
}

// config is the accountd provider configuration for this provider.
func (p *oidcProvider) config() account.SocialConfig {
	return account.SocialConfig{
		Provider: social.New(social.Config{Issuer: p.m.Issuer(), ClientID: p.m.ClientID,
			ClientSecret: p.m.ClientSecret}),
		RedirectURIs:         []string{allowedRedirect},
		AuthoritativeDomains: []string{"gmail.com", "googlemail.com"},
	}
}

// withSocial configures the provider as "google".
func withSocial(p *oidcProvider, change ...func(*account.SocialConfig)) func(*envOptions) {
	return func(o *envOptions) {
		c := p.config()
		for _, f := range change {
			f(&c)
		}
		o.Config.Social = map[string]account.SocialConfig{"google": c}
	}
}

// code signs u in at the authorization endpoint, as a browser would, and
// returns the code the provider redirects back with.
func (p *oidcProvider) code(u mockoidc.User) string {
	p.t.Helper()
	return p.codeWith(u, nil)
}

// codeWith is code with more parameters of the authorization request
// (code_challenge, nonce).
func (p *oidcProvider) codeWith(u mockoidc.User, extra url.Values) string {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.m.QueueUser(u)
	q := url.Values{"client_id": {p.m.ClientID}, "response_type": {"code"}, "scope": {"openid email profile"},
		"state": {"s"}, "redirect_uri": {allowedRedirect}}
	for k, v := range extra {
		q[k] = v
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Get(p.m.AuthorizationEndpoint() + "?" + q.Encode())
	if err != nil {
		p.t.Fatal(err)
	}
	res.Body.Close()
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil || res.StatusCode != http.StatusFound || loc.Query().Get("code") == "" {
		p.t.Fatalf("authorize = %d, Location %q: want a redirect with a code", res.StatusCode, res.Header.Get("Location"))
	}
	return loc.Query().Get("code")
}

// googleUser is a Google account as the mock provider signs it in: the
// claims Google sends, and the ways a token can be wrong.
type googleUser struct {
	Sub, Email string
	Unverified bool
	HD         string
	Given      string
	Family     string
	// Audience replaces aud (a token for another client); AZP sets azp.
	Audience []string
	AZP      string
	// Expired issues a token that expired an hour ago.
	Expired bool
}

func (u googleUser) ID() string { return u.Sub }

func (u googleUser) Userinfo([]string) ([]byte, error) {
	return json.Marshal(map[string]any{"sub": u.Sub, "email": u.Email})
}

// googleClaims are the claims of the ID token.
type googleClaims struct {
	*mockoidc.IDTokenClaims
	Email         string `json:"email,omitempty"`
	EmailVerified bool   `json:"email_verified"`
	HD            string `json:"hd,omitempty"`
	GivenName     string `json:"given_name,omitempty"`
	FamilyName    string `json:"family_name,omitempty"`
	AZP           string `json:"azp,omitempty"`
}

func (u googleUser) Claims(_ []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	if u.Audience != nil {
		base.Audience = u.Audience
	}
	if u.Expired {
		past := time.Now().Add(-2 * time.Hour)
		base.IssuedAt, base.NotBefore = jwt.NewNumericDate(past), jwt.NewNumericDate(past)
		base.ExpiresAt = jwt.NewNumericDate(past.Add(time.Hour))
	}
	return &googleClaims{IDTokenClaims: base, Email: u.Email, EmailVerified: !u.Unverified, HD: u.HD,
		GivenName: u.Given, FamilyName: u.Family, AZP: u.AZP}, nil
}

// socialBody is the body of a social request with the code.
func socialBody(code string) obj {
	return obj{"provider": "google", "code": code, "redirect_uri": allowedRedirect}
}

// registerBody is socialBody with the terms accepted.
func registerBody(code string) obj {
	b := socialBody(code)
	b["tos_accepted"] = true
	return b
}

// socialRegister registers (or signs in) u through the provider and returns
// the answer's token and logged_in_existing_user, failing on anything but
// 200.
func socialRegister(e *env, p *oidcProvider, u googleUser) (string, bool) {
	e.t.Helper()
	r := e.do("POST", "/api/v2/register/social/", registerBody(p.code(u)), "")
	if r.Status != 200 {
		e.t.Fatalf("register/social for %s = %d %s, want 200", u.Email, r.Status, r.Body)
	}
	m := r.JSON(e.t)
	tok, _ := m["token"].(string)
	existing, ok := m["logged_in_existing_user"].(bool)
	if !sfTokenPattern.MatchString(tok) || !ok || len(m) != 2 {
		e.t.Fatalf("register/social body = %s, want {token, logged_in_existing_user}", r.Body)
	}
	return tok, existing
}

// socialLogin signs u in through the provider and returns the answer.
func socialLogin(e *env, p *oidcProvider, u googleUser) response {
	e.t.Helper()
	return e.do("POST", "/api/v2/login/social/", socialBody(p.code(u)), "")
}

// loginToken returns the token of a 200 login/social answer, failing on
// anything else.
func loginTokenOf(t *testing.T, r response) string {
	t.Helper()
	if r.Status != 200 {
		t.Fatalf("login/social = %d %s, want 200", r.Status, r.Body)
	}
	m := r.JSON(t)
	tok, _ := m["token"].(string)
	if !sfTokenPattern.MatchString(tok) || len(m) != 1 {
		t.Fatalf("login/social body = %s, want {token}", r.Body)
	}
	return tok
}

// events returns the types and details of the audit events, oldest first,
// as "type: detail".
func events(e *env) string {
	e.t.Helper()
	evs, err := e.Store.Events(e.t.Context(), account.EventFilter{Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	var b bytes.Buffer
	for _, ev := range evs {
		b.WriteString(ev.Type + ": " + ev.Detail + "\n")
	}
	return b.String()
}
