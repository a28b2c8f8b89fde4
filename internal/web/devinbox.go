package web

import (
	"embed"
	"errors"
	"html/template"
	"net/http"
	"regexp"
	"strconv"

	"github.com/accountd/accountd/internal/account"
)

//go:embed pages/*.html
var pageFS embed.FS

var devTemplates = template.Must(template.ParseFS(pageFS, "pages/devmail*.html"))

// linkPattern finds the links of a mail's text part, listed as clickable
// links so a newcomer can follow a reset link from the inbox.
var linkPattern = regexp.MustCompile(`https?://[^\s<>"]+`)

// devInbox lists the mail kept by the development sender.
func (s *Server) devInbox() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mails, err := s.cfg.DevInbox.DevMails(r.Context(), 200)
		if err != nil {
			s.writeError(w, r, account.Unavailable(err))
			return
		}
		s.renderPage(w, r, devTemplates, "devmail_list.html", mails)
	})
}

// devMail returns the mail the path's {id} names, or not found. Only a
// missing mail is not found: a database that cannot answer is 503, so an
// outage does not pass for an empty inbox.
func (s *Server) devMail(r *http.Request) (account.DevMail, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return account.DevMail{}, errNotFound
	}
	m, err := s.cfg.DevInbox.DevMailByID(r.Context(), id)
	if errors.Is(err, account.ErrNotFound) {
		return account.DevMail{}, errNotFound
	}
	if err != nil {
		return account.DevMail{}, account.Unavailable(err)
	}
	return m, nil
}

// devMessageHTML serves the HTML part of a mail on its own, for the frame of
// the message page: the mail's inline styles need a policy of their own, and
// the sandbox keeps any script in it from running.
func (s *Server) devMessageHTML() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, err := s.devMail(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; frame-ancestors 'self'")
		h.Set("X-Frame-Options", "SAMEORIGIN")
		_, _ = w.Write([]byte(m.HTML))
	})
}

// devMessage shows one mail of the development inbox.
func (s *Server) devMessage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, err := s.devMail(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.renderPage(w, r, devTemplates, "devmail_message.html", struct {
			account.DevMail
			Links []string
		}{m, linkPattern.FindAllString(m.Text, -1)})
	})
}
