package web

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
)

//go:embed static
var staticFS embed.FS

var resetTemplates = template.Must(template.ParseFS(pageFS, "pages/layout.html", "pages/reset_*.html",
	"pages/account_*.html"))

// pageRoutes registers the dashboard pages of SPEC §7 and their assets.
func (s *Server) pageRoutes(mux *http.ServeMux) {
	s.handle(mux, "/resetpassword/", methods{"GET": s.page("reset_ask.html", nil)})
	s.handle(mux, "/resetpassword/done/", methods{"GET": s.page("reset_done.html", nil)})
	// Where the confirm page stands once its token left the address bar (with
	// a captcha widget on the page); reloading it says to use the link again.
	s.handle(mux, "/resetpassword/confirm/", methods{"GET": s.page("reset_confirm.html", nil)})
	s.handle(mux, "/resetpassword/{token}/confirm/", methods{"GET": s.page("reset_confirm.html", tokenPage)})
	s.handle(mux, "/resetpassword/{token}/cancel/", methods{"GET": s.page("reset_cancel.html", tokenPage)})
	s.handle(mux, "/changeemail/{token}/confirm/", methods{"GET": s.page("account_changeemail.html", tokenPage)})
	s.handle(mux, "/activation/{token}/confirm/", methods{"GET": s.page("account_activation.html", tokenPage)})
	static := http.FileServerFS(staticFS)
	s.handle(mux, "/static/{file}", methods{"GET": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		static.ServeHTTP(w, r)
	})})
}

// pageData is what the page templates see.
type pageData struct {
	Token     string
	MinLength int
	Captcha   PageCaptcha
}

// tokenPage takes the token of the path when it has the form of one; the
// page says "not valid" otherwise. Opening the page consumes nothing.
func tokenPage(r *http.Request, d *pageData) {
	t := r.PathValue("token")
	if len(t) == 64 && isLowerHex(t) {
		d.Token = t
	}
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// page serves one dashboard page.
func (s *Server) page(name string, fill func(*http.Request, *pageData)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := &pageData{MinLength: s.cfg.MinPasswordLength, Captcha: s.cfg.PageCaptcha}
		if fill != nil {
			fill(r, d)
		}
		s.renderPage(w, r, resetTemplates, name, d)
	})
}

// renderPage renders an HTML page with the headers of SPEC §7: no referrer
// (the path may hold a token), no caching, a strict CSP, no framing.
func (s *Server) renderPage(w http.ResponseWriter, r *http.Request, t *template.Template, name string, data any) {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		s.writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", s.cfg.PageCaptcha.csp())
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}
