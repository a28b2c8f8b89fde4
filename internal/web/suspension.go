package web

import (
	"net/http"

	"github.com/accountd/accountd/internal/account"
)

// suspensionExempt are the routes a suspended account's credentials may
// still call (docs/api.md#suspension-staff-and-federated-access): leaving, and learning why.
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
// A pending token that got this far is on a route that finishes its second
// factor: the whole 2FA step comes before the account's state, so a
// suspended owner with TOTP can verify the token and then read why.
// The exemptions are for the account's own credentials acting as itself:
// with the federated-access header a suspended staff member would read
// another account, so the header takes the exemption away.
func (s *Server) admitAccountState(r *http.Request, rt *route, c caller) (caller, error) {
	_, federating := r.Header[http.CanonicalHeaderKey(federatedAccessHeader)]
	exempt := !federating && (suspensionExempt[rt.path] || c.token.TwoFactorPending)
	if err := account.AdmitSuspended(c.user, exempt); err != nil {
		return c, err
	}
	return s.federate(r, rt, c)
}
