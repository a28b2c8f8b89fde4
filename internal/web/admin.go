package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/accountd/accountd/internal/account"
)

// The admin API (docs/api.md#admin-api) is served by its own handler on the admin
// listener, beside /healthz, /readyz and /metrics, never by New's public
// handler. It calls the same account.Service functions as the `accountd
// user …` commands. Its answers never hold a password hash, a login token,
// an API key or a TOTP secret: only what exists and how many.

// AdminConfig configures the admin API.
type AdminConfig struct {
	// TokenHash is the SHA-256 of ACCOUNTD_ADMIN_TOKEN; nil turns the whole
	// API off (404), as when the variable is unset.
	TokenHash []byte
}

// AdminTokenHash is what AdminConfig.TokenHash holds for a token: the
// token itself is not kept in memory once main has hashed it.
func AdminTokenHash(token string) []byte {
	if token == "" {
		return nil
	}
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// adminServer is the admin API: a Server for its error writer and its
// pagination, and what it adds.
type adminServer struct {
	*Server
	tokenHash []byte
	actions   *prometheus.CounterVec
}

// adminHandlerFunc handles one admin route; op names who acts.
type adminHandlerFunc func(w http.ResponseWriter, r *http.Request, op account.Operator) error

// adminRoute is one route of the admin API with the action its metric
// names.
type adminRoute struct {
	method, path, action string
	h                    adminHandlerFunc
}

func (a *adminServer) adminRoutes() []adminRoute {
	return []adminRoute{
		{"GET", "/admin/v1/users/", "user_search", a.searchUsers},
		{"GET", "/admin/v1/users/{id}/", "user_show", a.showUser},
		{"DELETE", "/admin/v1/users/{id}/", "user_delete", a.deleteUser},
		{"POST", "/admin/v1/users/{id}/suspend/", "suspend", a.suspendUser},
		{"POST", "/admin/v1/users/{id}/unsuspend/", "unsuspend", a.unsuspendUser},
		{"POST", "/admin/v1/users/{id}/revoke-tokens/", "revoke_tokens", a.revokeTokens},
		{"POST", "/admin/v1/users/{id}/reset-link/", "reset_link", a.resetLink},
		{"POST", "/admin/v1/users/{id}/2fa-reset/", "2fa_reset", a.resetTwoFactor},
		{"POST", "/admin/v1/users/{id}/grant-staff/", "grant_staff", a.staff(true)},
		{"POST", "/admin/v1/users/{id}/revoke-staff/", "revoke_staff", a.staff(false)},
		{"GET", "/admin/v1/events/", "events", a.events},
		{"POST", "/admin/v1/introspect", "introspect", a.introspect},
	}
}

// NewAdmin returns the admin API's handler for the paths under /admin/;
// main mounts it on the admin listener. reg receives
// accountd_admin_requests_total.
func NewAdmin(svc *account.Service, log *slog.Logger, reg prometheus.Registerer, cfg AdminConfig) http.Handler {
	a := &adminServer{Server: &Server{svc: svc, log: slog.New(LogHandler(log.Handler()))}, tokenHash: cfg.TokenHash,
		actions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accountd_admin_requests_total",
			Help: "Admin API requests, by action and status.",
		}, []string{"action", "status"})}
	reg.MustRegister(a.actions)
	mux := http.NewServeMux()
	byPath := map[string]methods{}
	var paths []string
	for _, rt := range a.adminRoutes() {
		if byPath[rt.path] == nil {
			byPath[rt.path] = methods{}
			paths = append(paths, rt.path)
		}
		byPath[rt.path][rt.method] = a.guard(rt)
	}
	for _, p := range paths {
		a.handle(mux, p, byPath[p])
	}
	mux.Handle("/admin/", a.guard(adminRoute{action: "unknown", h: func(http.ResponseWriter, *http.Request, account.Operator) error {
		return errNotFound
	}}))
	return a.off(mux)
}

