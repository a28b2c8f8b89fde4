package web

import "net/http"

func (s *Server) changeEmail(w http.ResponseWriter, r *http.Request, c caller) error {
	var pw, newEmail string
	err := s.input(w, r, c, func(b *body) {
		pw = b.str("password", true)
		newEmail = b.str("new_email", true)
	})
	if err != nil {
		return err
	}
	if err := s.svc.RequestEmailChange(r.Context(), c.user, pw, newEmail, s.clientOf(r)); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Server) completeEmailChange(w http.ResponseWriter, r *http.Request, c caller) error {
	var code string
	if err := s.input(w, r, c, func(b *body) { code = b.str("confirmation_code", true) }); err != nil {
		return err
	}
	if err := s.svc.CompleteEmailChange(r.Context(), c.token, c.user, code, s.clientOf(r)); err != nil {
		return err
	}
	return noContent(w)
}

// checkEmailChange answers, for a confirmation code of the signed-in
// account, the address the account would move to, consuming nothing: the
// confirm page shows it before the owner agrees (issue 12 A4). The address
// comes from the server, never from the link, which whoever asked for the
// change wrote.
func (s *Server) checkEmailChange(w http.ResponseWriter, r *http.Request, c caller) error {
	var code string
	if err := s.input(w, r, c, func(b *body) { code = b.str("confirmation_code", true) }); err != nil {
		return err
	}
	ec, err := s.svc.PendingEmailChange(r.Context(), c.user, code)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"email": c.user.Email, "new_email": ec.NewEmail,
		"expires_at": formatTime(ec.ExpiresAt, c.user.Timezone)})
	return nil
}
