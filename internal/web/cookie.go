package web

import (
	"net/http"
	"net/url"
)

// The built-in pages' browser sign-in (docs/decisions.md "Browser sign-in
// for the built-in pages"): the login token lives in an HttpOnly cookie that
// only the API receives, and the API reads it only from a same-origin page.
const (
	sessionCookie = "accountd_session"
	cookiePath    = "/api/v2/"
	// pageHeader marks a request sent by the pages' scripts. A cross-site
	// form cannot send it, and CORS never allows it (cors.go), so a
	// cross-origin fetch cannot either.
	pageHeader = "X-Accountd-Page"
)

// Which pages ACCOUNTD_PAGES serves.
const (
	PagesAll   = "all"   // every page, and the cookie sign-in
	PagesLinks = "links" // only the pages emailed links open
	PagesOff   = "off"   // none
)

// pagesMode returns the configured ACCOUNTD_PAGES, all when unset.
func (s *Server) pagesMode() string {
	if s.cfg.Pages == "" {
		return PagesAll
	}
	return s.cfg.Pages
}

// cookieSignIn reports whether the browser sign-in is on: only with every page.
func (s *Server) cookieSignIn() bool { return s.pagesMode() == PagesAll }

// fromOwnPage reports whether r was sent by a script of this origin's pages:
// the page header, and the browser says same-origin (Fetch Metadata, or for
// a browser without it an Origin naming this host).
func fromOwnPage(r *http.Request) bool {
	if r.Header.Get(pageHeader) != "1" {
		return false
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		return site == "same-origin"
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && u.Host == r.Host
}

// wantsCookie reports whether a sign-in should answer with the cookie
// instead of the token in the body.
func (s *Server) wantsCookie(r *http.Request) bool {
	return s.cookieSignIn() && fromOwnPage(r)
}

// cookieToken returns the token of the session cookie when the request may
// use it: the sign-in is on, there is no Authorization header (it wins), and
// the request comes from this origin's pages.
func (s *Server) cookieToken(r *http.Request) (string, bool) {
	if !s.cookieSignIn() || r.Header.Get("Authorization") != "" || !fromOwnPage(r) {
		return "", false
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return "", false
	}
	return c.Value, true
}

// forwardCookie holds the forward-auth ticket of the session (forwardauth.go).
const forwardCookie = "accountd_forward"

// setSessionCookie hands the browser its login token. No Max-Age: it ends
// with the browser session; the token keeps its own lifetimes. With forward
// auth on, the browser also gets the session's forward-auth ticket, which
// the proxies of the apps' domain can show but which no API endpoint takes.
func (s *Server) setSessionCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, s.cookie(sessionCookie, token, cookiePath, "", 0))
	if s.cfg.ForwardAuthPath != "" {
		http.SetCookie(w, s.forwardTicketCookie(s.svc.ForwardAuthTicket(token), 0))
	}
}

// clearSessionCookie tells the browser to drop the cookies.
func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, s.cookie(sessionCookie, "", cookiePath, "", -1))
	if s.cfg.ForwardAuthPath != "" {
		http.SetCookie(w, s.forwardTicketCookie("", -1))
	}
}

// forwardTicketCookie is the forward-auth cookie with value: every path, and the
// apps' domain when Config.CookieDomain names one (else this host), so that
// the reverse proxy in front of them receives it.
func (s *Server) forwardTicketCookie(value string, maxAge int) *http.Cookie {
	return s.cookie(forwardCookie, value, "/", s.cfg.CookieDomain, maxAge)
}

// cookie is one of the pages' cookies: HttpOnly, SameSite=Strict, and
// Secure outside development mode.
func (s *Server) cookie(name, value, path, domain string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: path, Domain: domain, MaxAge: maxAge,
		HttpOnly: true, Secure: !s.cfg.Dev, SameSite: http.SameSiteStrictMode}
}

// writeSignIn answers a sign-in: the token in the body for API clients, or
// the cookie and "session": "cookie" for the pages, so that no page script
// ever holds the token. extra holds the answer's other fields.
func (s *Server) writeSignIn(w http.ResponseWriter, r *http.Request, token string, extra map[string]any) {
	body := map[string]any{}
	for k, v := range extra {
		body[k] = v
	}
	if s.wantsCookie(r) {
		s.setSessionCookie(w, token)
		body["session"] = "cookie"
	} else {
		body["token"] = token
	}
	writeJSON(w, http.StatusOK, body)
}
