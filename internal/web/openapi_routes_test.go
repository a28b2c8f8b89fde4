package web

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/accountd/accountd/internal/openapitest"
)

// documentedRoutes maps every path of docs/openapi.yaml to its methods.
func documentedRoutes(doc *openapi3.T) map[string][]string {
	out := map[string][]string{}
	for path, item := range doc.Paths.Map() {
		for m := range item.Operations() {
			out[path] = append(out[path], m)
		}
		sort.Strings(out[path])
	}
	return out
}

// routedRoutes maps every path of the route table (apiRoutes and
// referenceRoutes) to its methods.
func routedRoutes(s *Server) map[string][]string {
	out := map[string][]string{}
	add := func(path string, m string) {
		out[path] = append(out[path], m)
		sort.Strings(out[path])
	}
	for _, rt := range s.apiRoutes() {
		for m := range rt.methods {
			add(rt.path, m)
		}
	}
	for path, ms := range s.referenceRoutes() {
		for m := range ms {
			add(path, m)
		}
	}
	return out
}

// TestRouteTableAndDocumentAgree: every route of routes.go, with each of its
// methods, is in docs/openapi.yaml, and every documented path is routed with
// the same methods (HEAD, answered as GET wherever GET is, is implicit).
func TestRouteTableAndDocumentAgree(t *testing.T) {
	doc, err := openapitest.Document()
	if err != nil {
		t.Fatal(err)
	}
	documented, routed := documentedRoutes(doc), routedRoutes(&Server{})
	for path, ms := range routed {
		if got, ok := documented[path]; !ok {
			t.Errorf("route %s %v is not in docs/openapi.yaml", path, ms)
		} else if !slices.Equal(got, ms) {
			t.Errorf("docs/openapi.yaml documents %s with %v, routes.go routes %v", path, got, ms)
		}
	}
	for path, ms := range documented {
		if _, ok := routed[path]; !ok {
			t.Errorf("docs/openapi.yaml documents %s %v, which routes.go does not route", path, ms)
		}
	}
}

// TestDocumentNamesEachRoutesGuards: the x-accountd-* extensions of each
// operation say what the route table declares: its credentials, its captcha,
// whether a token pending two-factor may call it.
func TestDocumentNamesEachRoutesGuards(t *testing.T) {
	doc, err := openapitest.Document()
	if err != nil {
		t.Fatal(err)
	}
	names := map[auth]string{public: "public", optional: "optional", token: "token", loginToken: "loginToken"}
	for _, rt := range (&Server{}).apiRoutes() {
		item := doc.Paths.Value(rt.path)
		if item == nil {
			continue // TestRouteTableAndDocumentAgree names it
		}
		for m := range rt.methods {
			op := item.GetOperation(m)
			if op == nil {
				continue
			}
			where := m + " " + rt.path
			if got := op.Extensions["x-accountd-auth"]; got != names[rt.auth] {
				t.Errorf("%s: x-accountd-auth = %v, routes.go says %s", where, got, names[rt.auth])
			}
			if got, _ := op.Extensions["x-accountd-captcha"].(bool); got != rt.captcha {
				t.Errorf("%s: x-accountd-captcha = %v, routes.go says %v", where, got, rt.captcha)
			}
			if got, _ := op.Extensions["x-accountd-pending-allowed"].(bool); got != rt.pending {
				t.Errorf("%s: x-accountd-pending-allowed = %v, routes.go says %v", where, got, rt.pending)
			}
			if got, want := securityOf(doc, op), wantSecurity[rt.auth]; got != want {
				t.Errorf("%s: security = %s, routes.go's %s wants %s", where, got, names[rt.auth], want)
			}
		}
	}
}

// wantSecurity is the security requirement each kind of route documents:
// the alternatives, "none" for no credentials.
var wantSecurity = map[auth]string{
	public:     "",
	optional:   "none|loginToken|apiKey",
	token:      "loginToken|apiKey",
	loginToken: "loginToken",
}

// securityOf renders the security requirement op declares (or inherits
// from the document) as its alternatives joined by "|".
func securityOf(doc *openapi3.T, op *openapi3.Operation) string {
	reqs := doc.Security
	if op.Security != nil {
		reqs = *op.Security
	}
	var alts []string
	for _, req := range reqs {
		if len(req) == 0 {
			alts = append(alts, "none")
		}
		for name := range req {
			alts = append(alts, name)
		}
	}
	return strings.Join(alts, "|")
}
