package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"

	"github.com/accountd/accountd/internal/account"
)

// "Sign in with Google" on the account pages (docs/api.md, "The built-in
// pages and their cookie"): the browser goes to the provider and back to a
// callback of ours, which exchanges the code on the server and sets the
// session cookie, so the token never reaches page script. The state, nonce
// and PKCE verifier of the request wait in a short-lived cookie of the
// callback's path; the callback checks the state against it.
const (
	socialStartPath    = "/login/google/"
	socialCallbackPath = "/login/google/callback/"
	socialCookie       = "accountd_social"
	socialProvider     = "google"
	socialCookieMaxAge = 600 // seconds: the time a person has at the provider
)

// socialRedirectURI is where the provider sends the browser back: it must be
// in ACCOUNTD_GOOGLE_REDIRECT_URIS for the pages to offer the button.
func (s *Server) socialRedirectURI() string {
	return strings.TrimSuffix(s.cfg.PublicURL, "/") + socialCallbackPath
}

// socialOnPages reports whether the pages offer "Sign in with Google".
func (s *Server) socialOnPages() bool {
	return s.cookieSignIn() && s.cfg.PublicURL != "" && s.svc.SocialAuthorizable(socialProvider, s.socialRedirectURI())
}

// socialRoutes registers the start and the callback when the pages offer it.
func (s *Server) socialRoutes(mux *http.ServeMux) {
	if !s.socialOnPages() {
		return
	}
	s.handle(mux, socialStartPath, methods{"GET": http.HandlerFunc(s.socialStart)})
	s.handle(mux, socialCallbackPath, methods{"GET": http.HandlerFunc(s.socialCallback)})
}

// randomValue is 32 random bytes, base64url: a state, a nonce, or a PKCE
// verifier (43 characters of RFC 7636's alphabet).
func randomValue() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// socialStart is GET /login/google/?intent=login, or intent=register with
// tos=1 (the terms accepted on the sign-up page) and marketing=1: it keeps
// the request's secrets in the cookie and sends the browser to the provider.
func (s *Server) socialStart(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	q := r.URL.Query()
	intent := "login"
	if q.Get("intent") == "register" {
		if q.Get("tos") != "1" {
			s.socialFailed(w, r, "register", "tos")
			return
		}
		intent = "register"
		if q.Get("marketing") == "1" {
			intent = "register+marketing"
		}
	}
	a := account.Authorization{RedirectURI: s.socialRedirectURI(), State: randomValue(), Nonce: randomValue(),
		CodeVerifier: randomValue()}
	target, err := s.svc.SocialAuthorizationURL(r.Context(), socialProvider, a)
	if err != nil {
		s.log.WarnContext(r.Context(), "social sign-in: the provider cannot be reached", "err", err)
		s.socialFailed(w, r, intent, "social_unavailable")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: socialCookie, Value: strings.Join([]string{intent, a.State, a.Nonce, a.CodeVerifier}, "."),
		Path: socialCallbackPath, MaxAge: socialCookieMaxAge, HttpOnly: true, Secure: !s.cfg.Dev,
		// Lax: the cookie must come back with the provider's redirect, a
		// top-level navigation from another site.
		SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, target, http.StatusFound)
}

// socialCallback is GET /login/google/callback/?code=…&state=…: it checks
// the state, exchanges the code and signs the browser in with the session
// cookie, then sends it to the sign-in page, which goes on to the account or
// asks for the second factor.
func (s *Server) socialCallback(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	http.SetCookie(w, &http.Cookie{Name: socialCookie, Value: "", Path: socialCallbackPath, MaxAge: -1,
		HttpOnly: true, Secure: !s.cfg.Dev, SameSite: http.SameSiteLaxMode})
	c, err := r.Cookie(socialCookie)
	parts := []string{}
	if err == nil {
		parts = strings.Split(c.Value, ".")
	}
	q := r.URL.Query()
	if len(parts) != 4 || subtle.ConstantTimeCompare([]byte(parts[1]), []byte(q.Get("state"))) != 1 {
		// No request of this browser is waiting, or another's state: a
		// forged callback (login CSRF) or an expired attempt.
		s.socialFailed(w, r, "login", "state")
		return
	}
	intent, nonce, verifier := parts[0], parts[2], parts[3]
	if q.Get("error") != "" || q.Get("code") == "" {
		s.socialFailed(w, r, intent, "denied")
		return
	}
	if err := s.routeLimit(r, limitLogin); err != nil {
		s.socialFailed(w, r, intent, "throttled")
		return
	}
	in := account.SocialInput{Provider: socialProvider, Code: q.Get("code"), RedirectURI: s.socialRedirectURI(),
		CodeVerifier: verifier, Nonce: nonce}
	var token string
	if strings.HasPrefix(intent, "register") {
		in.TOSAccepted, in.MarketingEmailAccepted = true, intent == "register+marketing"
		token, _, err = s.svc.SocialRegister(r.Context(), in, s.clientOf(r))
	} else {
		token, err = s.svc.SocialLogin(r.Context(), in, s.clientOf(r))
	}
	if err != nil {
		s.socialFailed(w, r, intent, socialErrorCode(err))
		return
	}
	s.setSessionCookie(w, token)
	http.Redirect(w, r, "/login/", http.StatusFound)
}

// socialErrorCode is the short reason the page puts in words.
func socialErrorCode(err error) string {
	var ae *account.Error
	if !errors.As(err, &ae) {
		return "error"
	}
	if len(ae.Fields) > 0 {
		return ae.Fields[0].Code // invalid, email_unverified, authorization, unique
	}
	if ae.Code != "" {
		return ae.Code // social_unavailable, throttled, …
	}
	return "error"
}

// socialFailed sends the browser back to the page it came from, with the
// reason (the page says it in words; nothing else from the provider is
// echoed).
func (s *Server) socialFailed(w http.ResponseWriter, r *http.Request, intent, reason string) {
	page := "/login/"
	if strings.HasPrefix(intent, "register") {
		page = "/register/"
	}
	http.Redirect(w, r, page+"?social_error="+reason, http.StatusFound)
}
