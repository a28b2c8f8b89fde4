package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	gomail "github.com/wneessen/go-mail"
	gosmtp "github.com/wneessen/go-mail/smtp"

	"github.com/accountd/accountd/internal/account"
)

// Message is one email ready to send.
type Message struct {
	MessageID string // with or without the angle brackets
	From      string
	To        string
	Subject   string
	Text      string
	HTML      string // "" sends a text-only message
	Date      time.Time
}

// Sender delivers one message. An error for which Permanent is true means the
// message can never be delivered; any other error is worth a retry.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// permanentError marks a failure that no retry can cure, such as a recipient
// address that does not parse.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent reports whether err says the message can never be delivered (an
// SMTP 5xx answer to RCPT or DATA, or a recipient that is not an address), so
// the worker marks it dead at once. A 5xx to MAIL FROM or AUTH is not
// permanent: it is our configuration that is wrong, not the message, and the
// mail should go out once it is fixed.
func Permanent(err error) bool {
	var pe *permanentError
	if errors.As(err, &pe) {
		return true
	}
	var se *gomail.SendError
	if !errors.As(err, &se) {
		return false
	}
	switch se.Reason {
	case gomail.ErrSMTPRcptTo, gomail.ErrSMTPData, gomail.ErrSMTPDataClose:
		return se.ErrorCode() >= 500 && se.ErrorCode() <= 599
	}
	return false
}

// SMTPSender sends mail through an SMTP server. It keeps the connection open
// between messages, so a busy queue pays for the handshake (and TLS, and
// AUTH) once; a connection the server has closed meanwhile is redialled. It
// is safe for concurrent use; messages go out one at a time.
type SMTPSender struct {
	client *gomail.Client
	// quitWait bounds the QUIT of Close: the sender's timeout, at most
	// maxQuitWait, so an unresponsive server cannot hold a shutdown long.
	quitWait time.Duration

	mu   sync.Mutex
	conn *gosmtp.Client // nil when no connection is open
}

// NewSMTPSender returns a sender for rawURL: smtp://[user:pass@]host[:port]
// (port 587 by default; STARTTLS required, except to a loopback host, where
// it is used when offered, or with ?tls=none: clear text) or
// smtps://[user:pass@]host[:port] (implicit TLS, port 465 by default). It
// authenticates only when the URL has a user; go-mail then refuses to send
// PLAIN or LOGIN credentials over an unencrypted connection except to
// loopback. timeout bounds the dial and each command. Errors never contain
// the password.
func NewSMTPSender(rawURL string, timeout time.Duration) (*SMTPSender, error) {
	return newSMTPSender(rawURL, timeout, nil)
}

// newSMTPSender is NewSMTPSender with the TLS configuration to use and
// further go-mail options; tests pass a configuration that trusts their own
// certificate, and a dialler that takes a remote host name to their server.
func newSMTPSender(rawURL string, timeout time.Duration, tlsConfig *tls.Config, extra ...gomail.Option) (*SMTPSender, error) {
	opts, host, err := smtpOptions(rawURL, timeout)
	if err != nil {
		return nil, err
	}
	opts = append(opts, extra...)
	if tlsConfig == nil {
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	tlsConfig = tlsConfig.Clone()
	tlsConfig.ServerName = host
	opts = append(opts, gomail.WithTLSConfig(tlsConfig))
	c, err := gomail.NewClient(host, opts...)
	if err != nil {
		return nil, fmt.Errorf("mail: SMTP client for %s: %w", host, err)
	}
	if timeout <= 0 {
		timeout = gomail.DefaultTimeout
	}
	return &SMTPSender{client: c, quitWait: min(timeout, maxQuitWait)}, nil
}

// maxQuitWait is the longest Close waits for the answer to QUIT.
const maxQuitWait = 5 * time.Second

// smtpOptions turns the URL into go-mail options and the host name.
func smtpOptions(rawURL string, timeout time.Duration) ([]gomail.Option, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// The parse error quotes the URL, password included.
		return nil, "", errors.New("mail: invalid SMTP URL: want smtp://user:pass@host:port or smtps://…, " +
			"with the user and password percent-encoded")
	}
	host := u.Hostname()
	port := 587
	var opts []gomail.Option
	switch u.Scheme {
	case "smtp":
		policy, err := startTLSPolicy(u)
		if err != nil {
			return nil, "", err
		}
		opts = append(opts, gomail.WithTLSPolicy(policy))
	case "smtps":
		if u.Query().Has("tls") {
			return nil, "", errors.New("mail: SMTP URL: tls= is for smtp://; smtps:// always speaks TLS")
		}
		port = 465
		opts = append(opts, gomail.WithSSL())
	default:
		return nil, "", fmt.Errorf("mail: SMTP URL scheme %q: want smtp or smtps", u.Scheme)
	}
	if host == "" {
		return nil, "", errors.New("mail: SMTP URL has no host")
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil || port < 1 || port > 65535 {
			return nil, "", fmt.Errorf("mail: SMTP URL port %q: want 1 to 65535", p)
		}
	}
	if timeout <= 0 {
		timeout = gomail.DefaultTimeout
	}
	opts = append(opts, gomail.WithPort(port), gomail.WithTimeout(timeout))
	if user := u.User.Username(); user != "" {
		pass, _ := u.User.Password()
		opts = append(opts, gomail.WithUsername(user), gomail.WithPassword(pass),
			gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthPlain, gomail.SMTPAuthLogin))
	}
	return opts, host, nil
}

