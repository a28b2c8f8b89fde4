package client

import (
	"context"
	"time"
)

// Introspector asks accountd's admin listener whose a token is (POST
// /admin/v1/introspect, after RFC 7662), for a backend service that
// receives its users' accountd tokens and must not reimplement the token
// rules:
//
//	in := client.NewIntrospector("http://127.0.0.1:9090", os.Getenv("ACCOUNTD_ADMIN_TOKEN"))
//	who, err := in.Introspect(ctx, tokenFromTheRequest)
//	if err != nil {
//		return err // accountd unreachable, or the admin token refused
//	}
//	if !who.Active {
//		// 401 to the caller: unknown, revoked, expired, pending its second
//		// factor, or of a deleted or suspended account
//	}
type Introspector struct{ c *Client }

// Introspection is accountd's answer about one token.
type Introspection struct {
	// Active: every endpoint of the API would accept the token now. The
	// other fields are set only when it is.
	Active bool   `json:"active"`
	UserID int64  `json:"user_id"`
	Email  string `json:"email"`
	// Kind is "login" or "api_key".
	Kind string `json:"kind"`
	// TwoFactor: the account's second factor is an authenticator app,
	// which this login token has passed.
	TwoFactor bool `json:"two_factor"`
	// ExpiresAt is when a login token ends if unused, or at the latest;
	// nil for API keys.
	ExpiresAt *time.Time `json:"expires_at"`
}

// NewIntrospector returns an Introspector of the admin listener at adminURL
// with the admin API's bearer token (ACCOUNTD_ADMIN_TOKEN).
func NewIntrospector(adminURL, adminToken string, opts ...Option) *Introspector {
	c := New(adminURL, opts...)
	c.bearer = adminToken
	return &Introspector{c: c}
}

// Introspect asks about token. An inactive token is not an error: the
// answer says Active false. Errors are accountd unreachable or refusing
// the admin token (*Error, 401), or a 404 when the admin API is off.
func (i *Introspector) Introspect(ctx context.Context, token string) (Introspection, error) {
	return call[Introspection](ctx, i.c, "POST", "/admin/v1/introspect", map[string]string{"token": token})
}
