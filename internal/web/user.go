package web

import (
	"net/http"

	"github.com/accountd/accountd/internal/account"
)

func (s *Server) register(w http.ResponseWriter, r *http.Request, c caller) error {
	var in account.RegisterInput
	err := s.input(w, r, c, func(b *body) {
		in.Email = b.str("email", true)
		in.Password = b.str("password", true)
		in.TOSAccepted = b.boolean("tos_accepted", true)
		in.MarketingEmailAccepted = b.boolean("marketing_email_accepted", false)
	})
	if err != nil {
		return err
	}
	token, existing, err := s.svc.Register(r.Context(), in, s.clientOf(r))
	if err != nil {
		return err
	}
	s.writeSignIn(w, r, token, map[string]any{"logged_in_existing_user": existing})
	return nil
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, c caller) error {
	var current, next string
	err := s.input(w, r, c, func(b *body) {
		current = b.str("password", true)
		next = b.str("new_password", true)
	})
	if err != nil {
		return err
	}
	if err := s.svc.ChangePassword(r.Context(), c.token, c.user, current, next, s.clientOf(r)); err != nil {
		return err
	}
	return noContent(w)
}

func profileJSON(u account.User) map[string]any {
	return map[string]any{
		"id":                       u.ID,
		"email":                    u.Email,
		"first_name":               u.FirstName,
		"last_name":                u.LastName,
		"timezone":                 u.Timezone,
		"created_at":               formatTime(u.CreatedAt, u.Timezone),
		"updated_at":               formatTime(u.UpdatedAt, u.Timezone),
		"last_login":               formatTime(u.LastLogin, u.Timezone),
		"email_is_verified":        u.EmailVerified,
		"marketing_email_accepted": u.MarketingEmailAccepted,
		"preferences":              map[string]any{},
	}
}

func (s *Server) profile(w http.ResponseWriter, r *http.Request, c caller) error {
	writeJSON(w, http.StatusOK, profileJSON(c.user))
	return nil
}

func (s *Server) updateProfile(w http.ResponseWriter, r *http.Request, c caller) error {
	var p account.ProfilePatch
	err := s.input(w, r, c, func(b *body) {
		p.FirstName = b.optStr("first_name")
		p.LastName = b.optStr("last_name")
		p.Timezone = b.optStr("timezone")
	})
	if err != nil {
		return err
	}
	u, err := s.svc.UpdateProfile(r.Context(), c.user, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, profileJSON(u))
	return nil
}

func (s *Server) deleteAccount(w http.ResponseWriter, r *http.Request, c caller) error {
	var pw string
	if err := s.input(w, r, c, func(b *body) { pw = b.str("password", true) }); err != nil {
		return err
	}
	if err := s.svc.DeleteAccount(r.Context(), c.user, pw, s.clientOf(r)); err != nil {
		return err
	}
	if c.byCookie {
		s.clearSessionCookie(w) // its token only answers account_deleted now
	}
	return noContent(w)
}
