package web

import (
	"embed"
	"net/http"
	"strings"
)

// apiDocsFS is the API reference page: our index.html and init.js, and
// Swagger UI's bundle and stylesheet from the npm package swagger-ui-dist
// (Apache-2.0, LICENSE and NOTICE beside them), refreshed by
// scripts/vendor-swagger-ui.sh. Nothing is loaded from another origin.
//
//go:embed apidocs/index.html apidocs/init.js apidocs/swagger-ui-bundle.js apidocs/swagger-ui.css
var apiDocsFS embed.FS

// apiDocsCSP is the pages' policy (no captcha provider: the reference page
// has no form), with data: images, which Swagger UI's stylesheet uses for
// its icons.
var apiDocsCSP = strings.Replace(PageCaptcha{}.csp(), "img-src 'self'", "img-src 'self' data:", 1)

// apiDocsRoutes serves the API reference page at /api/docs/ and its assets.
func (s *Server) apiDocsRoutes(mux *http.ServeMux) {
	s.handle(mux, "/api/docs/", methods{"GET": apiDocsFile("apidocs/index.html", "text/html; charset=utf-8")})
	for name, ct := range map[string]string{
		"init.js":              "text/javascript; charset=utf-8",
		"swagger-ui-bundle.js": "text/javascript; charset=utf-8",
		"swagger-ui.css":       "text/css; charset=utf-8",
	} {
		s.handle(mux, "/api/docs/"+name, methods{"GET": apiDocsFile("apidocs/"+name, ct)})
	}
}

// apiDocsFile serves one embedded file of the reference page.
func apiDocsFile(name, contentType string) http.Handler {
	body, err := apiDocsFS.ReadFile(name)
	if err != nil {
		panic("web: " + name + " is not embedded")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", contentType)
		h.Set("Cache-Control", "public, max-age=3600")
		h.Set("Content-Security-Policy", apiDocsCSP)
		_, _ = w.Write(body)
	})
}
