package web

import (
	"net/http"

	"github.com/accountd/accountd/internal/account"
)

func activationJSON(st account.ActivationStatus, tz string) map[string]any {
	return map[string]any{
		"email_is_verified":                       st.Verified,
		"last_time_email_verification_email_sent": formatTime(st.LastSent, tz),
		"created_at":                              formatTime(st.CreatedAt, tz),
		"updated_at":                              formatTime(st.UpdatedAt, tz),
	}
}

func (s *Server) activationStatus(w http.ResponseWriter, r *http.Request, c caller) error {
	writeJSON(w, http.StatusOK, activationJSON(s.svc.Activation(c.user), c.user.Timezone))
	return nil
}

// resendActivation answers 429 beyond the resend limits of account.
func (s *Server) resendActivation(w http.ResponseWriter, r *http.Request, c caller) error {
	st, err := s.svc.ResendActivation(r.Context(), c.user, s.clientOf(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, activationJSON(st, c.user.Timezone))
	return nil
}

// completeActivation needs no authentication; a token that is sent must
// still be valid, as everywhere (the route's auth is optional).
func (s *Server) completeActivation(w http.ResponseWriter, r *http.Request, c caller) error {
	var token string
	if err := s.input(w, r, c, func(b *body) { token = b.str("activation_token", true) }); err != nil {
		return err
	}
	newToken, err := s.svc.CompleteActivation(r.Context(), token, s.clientOf(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"token": newToken})
	return nil
}
