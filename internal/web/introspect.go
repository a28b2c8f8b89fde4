package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/accountd/accountd/internal/account"
)

// introspect is POST /admin/v1/introspect (after RFC 7662): a backend
// service asks whose a token is. {"token"} as JSON or a form (RFC 7662's
// encoding) → {"active": true, "user_id", "email", "kind", "two_factor",
// "expires_at"}, or {"active": false} and nothing else for any token the
// API would refuse (unknown, revoked, expired, pending its second factor,
// of a deleted or suspended account): the caller learns no more about a
// token it may not use than that.
func (a *adminServer) introspect(w http.ResponseWriter, r *http.Request, _ account.Operator) error {
	var raw string
	if err := a.input(w, r, caller{}, func(b *body) { raw = b.str("token", true) }); err != nil {
		return err
	}
	p, err := a.svc.Introspect(r.Context(), raw)
	var ae *account.Error
	if errors.As(err, &ae) && statusOf(ae) < http.StatusInternalServerError {
		writeJSON(w, http.StatusOK, map[string]any{"active": false})
		return nil
	}
	if err != nil {
		return err
	}
	var expires any
	if !p.ExpiresAt.IsZero() {
		expires = p.ExpiresAt.UTC().Format(time.RFC3339)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"active":     true,
		"user_id":    p.User.ID,
		"email":      p.User.Email,
		"kind":       credentialKind(p.Token.Kind),
		"two_factor": p.TwoFactor,
		"expires_at": expires,
	})
	return nil
}
