// Package smtptest runs a real SMTP server (github.com/emersion/go-smtp) on
// 127.0.0.1 for tests, recording what it receives. Test-only: imported by
// _test.go files alone.
package smtptest

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
)

// Received is one message as the test SMTP server saw it.
type Received struct {
	From     string
	To       []string
	Data     []byte
	User     string // "" without AUTH
	Pass     string
	TLS      bool
	ConnSeen int // which connection (1, 2, …) carried it
}

// Config sets how the test server behaves.
type Config struct {
	User, Pass  string                // when set, AUTH PLAIN with these is required
	Rcpt        func(to string) error // answer to RCPT; nil accepts
	Data        error                 // answer to the end of DATA; nil accepts
	StartTLS    *tls.Config           // offer STARTTLS with this
	ImplicitTLS *tls.Config           // speak TLS from the first byte
}

// Server is a real SMTP server on 127.0.0.1 that records what it
// receives.
type Server struct {
	t    *testing.T
	cfg  Config
	Addr string
	Msgs chan Received

	mu    sync.Mutex
	srv   *gosmtp.Server
	ln    net.Listener
	conns map[*gosmtp.Conn]int
}

// Start starts a server on a free port; it stops at the end of the test.
func Start(t *testing.T, cfg Config) *Server {
	t.Helper()
	s := &Server{t: t, cfg: cfg, Msgs: make(chan Received, 16), conns: map[*gosmtp.Conn]int{}}
	s.listen("127.0.0.1:0")
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) listen(addr string) {
	s.t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		s.t.Fatalf("listen %s: %v", addr, err)
	}
	if s.cfg.ImplicitTLS != nil {
		l = tls.NewListener(l, s.cfg.ImplicitTLS)
	}
	srv := gosmtp.NewServer(gosmtp.BackendFunc(s.newSession))
	srv.Domain = "mx.test"
	srv.AllowInsecureAuth = true
	srv.TLSConfig = s.cfg.StartTLS
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	s.mu.Lock()
	s.srv, s.ln, s.Addr = srv, l, l.Addr().String()
	s.mu.Unlock()
	go srv.Serve(l) //nolint:errcheck // returns when stopped
}

// Stop closes the listener and every connection: the server is down.
func (s *Server) Stop() {
	s.mu.Lock()
	srv, ln := s.srv, s.ln
	s.srv, s.ln = nil, nil
	s.mu.Unlock()
	if srv != nil {
		// Close the listener here too: Serve runs in a goroutine and may not
		// have registered it with the server yet.
		ln.Close()
		srv.Close()
	}
}

// Restart brings a stopped server back on the same address.
func (s *Server) Restart() {
	s.t.Helper()
	s.listen(s.Addr)
}

// URL is the smtp:// URL of the server, with userinfo when given.
func (s *Server) URL(userinfo string) string {
	scheme := "smtp"
	if s.cfg.ImplicitTLS != nil {
		scheme = "smtps"
	}
	if userinfo != "" {
		userinfo += "@"
	}
	return scheme + "://" + userinfo + s.Addr
}

// Wait returns the next message, failing the test after a few seconds.
func (s *Server) Wait() Received {
	s.t.Helper()
	select {
	case r := <-s.Msgs:
		return r
	case <-time.After(5 * time.Second):
		s.t.Fatal("the SMTP server Received no message")
		return Received{}
	}
}

// NoMore fails the test if a message is waiting.
func (s *Server) NoMore() {
	s.t.Helper()
	select {
	case r := <-s.Msgs:
		s.t.Errorf("unexpected message to %v", r.To)
	default:
	}
}

// Connections is how many connections have opened a session.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

func (s *Server) newSession(c *gosmtp.Conn) (gosmtp.Session, error) {
	s.mu.Lock()
	n, ok := s.conns[c]
	if !ok {
		n = len(s.conns) + 1
		s.conns[c] = n
	}
	s.mu.Unlock()
	_, isTLS := c.TLSConnectionState()
	return &session{srv: s, msg: Received{TLS: isTLS, ConnSeen: n}}, nil
}

// session is one SMTP session of the test server.
type session struct {
	srv *Server
	msg Received
}

func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != ss.srv.cfg.User || pass != ss.srv.cfg.Pass {
			return gosmtp.ErrAuthFailed
		}
		ss.msg.User, ss.msg.Pass = user, pass
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *gosmtp.MailOptions) error {
	if ss.srv.cfg.User != "" && ss.msg.User == "" {
		return gosmtp.ErrAuthRequired
	}
	ss.msg.From = from
	return nil
}

func (ss *session) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	if ss.srv.cfg.Rcpt != nil {
		if err := ss.srv.cfg.Rcpt(to); err != nil {
			return err
		}
	}
	ss.msg.To = append(ss.msg.To, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if ss.srv.cfg.Data != nil {
		return ss.srv.cfg.Data
	}
	msg := ss.msg
	msg.Data = b
	ss.srv.Msgs <- msg
	return nil
}

func (ss *session) Reset() {
	ss.msg = Received{User: ss.msg.User, Pass: ss.msg.Pass, TLS: ss.msg.TLS, ConnSeen: ss.msg.ConnSeen}
}

func (ss *session) Logout() error { return nil }

// Reply is an SMTP error answer.
func Reply(code int, enhanced gosmtp.EnhancedCode, text string) error {
	return &gosmtp.SMTPError{Code: code, EnhancedCode: enhanced, Message: text}
}

// TLSConfigs returns a server TLS configuration for 127.0.0.1 and a client one
// that trusts it. httptest already carries such a certificate, which saves
// generating one here.
func TLSConfigs(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	hs := httptest.NewUnstartedServer(http.NotFoundHandler())
	hs.StartTLS()
	t.Cleanup(hs.Close)
	pool := x509.NewCertPool()
	pool.AddCert(hs.Certificate())
	return &tls.Config{Certificates: hs.TLS.Certificates},
		&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

// Parsed is a Received message taken apart.
type Parsed struct {
	Header netmail.Header
	Type   string // media type of the message
	Parts  map[string]string
}

// Parse parses a multipart message; Parts maps each part's media type
// to its decoded body.
func Parse(t *testing.T, data []byte) Parsed {
	t.Helper()
	m, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("ReadMessage: %v", err)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type %q: %v", m.Header.Get("Content-Type"), err)
	}
	p := Parsed{Header: m.Header, Type: mt, Parts: map[string]string{}}
	if !strings.HasPrefix(mt, "multipart/") {
		return p
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return p
		}
		if err != nil {
			t.Fatalf("NextPart: %v", err)
		}
		pt, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		b, err := io.ReadAll(part) // NextPart decodes quoted-printable
		if err != nil {
			t.Fatalf("reading %s part: %v", pt, err)
		}
		p.Parts[pt] = strings.ReplaceAll(string(b), "\r\n", "\n")
	}
}