// off answers 404 for the whole API when no token is configured, and for
// anything without a valid token 401, before the routes: neither reveals
// which paths exist.
func (a *adminServer) off(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if a.tokenHash == nil {
			writeJSON(w, http.StatusNotFound, detail{"Not found.", "not_found"})
			return
		}
		if code, msg := a.checkToken(r); code != "" {
			a.actions.WithLabelValues("auth", "401").Inc()
			w.Header().Set("WWW-Authenticate", "Bearer")
			writeJSON(w, http.StatusUnauthorized, detail{msg, code})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// checkToken reads "Authorization: Bearer <token>" and compares its hash
// with the configured one in constant time; it returns the 401's code and
// message, or "" when the token is right.
func (a *adminServer) checkToken(r *http.Request) (code, msg string) {
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return "not_authenticated", "Authentication credentials were not provided."
	}
	sum := sha256.Sum256([]byte(tok))
	if subtle.ConstantTimeCompare(sum[:], a.tokenHash) != 1 {
		a.log.WarnContext(r.Context(), "admin API: wrong token", "remote", r.RemoteAddr)
		return "authentication_failed", "Invalid token."
	}
	return "", ""
}

// guard runs an admin route and counts it.
func (a *adminServer) guard(rt adminRoute) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		op := account.Operator{Via: "admin API", IP: remoteIP(r)}
		var err error = errNotAcceptable
		if acceptsJSON(r) {
			err = rt.h(rec, r, op)
		}
		if err != nil {
			a.writeError(rec, r, err)
		}
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		a.actions.WithLabelValues(rt.action, strconv.Itoa(status)).Inc()
	})
}

// remoteIP is the admin client's address (no proxy is trusted here).
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// userID reads the {id} of the path.
func userID(r *http.Request) (int64, error) { return keyID(r) }

func adminUserJSON(u account.User) map[string]any {
	state := "active"
	switch {
	case u.Deleted():
		state = "deleted"
	case u.Suspended():
		state = "suspended"
	}
	var suspension any
	if u.Suspended() {
		suspension = map[string]any{"created_at": formatTime(u.SuspendedAt, "UTC"), "reason": u.SuspensionReason}
	}
	return map[string]any{
		"id": u.ID, "email": u.Email, "first_name": u.FirstName, "last_name": u.LastName,
		"state": state, "suspension": suspension, "staff": u.Staff, "email_is_verified": u.EmailVerified,
		"created_at": formatTime(u.CreatedAt, "UTC"), "updated_at": formatTime(u.UpdatedAt, "UTC"),
		"last_login": formatTime(u.LastLogin, "UTC"), "deleted_at": formatTime(u.DeletedAt, "UTC"),
	}
}

// AdminUserDetail is the detail object of the admin API, shared with
// `accountd user show` so the two print the same.
func AdminUserDetail(d account.UserDetail) map[string]any {
	m := adminUserJSON(d.User)
	m["two_factor_method"] = d.TwoFactorMethod
	m["sessions"] = d.LoginTokens
	m["api_keys"] = d.APIKeys
	m["recovery_codes_left"] = d.RecoveryCodes
	identities := []map[string]any{}
	for _, si := range d.SocialIdentities {
		identities = append(identities, map[string]any{
			"provider": si.Provider, "issuer": si.Issuer, "subject": si.Subject, "email": si.Email,
			"created_at": formatTime(si.CreatedAt, "UTC"), "last_login": formatTime(si.LastLoginAt, "UTC"),
		})
	}
	m["social_identities"] = identities
	return m
}

// writeDetail answers the account's detail after an action.
func (a *adminServer) writeDetail(w http.ResponseWriter, r *http.Request, id int64) error {
	d, err := a.svc.UserDetail(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, AdminUserDetail(d))
	return nil
}

func (a *adminServer) searchUsers(w http.ResponseWriter, r *http.Request, _ account.Operator) error {
	prefix, bad := queryText(r.URL.Query(), "email")
	if bad != nil {
		return account.InvalidFields([]account.FieldError{*bad})
	}
	prefix = strings.TrimSpace(prefix)
	return a.writePage(w, r, func(offset, limit int) ([]map[string]any, int, error) {
		users, n, err := a.svc.SearchUsers(r.Context(), prefix, offset, limit)
		out := make([]map[string]any, 0, len(users))
		for _, u := range users {
			out = append(out, adminUserJSON(u))
		}
		return out, n, err
	})
}

func (a *adminServer) showUser(w http.ResponseWriter, r *http.Request, op account.Operator) error {
	id, err := userID(r)
	if err != nil {
		return err
	}
	d, err := a.svc.ViewUser(r.Context(), id, op)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, AdminUserDetail(d))
	return nil
}

func (a *adminServer) deleteUser(w http.ResponseWriter, r *http.Request, op account.Operator) error {
	id, err := userID(r)
	if err != nil {
		return err
	}
	if err := a.svc.DeleteUser(r.Context(), id, op); err != nil {
		return err
	}
	return noContent(w)
}

func (a *adminServer) suspendUser(w http.ResponseWriter, r *http.Request, op account.Operator) error {
	id, err := userID(r)
	if err != nil {
		return err
	}
	var reason string
	if err := a.input(w, r, caller{}, func(b *body) { reason = b.str("reason", true) }); err != nil {
		return err
	}
	if _, err := a.svc.Suspend(r.Context(), id, reason, op); err != nil {
		return err
	}
	return a.writeDetail(w, r, id)
}

