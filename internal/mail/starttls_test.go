package mail

import (
	"context"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/accountd/accountd/internal/smtptest"
)

func TestStartTLSPolicy(t *testing.T) {
	for raw, want := range map[string]gomail.TLSPolicy{
		"smtp://mail.example.com":                  gomail.TLSMandatory,
		"smtp://u:p@mail.example.com:587":          gomail.TLSMandatory,
		"smtp://192.0.2.25:25":                     gomail.TLSMandatory,
		"smtp://[2001:db8::25]:25":                 gomail.TLSMandatory,
		"smtp://localhost.example.com":             gomail.TLSMandatory,
		"smtp://127.0.0.1.example.com":             gomail.TLSMandatory,
		"smtp://0.0.0.0:25":                        gomail.TLSMandatory,
		"smtp://127.0.0.1:25":                      gomail.TLSOpportunistic,
		"smtp://127.8.9.10:25":                     gomail.TLSOpportunistic,
		"smtp://[::1]:25":                          gomail.TLSOpportunistic,
		"smtp://localhost:25":                      gomail.TLSOpportunistic,
		"smtp://LocalHost.":                        gomail.TLSOpportunistic,
		"smtp://mail.example.com:25?tls=none":      gomail.NoTLS,
		"smtp://u:p@mail.example.com?x=1&tls=none": gomail.NoTLS,
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		got, err := startTLSPolicy(u)
		if err != nil || got != want {
			t.Errorf("startTLSPolicy(%s) = %v, %v; want %v", raw, got, err, want)
		}
	}
}

func TestSMTPURLTLSErrors(t *testing.T) {
	for _, raw := range []string{
		"smtp://u:hunter2@mail.example.com?tls=",
		"smtp://u:hunter2@mail.example.com?tls=off",
		"smtp://u:hunter2@mail.example.com?tls=NONE",
		"smtps://u:hunter2@mail.example.com?tls=none",
	} {
		_, err := NewSMTPSender(raw, time.Second)
		if err == nil || !strings.Contains(err.Error(), "tls=") {
			t.Errorf("NewSMTPSender(%q) = %v, want an error about tls=", raw, err)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("NewSMTPSender(%q) error %q holds the password", raw, err)
		}
	}
	if !SMTPCleartext("smtp://mail.example.com?tls=none") || SMTPCleartext("smtp://mail.example.com") ||
		SMTPCleartext("") {
		t.Error("SMTPCleartext does not tell tls=none from the rest")
	}
}

// remoteSender returns a sender for an smtp:// URL naming example.com, a
// host that is not loopback, whose connections go to srv on 127.0.0.1:
// the policy is decided on the URL's host, as in production, while the test
// stays on this machine. httptest's certificate, which smtptest uses, is
// valid for example.com.
func remoteSender(t *testing.T, srv *smtptest.Server, userinfo, query string) *SMTPSender {
	t.Helper()
	_, clientTLS := smtptest.TLSConfigs(t)
	if userinfo != "" {
		userinfo += "@"
	}
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, srv.Addr)
	}
	s, err := newSMTPSender("smtp://"+userinfo+"example.com:587"+query, 5*time.Second, clientTLS,
		gomail.WithDialContextFunc(dial))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestSMTPSenderRequiresSTARTTLS: to a host that is not loopback, a server
// that does not offer STARTTLS (or an attacker who stripped it from the
// answer) gets nothing: the delivery fails and is retried later, rather
// than the reset link crossing the network in clear text (issue 12,
// defect 13).
//
// The relay takes mail without AUTH (as relays that trust the sender's
// address do): with a password, go-mail already refused to send it in
// clear text, but the message itself went out.
func TestSMTPSenderRequiresSTARTTLS(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Config{})
	s := remoteSender(t, srv, "", "")
	err := s.Send(context.Background(), testMessage("ada@example.com"))
	if err == nil {
		t.Fatal("Send to a remote host without STARTTLS succeeded, want a failure")
	}
	if Permanent(err) {
		t.Errorf("Permanent(%v) = true, want a retry once the server speaks TLS again", err)
	}
	srv.NoMore()
}

// TestSMTPSenderSTARTTLSToRemoteHost: a remote server that offers STARTTLS
// gets the mail over TLS, and the password only after it.
func TestSMTPSenderSTARTTLSToRemoteHost(t *testing.T) {
	serverTLS, _ := smtptest.TLSConfigs(t)
	srv := smtptest.Start(t, smtptest.Config{StartTLS: serverTLS, User: "u", Pass: "hunter2"})
	s := remoteSender(t, srv, "u:hunter2", "")
	if err := s.Send(context.Background(), testMessage("ada@example.com")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if r := srv.Wait(); !r.TLS || r.User != "u" {
		t.Errorf("message arrived with TLS=%v user=%q, want STARTTLS and AUTH", r.TLS, r.User)
	}
}

// TestSMTPSenderTLSNone: ?tls=none is the operator's explicit choice of
// clear text, even when the server offers STARTTLS.
func TestSMTPSenderTLSNone(t *testing.T) {
	serverTLS, _ := smtptest.TLSConfigs(t)
	for name, cfg := range map[string]smtptest.Config{
		"without STARTTLS": {},
		"with STARTTLS":    {StartTLS: serverTLS},
	} {
		t.Run(name, func(t *testing.T) {
			srv := smtptest.Start(t, cfg)
			s := remoteSender(t, srv, "", "?tls=none")
			if err := s.Send(context.Background(), testMessage("ada@example.com")); err != nil {
				t.Fatalf("Send with tls=none: %v", err)
			}
			if r := srv.Wait(); r.TLS {
				t.Error("message arrived over TLS, want clear text as configured")
			}
		})
	}
}

// TestSMTPSenderTLSNoneKeepsThePassword: go-mail refuses to send a password
// in clear text to a host that is not loopback, so tls=none with a user
// fails rather than expose it.
func TestSMTPSenderTLSNoneKeepsThePassword(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Config{User: "u", Pass: "hunter2"})
	s := remoteSender(t, srv, "u:hunter2", "?tls=none")
	if err := s.Send(context.Background(), testMessage("ada@example.com")); err == nil {
		t.Error("Send with a password over tls=none to a remote host succeeded, want a refusal")
	}
	srv.NoMore()
}
