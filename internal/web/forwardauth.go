package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/accountd/accountd/internal/account"
)

// DefaultForwardAuthPath is where a reverse proxy asks whether a request is
// signed in (docs/operations.md, "Forward authentication").
const DefaultForwardAuthPath = "/auth/verify"

// The headers of a signed-in answer, for the proxy to pass on to the app.
const (
	headerUserID    = "X-Accountd-User-Id"
	headerEmail     = "X-Accountd-Email"
	headerTwoFactor = "X-Accountd-Two-Factor"
	headerKind      = "X-Accountd-Credential"
)

// forwardAuthMethods: proxies ask with the method of the request they guard
// (nginx's auth_request) or with GET (Traefik, Caddy); all are one question.
var forwardAuthMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
	http.MethodPatch, http.MethodDelete, http.MethodOptions}

// ReturnPath is where the sign-in page sends a browser that came from
// forward auth once it is signed in: it goes back to its ?rd= URL if that
// is allowed, else to the account pages.
const ReturnPath = "/auth/return"

// forwardAuthRoute registers the forward-auth endpoint when it is on, and
// the way back after signing in.
func (s *Server) forwardAuthRoute(mux *http.ServeMux) {
	if s.cfg.ForwardAuthPath == "" {
		return
	}
	ms := methods{}
	for _, m := range forwardAuthMethods {
		ms[m] = http.HandlerFunc(s.forwardAuth)
	}
	s.handle(mux, s.cfg.ForwardAuthPath, ms)
	s.handle(mux, ReturnPath, methods{"GET": http.HandlerFunc(s.forwardAuthReturn)})
}

// forwardAuthReturn redirects to the rd parameter when forward auth would
// have sent the browser to sign in with it (an allowed https URL), else to
// the account pages: the page script never decides where a browser may go.
func (s *Server) forwardAuthReturn(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	back := "/account/"
	if r.URL.Query().Get("rd") != "" {
		if u, ok := s.returnURL(r); ok {
			back = u
		}
	}
	http.Redirect(w, r, back, http.StatusFound)
}

// forwardAuth answers a reverse proxy: 204 with the user's headers when the
// request carries a credential the API would accept (valid, unexpired,
// past its second factor, of an account not deleted); otherwise 401, or for
// a browser whose return URL is allowed a redirect to the sign-in page that
// comes back to it; 403 for a deleted account (signing in again cannot help).
func (s *Server) forwardAuth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	c, err := s.forwardAuthCaller(r)
	// As on the API: per token once it is known valid, else per client
	// network (behind the proxy: set ACCOUNTD_TRUSTED_PROXIES).
	if limitErr := s.generalLimit(r, caller{token: c.Token, user: c.User}); limitErr != nil {
		err = limitErr
	}
	if err != nil {
		s.forwardAuthRefused(w, r, err)
		return
	}
	h := w.Header()
	h.Set(headerUserID, strconv.FormatInt(c.User.ID, 10))
	h.Set(headerEmail, c.User.Email)
	h.Set(headerTwoFactor, strconv.FormatBool(c.TwoFactor))
	h.Set(headerKind, credentialKind(c.Token.Kind))
	w.WriteHeader(http.StatusNoContent)
}

// forwardAuthCaller reads the request's credential: the Authorization
// header's token (API clients through the proxy), else the forward-auth
// ticket cookie the account pages set at sign-in. The ticket is not a
// token: it passes only here (and it is SameSite=Strict, so no request
// another site started carries it).
func (s *Server) forwardAuthCaller(r *http.Request) (account.Principal, error) {
	raw, err := tokenFrom(r)
	if errors.Is(err, account.ErrNotAuthenticated) && s.cookieSignIn() {
		if c, cerr := r.Cookie(forwardCookie); cerr == nil && c.Value != "" {
			return s.svc.IntrospectTicket(r.Context(), c.Value)
		}
	}
	if err != nil {
		return account.Principal{}, err
	}
	return s.svc.Introspect(r.Context(), raw)
}

// forwardAuthRefused answers a request that is not signed in.
func (s *Server) forwardAuthRefused(w http.ResponseWriter, r *http.Request, err error) {
	var ae *account.Error
	signIn := errors.As(err, &ae) && statusOf(ae) == http.StatusUnauthorized || errors.Is(err, account.ErrTwoFactorNeeded)
	if signIn && wantsHTML(r) {
		if back, ok := s.returnURL(r); ok {
			http.Redirect(w, r, s.signInURL(back), http.StatusFound)
			return
		}
	}
	if errors.Is(err, account.ErrTwoFactorNeeded) {
		// To a proxy, a token that still owes its second factor is not
		// signed in; the API's own answer for it is 403 2fa_needed.
		err = account.ErrNotAuthenticated
	}
	s.writeError(w, r, err)
}

// wantsHTML: a browser navigating, which a redirect helps; an API client or
// a fetch gets the 401.
func wantsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// signInURL is the account pages' sign-in page with the URL to come back to.
func (s *Server) signInURL(back string) string {
	return strings.TrimSuffix(s.cfg.PublicURL, "/") + "/login/?rd=" + url.QueryEscape(back)
}

// returnURL is the URL the browser asked for, to come back to after signing
// in: the rd parameter, else what the proxy says of the original request
// (X-Original-URL from nginx; X-Forwarded-Proto, -Host and -Uri from
// Traefik and Caddy). Only an absolute https URL (http too in development
// mode) on an allowed host, with no user info, is accepted: anything else
// would make accountd an open redirect.
func (s *Server) returnURL(r *http.Request) (string, bool) {
	raw := r.URL.Query().Get("rd")
	if raw == "" {
		raw = r.Header.Get("X-Original-URL")
	}
	if raw == "" {
		proto, host := r.Header.Get("X-Forwarded-Proto"), r.Header.Get("X-Forwarded-Host")
		if proto != "" && host != "" {
			raw = proto + "://" + host + r.Header.Get("X-Forwarded-Uri")
		}
	}
	if raw == "" || len(raw) > 2048 || strings.ContainsAny(raw, "\\\r\n\t ") {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Host == "" || u.Opaque != "" {
		return "", false
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && s.cfg.Dev) {
		return "", false
	}
	if !hostAllowed(u.Hostname(), s.cfg.ForwardAuthHosts) {
		return "", false
	}
	return u.String(), true
}

// hostAllowed: host is one of allowed, or under an allowed "*.domain".
func hostAllowed(host string, allowed []string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, a := range allowed {
		a = strings.ToLower(a)
		if suffix, ok := strings.CutPrefix(a, "*."); ok {
			if strings.HasSuffix(host, "."+suffix) {
				return true
			}
			continue
		}
		if host == a {
			return true
		}
	}
	return false
}

// credentialKind is a token kind as forward auth and introspection name it.
func credentialKind(k account.TokenKind) string {
	if k == account.TokenAPIKey {
		return "api_key"
	}
	return "login"
}
