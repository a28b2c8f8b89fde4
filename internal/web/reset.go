package web

import (
	"context"
	"net/http"

	"github.com/accountd/accountd/internal/account"
)

// requestReset always answers 204 once the email's format and the captcha
// pass: the service queues the same single row for every address.
func (s *Server) requestReset(w http.ResponseWriter, r *http.Request, c caller) error {
	var email string
	if err := s.input(w, r, c, func(b *body) { email = b.str("email", true) }); err != nil {
		return err
	}
	if err := s.svc.RequestReset(r.Context(), email, s.clientOf(r)); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Server) completeReset(w http.ResponseWriter, r *http.Request, c caller) error {
	var token, pw string
	err := s.input(w, r, c, func(b *body) {
		pw = b.str("password", true)
		token = b.str("password_reset_token", true)
	})
	if err != nil {
		return err
	}
	newToken, err := s.svc.CompleteReset(r.Context(), token, pw, s.clientOf(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"token": newToken})
	return nil
}

// checkReset and cancelReset take only the token.
func (s *Server) checkReset(w http.ResponseWriter, r *http.Request, c caller) error {
	return s.resetTokenAction(w, r, c, s.svc.CheckReset)
}

func (s *Server) cancelReset(w http.ResponseWriter, r *http.Request, c caller) error {
	return s.resetTokenAction(w, r, c, s.svc.CancelReset)
}

func (s *Server) resetTokenAction(w http.ResponseWriter, r *http.Request, c caller,
	act func(ctx context.Context, token string, c account.Client) error) error {
	var token string
	if err := s.input(w, r, c, func(b *body) { token = b.str("password_reset_token", true) }); err != nil {
		return err
	}
	if err := act(r.Context(), token, s.clientOf(r)); err != nil {
		return err
	}
	return noContent(w)
}
