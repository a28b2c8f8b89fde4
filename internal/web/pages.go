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
	"pages/account_*.html", "pages/dash_*.html", "pages/index.html", "pages/notfound.html"))

//go:embed favicon.ico
var faviconICO []byte

// pageRoutes registers the dashboard pages of docs/api.md#dashboard-pages and their assets, as
// ACCOUNTD_PAGES says: the emailed links' pages unless off, the account
// pages only with all.
func (s *Server) pageRoutes(mux *http.ServeMux) {
	s.handleFavicon(mux)
	if s.pagesMode() == PagesOff {
		return
	}
	if s.pagesMode() == PagesAll {
		s.accountPages(mux)
		s.socialRoutes(mux)
	}
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

// handleFavicon serves /favicon.ico, whatever ACCOUNTD_PAGES says: browsers
// ask for it on any page without an icon link (the JSON answers, the 404s);
// the pages link /static/favicon.svg.
func (s *Server) handleFavicon(mux *http.ServeMux) {
	s.handle(mux, "/favicon.ico", methods{"GET": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/x-icon")
		w.Header().Set("Cache-Control", "public, max-age=86400")
		_, _ = w.Write(faviconICO)
	})})
}

// accountPages registers the pages of the whole account (issue 17): shells
// that dashboard.js fills from the JSON API with the session cookie.
func (s *Server) accountPages(mux *http.ServeMux) {
	for path, name := range map[string]string{
		"/register/":         "dash_register.html",
		"/login/":            "dash_login.html",
		"/logout/":           "dash_logout.html",
		"/account/":          "dash_profile.html",
		"/account/security/": "dash_security.html",
		"/account/email/":    "dash_email.html",
		"/account/apikeys/":  "dash_apikeys.html",
		"/account/delete/":   "dash_delete.html",
	} {
		s.handle(mux, path, methods{"GET": s.page(name, nil)})
	}
	s.handle(mux, "/account/security/qr/", methods{"POST": http.HandlerFunc(s.totpQR)})
}

// pageData is what the page templates see.
type pageData struct {
	Token     string
	MinLength int
	Captcha   PageCaptcha
	AppURL    string // the done page's "Go to the app" link, when set
	Google    bool   // the sign-in and sign-up pages offer "Sign in with Google"
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
		d := &pageData{MinLength: s.cfg.MinPasswordLength, Captcha: s.cfg.PageCaptcha, AppURL: s.cfg.AppURL,
			Google: s.socialOnPages()}
		if fill != nil {
			fill(r, d)
		}
		s.renderPage(w, r, resetTemplates, name, d)
	})
}

// renderPage renders an HTML page with the headers of docs/api.md#dashboard-pages: no referrer
// (the path may hold a token), no caching, a strict CSP, no framing.
func (s *Server) renderPage(w http.ResponseWriter, r *http.Request, t *template.Template, name string, data any) {
	s.renderPageStatus(w, r, t, name, data, http.StatusOK)
}

// renderPageStatus is renderPage with another status (the 404 page).
func (s *Server) renderPageStatus(w http.ResponseWriter, r *http.Request, t *template.Template, name string, data any, status int) {
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
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
