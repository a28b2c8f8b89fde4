package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/captcha"
)

// handlerFunc is a JSON handler behind its route's guards: decode, call the
// service, encode. A returned error is written by writeError.
type handlerFunc func(w http.ResponseWriter, r *http.Request, c caller) error

// on maps the HTTP methods of one route to their handlers.
type on map[string]handlerFunc

// auth says who may call a route.
type auth int

const (
	public     auth = iota // anyone; an Authorization header is not looked at
	optional               // anyone, but a token that is sent must be valid
	token                  // a login token or an API key
	loginToken             // a login token only
)

// limitName names a per-IP limit of RateLimits.
type limitName string

const (
	noLimit            limitName = ""
	limitRegister      limitName = "register"
	limitLogin         limitName = "login"
	limitReset         limitName = "reset"
	limitResetComplete limitName = "resetcomplete" // complete, check and cancel: guesses of a token
)

// Whether a route checks the body's captcha (docs/api.md#captcha).
const (
	withCaptcha = true
	noCaptcha   = false
)

// Which login tokens a route accepts (docs/api.md#two-factor-authentication).
const (
	verifiedOnly = false // a pending token gets 403 2fa_needed
	pendingToo   = true  // the routes that let a pending token finish
)

// route is one path of the API with its guards (routes.go).
type route struct {
	path    string
	methods on
	auth    auth
	limit   limitName
	captcha bool
	// pending says a pending login token may call it.
	pending bool
}

// caller is who sent a request that passed its route's guards: the token
// and its account on authenticated routes (zero otherwise), and the route.
type caller struct {
	token account.Token
	user  account.User
	route *route
	// actor is the staff account acting as user with the federated-access
	// header (federation.go); zero otherwise.
	actor account.User
	// byCookie says the token came from the pages' session cookie.
	byCookie bool
}

// authenticated reports whether the request carried a valid token.
func (c caller) authenticated() bool { return c.token.ID != 0 }

// guard applies rt's guards, then h; any error is written by writeError.
func (s *Server) guard(rt route, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Answers carry tokens and personal data: no cache may keep them.
		w.Header().Set("Cache-Control", "no-store")
		c, err := s.admit(r, &rt)
		if err == nil {
			err = h(w, r, c)
		} else if c.byCookie && (errors.Is(err, account.ErrInvalidToken) || errors.Is(err, account.ErrAccountDeleted)) {
			// The cookie's token is dead (expired, revoked, its account
			// deleted): drop it.
			s.clearSessionCookie(w)
		}
		if err != nil {
			s.writeError(w, r, err)
		}
	})
}

// admit checks the guards in order: an Accept that excludes JSON, the
// general limit (per token only once the token is known to be valid, so
// made-up tokens share their IP's bucket), the credentials, 2FA, the
// account's suspension and the federated-access header (suspension.go),
// the route's per-IP limit. The captcha comes later, in input, after the field errors.
func (s *Server) admit(r *http.Request, rt *route) (caller, error) {
	if !acceptsJSON(r) {
		return caller{}, errNotAcceptable
	}
	c, authErr := s.authenticate(r, rt.auth)
	c.route = rt
	if err := s.generalLimit(r, c); err != nil {
		return c, err
	}
	if authErr != nil {
		return c, authErr
	}
	if rt.auth == loginToken {
		if err := account.LoginTokenOnly.Permit(c.token); err != nil {
			return c, err
		}
	}
	// A pending token has shown only its first factor: it may finish the
	// second and little else. Checked before any account state below.
	if c.token.TwoFactorPending && !rt.pending {
		return c, account.ErrTwoFactorNeeded
	}
	c, err := s.admitAccountState(r, rt, c)
	if err != nil {
		return c, err
	}
	return c, s.routeLimit(r, rt.limit)
}

// authenticate reads "Authorization: Token <token>" (docs/api.md#conventions), or the
// pages' session cookie from a same-origin page (cookie.go), as a requires.
func (s *Server) authenticate(r *http.Request, a auth) (caller, error) {
	if a == public {
		return caller{}, nil
	}
	raw, byCookie := s.cookieToken(r)
	if a == optional && r.Header.Get("Authorization") == "" && !byCookie {
		return caller{}, nil
	}
	if !byCookie {
		var err error
		if raw, err = tokenFrom(r); err != nil {
			return caller{}, err
		}
	}
	t, u, err := s.svc.Authenticate(r.Context(), raw)
	if err != nil {
		return caller{byCookie: byCookie}, err
	}
	return caller{token: t, user: u, byCookie: byCookie}, nil
}

// tokenFrom reads the token of the Authorization header. Another scheme
// counts as no credentials, as in DRF's TokenAuthentication.
func tokenFrom(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	scheme, rest, _ := strings.Cut(h, " ")
	if h == "" || !strings.EqualFold(scheme, "Token") {
		return "", account.ErrNotAuthenticated
	}
	if rest == "" || strings.ContainsAny(rest, " \t") {
		return "", account.ErrInvalidToken
	}
	return rest, nil
}

// verifyCaptcha checks the recaptcha field (docs/api.md#captcha).
func (s *Server) verifyCaptcha(ctx context.Context, b *body, ip string) error {
	resp, _ := b.values["recaptcha"].(string)
	err := s.captcha.Verify(ctx, resp, ip)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, captcha.ErrUnavailable):
		return &account.Error{Kind: account.KindUnavailable, Code: "captcha_unavailable",
			Message: "The captcha service is unavailable, please try again later.", Err: err}
	}
	return account.ErrCaptcha
}

// input decodes the body, runs read to pull its fields, then checks the
// captcha when the route declares one. Field errors come before the captcha.
func (s *Server) input(w http.ResponseWriter, r *http.Request, c caller, read func(b *body)) error {
	b, err := decodeBody(w, r)
	if err != nil {
		return err
	}
	read(b)
	if err := b.err(); err != nil {
		return err
	}
	if c.route != nil && c.route.captcha {
		return s.verifyCaptcha(r.Context(), b, s.clientIP(r))
	}
	return nil
}

// noContent answers 204.
func noContent(w http.ResponseWriter) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
}
