package web

import "net/http"

// requestReset always answers 204 once the email's format and the captcha
// pass: the service queues the same single row for every address.
func (s *Server) requestReset() http.Handler {
	return s.api(func(w http.ResponseWriter, r *http.Request) error {
		if err := s.ipLimit(r, "reset", s.cfg.Limits.ResetRequest); err != nil {
			return err
		}
		var email string
		if err := s.input(w, r, true, func(b *body) { email = b.str("email", true) }); err != nil {
			return err
		}
		if err := s.svc.RequestReset(r.Context(), email, s.clientOf(r)); err != nil {
			return err
		}
		return noContent(w)
	})
}

func (s *Server) completeReset() http.Handler {
	return s.api(func(w http.ResponseWriter, r *http.Request) error {
		if err := s.ipLimit(r, "resetcomplete", s.cfg.Limits.ResetComplete); err != nil {
			return err
		}
		var token, pw string
		err := s.input(w, r, true, func(b *body) {
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
	})
}

// resetTokenAction serves check and cancel: both take only the token.
func (s *Server) resetTokenAction(act func(*Server, *http.Request, string) error) http.Handler {
	return s.api(func(w http.ResponseWriter, r *http.Request) error {
		if err := s.ipLimit(r, "resetcomplete", s.cfg.Limits.ResetComplete); err != nil {
			return err
		}
		var token string
		if err := s.input(w, r, false, func(b *body) { token = b.str("password_reset_token", true) }); err != nil {
			return err
		}
		if err := act(s, r, token); err != nil {
			return err
		}
		return noContent(w)
	})
}

func checkReset(s *Server, r *http.Request, token string) error {
	return s.svc.CheckReset(r.Context(), token, s.clientOf(r))
}

func cancelReset(s *Server, r *http.Request, token string) error {
	return s.svc.CancelReset(r.Context(), token, s.clientOf(r))
}
