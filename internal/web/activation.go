package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/ratelimit"
)

// Activation resends per account (SPEC §4.6): one a minute, five a day.
var (
	resendPerMinute = ratelimit.Limit{Rate: 1, Period: time.Minute, Burst: 1}
	resendPerDay    = ratelimit.Limit{Rate: 5, Period: 24 * time.Hour, Burst: 5}
)

func activationJSON(st account.ActivationStatus, tz string) map[string]any {
	return map[string]any{
		"email_is_verified":                       st.Verified,
		"last_time_email_verification_email_sent": formatTime(st.LastSent, tz),
		"created_at":                              formatTime(st.CreatedAt, tz),
		"updated_at":                              formatTime(st.UpdatedAt, tz),
	}
}

func (s *Server) activationStatus() http.Handler {
	return s.authed(func(w http.ResponseWriter, r *http.Request, c caller) error {
		writeJSON(w, http.StatusOK, activationJSON(s.svc.Activation(c.user), c.user.Timezone))
		return nil
	})
}

func (s *Server) resendActivation() http.Handler {
	return s.authed(func(w http.ResponseWriter, r *http.Request, c caller) error {
		if !c.user.EmailVerified {
			id := strconv.FormatInt(c.user.ID, 10)
			for _, l := range []struct {
				key   string
				limit ratelimit.Limit
			}{{"activation:min:" + id, resendPerMinute}, {"activation:day:" + id, resendPerDay}} {
				if err := s.accountLimit(r, l.key, l.limit); err != nil {
					return err
				}
			}
		}
		st, err := s.svc.ResendActivation(r.Context(), c.user, s.clientOf(r))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, activationJSON(st, c.user.Timezone))
		return nil
	})
}

// completeActivation needs no authentication; a token that is sent must
// still be valid, as everywhere.
func (s *Server) completeActivation() http.Handler {
	return s.api(func(w http.ResponseWriter, r *http.Request) error {
		if r.Header.Get("Authorization") != "" {
			raw, err := tokenFrom(r)
			if err != nil {
				return err
			}
			if _, _, err := s.svc.Authenticate(r.Context(), raw); err != nil {
				return err
			}
		}
		var token string
		if err := s.input(w, r, false, func(b *body) { token = b.str("activation_token", true) }); err != nil {
			return err
		}
		newToken, err := s.svc.CompleteActivation(r.Context(), token, s.clientOf(r))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]string{"token": newToken})
		return nil
	})
}
