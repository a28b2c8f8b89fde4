package web

import "net/http"

func (s *Server) login(w http.ResponseWriter, r *http.Request, c caller) error {
	var email, pw string
	err := s.input(w, r, c, func(b *body) {
		email = b.str("email", true)
		pw = b.str("password", true)
	})
	if err != nil {
		return err
	}
	token, err := s.svc.Login(r.Context(), email, pw, s.clientOf(r))
	if err != nil {
		return err
	}
	s.writeSignIn(w, r, token, nil)
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, c caller) error {
	if err := s.svc.Logout(r.Context(), c.token, c.user, s.clientOf(r)); err != nil {
		return err
	}
	if c.byCookie {
		s.clearSessionCookie(w)
	}
	return noContent(w)
}