// action runs an operator action on the account of the path and answers
// its detail.
func (a *adminServer) action(w http.ResponseWriter, r *http.Request, do func(id int64) error) error {
	id, err := userID(r)
	if err != nil {
		return err
	}
	if err := do(id); err != nil {
		return err
	}
	return a.writeDetail(w, r, id)
}

func (a *adminServer) unsuspendUser(w http.ResponseWriter, r *http.Request, op account.Operator) error {
	return a.action(w, r, func(id int64) error { _, err := a.svc.Unsuspend(r.Context(), id, op); return err })
}

func (a *adminServer) revokeTokens(w http.ResponseWriter, r *http.Request, op account.Operator) error {
	return a.action(w, r, func(id int64) error { _, err := a.svc.RevokeAllTokens(r.Context(), id, op); return err })
}

func (a *adminServer) resetTwoFactor(w http.ResponseWriter, r *http.Request, op account.Operator) error {
	return a.action(w, r, func(id int64) error { _, err := a.svc.ResetTwoFactorFor(r.Context(), id, op); return err })
}

func (a *adminServer) staff(grant bool) adminHandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, op account.Operator) error {
		return a.action(w, r, func(id int64) error { _, err := a.svc.SetStaff(r.Context(), id, grant, op); return err })
	}
}

// resetLink emails a reset link to the account ({"send": true}, the
// default), or returns it ({"send": false}) for the operator to pass on by
// another channel (docs/api.md#admin-api). The link is the one secret this API ever
// answers, because the contract asks for it; it never sets a password.
func (a *adminServer) resetLink(w http.ResponseWriter, r *http.Request, op account.Operator) error {
	id, err := userID(r)
	if err != nil {
		return err
	}
	send := true
	err = a.input(w, r, caller{}, func(b *body) {
		if _, ok := b.values["send"]; ok {
			send = b.boolean("send", false)
		}
	})
	if err != nil {
		return err
	}
	link, err := a.svc.ResetLinkFor(r.Context(), id, send, op)
	if err != nil {
		return err
	}
	if send {
		writeJSON(w, http.StatusOK, map[string]any{"sent": true})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]any{"sent": false, "link": link})
	return nil
}

func eventJSON(e account.Event) map[string]any {
	var user any
	if e.UserID != 0 {
		user = e.UserID
	}
	return map[string]any{"id": e.ID, "time": formatTime(e.Time, "UTC"), "type": e.Type, "user": user,
		"email": e.Email, "ip": e.IP, "user_agent": e.UserAgent, "detail": e.Detail}
}

// events is the audit trail, newest first: ?user= (an account's whole
// history, as `accountd audit -account`), ?type=, ?since= (a date-time as
// the preferences take them, or a date), and the pages of docs/api.md#conventions.
func (a *adminServer) events(w http.ResponseWriter, r *http.Request, _ account.Operator) error {
	f, err := a.eventFilter(r)
	if err != nil {
		return err
	}
	return a.writePage(w, r, func(offset, limit int) ([]map[string]any, int, error) {
		f.Offset, f.Limit = offset, limit
		ev, n, err := a.svc.AuditTrail(r.Context(), f)
		out := make([]map[string]any, 0, len(ev))
		for _, e := range ev {
			out = append(out, eventJSON(e))
		}
		return out, n, err
	})
}

// eventFilter reads the query of the audit trail; a malformed value is a
// 400 on its parameter.
func (a *adminServer) eventFilter(r *http.Request) (account.EventFilter, error) {
	q := r.URL.Query()
	var f account.EventFilter
	var fields []account.FieldError
	if v := q.Get("user"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id < 1 {
			fields = append(fields, account.FieldError{Field: "user", Code: "invalid", Message: "A valid integer is required."})
		} else if f, err = a.svc.AuditFilterFor(r.Context(), id); err != nil {
			return f, err
		}
	}
	if v := q.Get("since"); v != "" {
		t, ok := parseDateTime(v)
		if !ok {
			t, ok = parseDateTime(v + "T00:00")
		}
		if !ok {
			fields = append(fields, account.FieldError{Field: "since", Code: "invalid", Message: errDateTimeFormat})
		}
		f.Since = t
	}
	typ, bad := queryText(q, "type")
	if bad != nil {
		fields = append(fields, *bad)
	}
	f.Type = typ
	if len(fields) > 0 {
		return f, account.InvalidFields(fields)
	}
	return f, nil
}
