package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/captcha"
)

// apiFunc is a JSON handler; a returned error is written by writeError.
type apiFunc func(w http.ResponseWriter, r *http.Request) error

// api adapts an apiFunc: it refuses an Accept header that excludes JSON and
// a body of another media type, and writes any error.
func (s *Server) api(h apiFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Answers carry tokens and personal data: no cache may keep them.
		w.Header().Set("Cache-Control", "no-store")
		if !acceptsJSON(r) {
			s.writeError(w, r, errNotAcceptable)
			return
		}
		if err := s.generalLimit(r); err != nil {
			s.writeError(w, r, err)
			return
		}
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// caller is the authenticated account of a request.
type caller struct {
	token account.Token
	user  account.User
}

// authFunc is a JSON handler that needs a valid token.
type authFunc func(w http.ResponseWriter, r *http.Request, c caller) error

// authed authenticates "Authorization: Token <token>" (SPEC §1) before h.
func (s *Server) authed(h authFunc) http.Handler {
	return s.api(func(w http.ResponseWriter, r *http.Request) error {
		raw, err := tokenFrom(r)
		if err != nil {
			return err
		}
		t, u, err := s.svc.Authenticate(r.Context(), raw)
		if err != nil {
			return err
		}
		return h(w, r, caller{t, u})
	})
}

// errAPIKeyNotAllowed answers an API key on an endpoint for login tokens.
var errAPIKeyNotAllowed = &account.Error{Kind: account.KindForbidden, Code: "api_key_not_allowed",
	Message: "Cannot query this API endpoint with an API key."}

// loginOnly is authed for the endpoints an API key may not call: managing
// API keys and the account's credentials (docs/api.md).
func (s *Server) loginOnly(h authFunc) http.Handler {
	return s.authed(func(w http.ResponseWriter, r *http.Request, c caller) error {
		if c.token.Kind != account.TokenLogin {
			return errAPIKeyNotAllowed
		}
		return h(w, r, c)
	})
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

// verifyCaptcha checks the recaptcha field (SPEC §6).
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
// captcha when withCaptcha is set. Field errors come before the captcha.
func (s *Server) input(w http.ResponseWriter, r *http.Request, withCaptcha bool, read func(b *body)) error {
	b, err := decodeBody(w, r)
	if err != nil {
		return err
	}
	read(b)
	if err := b.err(); err != nil {
		return err
	}
	if withCaptcha {
		return s.verifyCaptcha(r.Context(), b, s.clientIP(r))
	}
	return nil
}

// noContent answers 204.
func noContent(w http.ResponseWriter) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
}
