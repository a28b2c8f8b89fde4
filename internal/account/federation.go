package account

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Federation is a level of X-Webshare-Federated-Access (docs/api.md#suspension-staff-and-federated-access): the
// operator's setting (ACCOUNTD_FEDERATED_ACCESS) and what a route needs.
type Federation int

const (
	// FederationOff: the setting off, or a route never served as another
	// account (password, email, 2FA, reset, deletion, sessions, …).
	FederationOff Federation = iota
	// FederationRead: reading (GET) as another account.
	FederationRead
	// FederationWrite: also changing its profile, preferences and API-key
	// labels.
	FederationWrite
)

// ParseFederation reads ACCOUNTD_FEDERATED_ACCESS.
func ParseFederation(s string) (Federation, error) {
	switch s {
	case "", "off":
		return FederationOff, nil
	case "read":
		return FederationRead, nil
	case "write":
		return FederationWrite, nil
	}
	return FederationOff, fmt.Errorf("%q is not off, read or write", s)
}

// ErrPermissionDenied answers a federated request that is not allowed.
var ErrPermissionDenied = &Error{Kind: KindForbidden, Code: "permission_denied",
	Message: "You do not have permission to perform this action."}

// Federate returns the account a staff member acts as with the header
// X-Webshare-Federated-Access: target (a user id). actor is the admitted
// caller (a verified credential of an account not suspended); need is what
// the request needs, FederationOff for a route never served so. Anyone but
// staff, a level above the setting, or a route that never federates is 403
// permission_denied; an unknown or malformed id 404. The target's own state
// (suspended, deleted, 2FA) does not block: staff look at it as it is.
// Every request, refused or not, leaves an audit event naming both
// accounts.
func (s *Service) Federate(ctx context.Context, actor User, target string, need Federation, what string, c Client) (User, error) {
	// A suspended account acts as nobody, not even on the routes where its
	// own credentials stay usable (logout, its own suspension).
	if actor.Suspended() {
		return User{}, ErrAccountSuspended
	}
	// The actor's id only: the target's event outlives the actor's
	// account, and a purge must leave no address of it behind.
	detail := fmt.Sprintf("staff account %d, %s", actor.ID, what)
	id, err := strconv.ParseInt(strings.TrimSpace(target), 10, 64)
	if !actor.Staff || need == FederationOff || need > s.cfg.FederatedAccess {
		// The header is the client's: quoted and cut, so it cannot forge
		// a line of `accountd audit`.
		asked := strconv.Quote(truncate(target, 40))
		s.bestEffortEvent(ctx, "federated_access_refused", actor.ID, actor.Email, c, "as "+asked+": "+what)
		return User{}, ErrPermissionDenied
	}
	if err != nil || id <= 0 {
		return User{}, errNoSuchAccount
	}
	u, err := s.store.UserByID(ctx, id)
	if isNotFound(err) {
		return User{}, errNoSuchAccount
	}
	if err != nil {
		return User{}, wrapStore(err)
	}
	// The target's event names the actor; written before the request runs,
	// and a failure to write it refuses the request: no unaudited access.
	if err := s.event(ctx, s.store, "federated_access", u.ID, u.Email, c, detail); err != nil {
		return User{}, wrapStore(err)
	}
	return u, nil
}
