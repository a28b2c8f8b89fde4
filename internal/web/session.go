package web

import (
	"net/http"

	"github.com/accountd/accountd/internal/account"
)

// The sessions of docs/api.md#sessions: the account's login tokens, for login tokens
// only (the route table's loginToken).

// sessionJSON is a session as the list shows it. Its id is the token's id;
// the user agent is the one the sign-in sent, as stored (docs/api.md).
func sessionJSON(s account.Session, tz string) map[string]any {
	return map[string]any{"id": s.ID, "created_at": formatTime(s.CreatedAt, tz),
		"last_used_at": formatTime(s.LastUsedAt, tz), "expires_at": formatTime(s.ExpiresAt, tz),
		"ip": s.IP, "user_agent": s.UserAgent, "two_factor": s.TwoFactor, "current": s.Current}
}

func (s *Server) listSessions(w http.ResponseWriter, r *http.Request, c caller) error {
	return s.writePage(w, r, func(offset, limit int) ([]map[string]any, int, error) {
		sessions, count, err := s.svc.Sessions(r.Context(), c.token, offset, limit)
		results := make([]map[string]any, 0, len(sessions))
		for _, ss := range sessions {
			results = append(results, sessionJSON(ss, c.user.Timezone))
		}
		return results, count, err
	})
}

func (s *Server) deleteSession(w http.ResponseWriter, r *http.Request, c caller) error {
	id, err := keyID(r)
	if err != nil {
		return err
	}
	if err := s.svc.RevokeSession(r.Context(), c.token, c.user, id, s.clientOf(r)); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Server) revokeOtherSessions(w http.ResponseWriter, r *http.Request, c caller) error {
	if err := s.svc.RevokeOtherSessions(r.Context(), c.token, c.user, s.clientOf(r)); err != nil {
		return err
	}
	return noContent(w)
}
