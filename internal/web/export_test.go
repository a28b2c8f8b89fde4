package web

import (
	"net/url"
	"sort"
)

// RouteGuards is what one route of the table declares, for the test that
// walks the table (routes_test.go).
type RouteGuards struct {
	Path    string
	Methods []string
	Auth    string // public, optional, token or loginToken
	Limit   string // the RateLimits field, or ""
	Captcha bool
	// Pending: a pending login token is accepted (docs/api.md#two-factor-authentication).
	Pending bool
}

// APIRoutes returns the guards the route table declares.
func APIRoutes() []RouteGuards {
	auths := map[auth]string{public: "public", optional: "optional", token: "token", loginToken: "loginToken"}
	limits := map[limitName]string{noLimit: "", limitRegister: "Register", limitLogin: "Login",
		limitReset: "ResetRequest", limitResetComplete: "ResetComplete"}
	var out []RouteGuards
	for _, rt := range (&Server{}).apiRoutes() {
		g := RouteGuards{Path: rt.path, Auth: auths[rt.auth], Limit: limits[rt.limit], Captcha: rt.captcha, Pending: rt.pending}
		for m := range rt.methods {
			g.Methods = append(g.Methods, m)
		}
		sort.Strings(g.Methods)
		out = append(out, g)
	}
	return out
}

// ParseDateTime is the date-time parser of the preferences, for its fuzz
// target.
var ParseDateTime = parseDateTime

// QueryText is queryText, for its fuzz test: the value, or the field
// error's message.
func QueryText(rawQuery, name string) (value, refusal string) {
	q, _ := url.ParseQuery(rawQuery)
	v, bad := queryText(q, name)
	if bad != nil {
		return "", bad.Message
	}
	return v, ""
}