// startTLSPolicy decides how an smtp:// connection is protected (README.md#configuration).
// STARTTLS is required: a network attacker who strips it from the server's
// answer would otherwise read every reset link, so delivery fails instead.
// Two exceptions: a loopback host, where no network is crossed (STARTTLS when
// offered), and an explicit ?tls=none, which sends in clear text (serve
// warns at start-up).
func startTLSPolicy(u *url.URL) (gomail.TLSPolicy, error) {
	switch v := u.Query().Get("tls"); {
	case v == "none":
		return gomail.NoTLS, nil
	case v != "" || u.Query().Has("tls"):
		return 0, errors.New("mail: SMTP URL: tls= takes only none (STARTTLS is otherwise required)")
	case loopbackHost(u.Hostname()):
		return gomail.TLSOpportunistic, nil
	}
	return gomail.TLSMandatory, nil
}

// loopbackHost reports whether host is localhost or a loopback address;
// names that merely resolve to one do not count (no lookup at start-up).
func loopbackHost(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// SMTPCleartext reports whether rawURL asks to send mail in clear text
// (smtp://…?tls=none), which serve logs as a warning at start-up.
func SMTPCleartext(rawURL string) bool {
	u, err := url.Parse(rawURL)
	return err == nil && u.Scheme == "smtp" && u.Query().Get("tls") == "none"
}

// Send delivers m over the open connection, dialling one if needed.
func (s *SMTPSender) Send(ctx context.Context, m Message) error {
	msg, err := buildMsg(m)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	reused := s.conn != nil
	err = s.send(ctx, msg)
	if err != nil && reused && connLost(err) {
		// The server closed the idle connection. Nothing was sent on it
		// (the check is a NOOP before MAIL FROM), so one retry on a fresh
		// connection cannot duplicate the message.
		s.drop()
		err = s.send(ctx, msg)
	}
	if err != nil {
		// After a failure the session state is unknown: start afresh.
		s.drop()
	}
	return err
}

func (s *SMTPSender) send(ctx context.Context, msg *gomail.Msg) error {
	if s.conn == nil {
		c, err := s.client.DialToSMTPClientWithContext(ctx)
		if err != nil {
			return fmt.Errorf("connecting to %s: %w", s.client.ServerAddr(), err)
		}
		s.conn = c
	}
	return s.client.SendWithSMTPClient(s.conn, msg)
}

// connLost reports whether err is go-mail's connection check failing.
func connLost(err error) bool {
	var se *gomail.SendError
	return errors.As(err, &se) && se.Reason == gomail.ErrConnCheck
}

// drop closes the connection without a QUIT: it may be broken, and a QUIT
// would wait for the timeout.
func (s *SMTPSender) drop() {
	if s.conn != nil {
		_ = s.conn.Close()
		s.conn = nil
	}
}

// Close says QUIT and closes the open connection, if any. The sender can
// still be used afterwards; it dials again. A server that already hung up
// (its own idle timeout, a restart) is no error: the session is over
// either way. A QUIT refused or unanswered is.
func (s *SMTPSender) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil
	}
	conn := s.conn
	s.conn = nil
	// go-mail's deadline on the connection is absolute, set when it dialled
	// or last sent: on a connection idle for longer it has passed, and QUIT
	// would fail at once with "i/o timeout" against a healthy server.
	if err := conn.UpdateDeadline(s.quitWait); err != nil {
		_ = conn.Close()
		return nil // the connection is already closed
	}
	err := s.client.CloseWithSMTPClient(conn)
	if err != nil {
		_ = conn.Close()
		if hungUp(err) {
			return nil
		}
	}
	return err
}

// hungUp reports whether err says the server had closed the connection.
func hungUp(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// buildMsg makes the multipart/alternative message (text, then HTML).
func buildMsg(m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.From(m.From); err != nil {
		// Our configuration, not the message: not permanent.
		return nil, fmt.Errorf("From address: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, &permanentError{fmt.Errorf("To address: %w", err)}
	}
	msg.Subject(m.Subject)
	if id := strings.Trim(m.MessageID, "<>"); id != "" {
		msg.SetMessageIDWithValue(id)
	} else {
		msg.SetMessageID()
	}
	msg.SetDateWithValue(m.Date)
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// DevStore is where the DevSender keeps mail; account.Store implements it.
type DevStore interface {
	SaveDevMail(ctx context.Context, m *account.DevMail) error
}

// DevSender keeps mail in the database for the development inbox at
// /dev/mail/ instead of sending it.
type DevSender struct {
	store DevStore
}

// NewDevSender returns a sender that saves every message to store.
func NewDevSender(store DevStore) *DevSender {
	return &DevSender{store: store}
}

// Send saves m; its Date becomes the mail's CreatedAt.
func (d *DevSender) Send(ctx context.Context, m Message) error {
	return d.store.SaveDevMail(ctx, &account.DevMail{
		MessageID: m.MessageID,
		To:        m.To,
		Subject:   m.Subject,
		Text:      m.Text,
		HTML:      m.HTML,
		CreatedAt: m.Date,
	})
}

// Compile-time checks that both senders are Senders.
var (
	_ Sender = (*SMTPSender)(nil)
	_ Sender = (*DevSender)(nil)
)
