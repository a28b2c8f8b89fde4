package web

import (
	"net/http"

	"github.com/accountd/accountd/internal/account"
)

// suspensionExempt are the routes a suspended account's credentials may
// still call (SPEC §4.12): leaving, and learning why.
var suspensionExempt = map[string]bool{
	"/api/v2/logout/":                  true,
	"/api/v2/verification/suspension/": true,
}

// suspension is GET /api/v2/verification/suspension/: 200 while suspended,
// 404 otherwise.
func (s *Server) suspension(w http.ResponseWriter, r *http.Request, c caller) error {
	sus, err := s.svc.SuspensionOf(c.user)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"created_at": formatTime(sus.CreatedAt, c.user.Timezone),
		"reason":     sus.Reason,
	})
	return nil
}

// admitAccountState applies the account's own state after the 2FA check
// (docs/api.md, "Order of the checks"), then the federated-access header.
func (s *Server) admitAccountState(r *http.Request, rt *route, c caller) (caller, error) {
	if err := account.AdmitSuspended(c.user, suspensionExempt[rt.path]); err != nil {
		return c, err
	}
	return s.federate(r, rt, c)
}
