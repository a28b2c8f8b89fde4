package web

import (
	"net/http"

	"github.com/accountd/accountd/internal/account"
)

// federatedAccessHeader names the account a staff member acts as (see
// docs/api.md#suspension-staff-and-federated-access; Webshare's header).
const federatedAccessHeader = "X-Webshare-Federated-Access"

const (
	fedRead  = account.FederationRead
	fedWrite = account.FederationWrite
)

// federatedRoutes is every route and method served as another account,
// with the level it needs; anything else (password, email, 2FA, reset,
// deletion, sessions, logout, creating or deleting API keys) refuses the
// header with 403 permission_denied. A list of what is allowed, not of
// what is refused, so a route added later is refused until someone decides.
var federatedRoutes = map[string]map[string]account.Federation{
	"/api/v2/profile/":                 {"GET": fedRead, "HEAD": fedRead, "PATCH": fedWrite},
	"/api/v2/profile/preferences/":     {"GET": fedRead, "HEAD": fedRead, "PATCH": fedWrite, "PUT": fedWrite},
	"/api/v2/apikey/":                  {"GET": fedRead, "HEAD": fedRead},
	"/api/v2/apikey/{id}/":             {"GET": fedRead, "HEAD": fedRead, "PATCH": fedWrite},
	"/api/v2/activation/":              {"GET": fedRead, "HEAD": fedRead},
	"/api/v2/verification/suspension/": {"GET": fedRead, "HEAD": fedRead},
}

// federate turns an admitted caller that sent the header into the account
// it names, when account.Service.Federate allows it. The caller keeps its
// own token; c.actor remembers who acts.
func (s *Server) federate(r *http.Request, rt *route, c caller) (caller, error) {
	target, sent := r.Header[http.CanonicalHeaderKey(federatedAccessHeader)]
	if !sent {
		return c, nil
	}
	if !c.authenticated() {
		return c, account.ErrPermissionDenied
	}
	what := r.Method + " " + rt.path
	u, err := s.svc.Federate(r.Context(), c.user, target[0], federatedRoutes[rt.path][r.Method], what, s.clientOf(r))
	if err != nil {
		return c, err
	}
	c.actor, c.user = c.user, u
	return c, nil
}
