package mail

import (
	"context"
	"github.com/accountd/accountd/internal/smtptest"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accountd/accountd/internal/account"
)

var testDate = time.Date(2026, 11, 27, 13, 58, 10, 0, time.UTC)

func testMessage(to string) Message {
	return Message{
		MessageID: "<20261127135810.42@accountd.test>",
		From:      "accountd <noreply@accountd.test>",
		To:        to,
		Subject:   "Reset your password",
		Text:      "Open " + testLink + "\n",
		HTML:      `<p><a href="` + testLink + `">Open</a></p>`,
		Date:      testDate,
	}
}

func newTestSender(t *testing.T, rawURL string) *SMTPSender {
	t.Helper()
	s, err := NewSMTPSender(rawURL, 5*time.Second)
	if err != nil {
		t.Fatalf("NewSMTPSender: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSMTPSenderDelivers(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Config{})
	s := newTestSender(t, srv.URL(""))
	m := testMessage("ada@example.com")
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	r := srv.Wait()
	if r.From != "noreply@accountd.test" || !cmp.Equal(r.To, []string{"ada@example.com"}) {
		t.Errorf("envelope = %q → %q, want noreply@accountd.test → [ada@example.com]", r.From, r.To)
	}
	p := smtptest.Parse(t, r.Data)
	if p.Type != "multipart/alternative" {
		t.Errorf("Content-Type = %q, want multipart/alternative", p.Type)
	}
	got := map[string]string{
		"Message-ID": p.Header.Get("Message-ID"),
		"From":       p.Header.Get("From"),
		"To":         p.Header.Get("To"),
		"Subject":    p.Header.Get("Subject"),
	}
	want := map[string]string{
		"Message-ID": "<20261127135810.42@accountd.test>",
		"From":       `"accountd" <noreply@accountd.test>`,
		"To":         "<ada@example.com>",
		"Subject":    "Reset your password",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("headers (-want +got):\n%s", diff)
	}
	if date, err := p.Header.Date(); err != nil || !date.Equal(testDate) {
		t.Errorf("Date = %v, %v; want %v", date, err, testDate)
	}
	wantParts := map[string]string{"text/plain": m.Text, "text/html": m.HTML}
	if diff := cmp.Diff(wantParts, p.Parts); diff != "" {
		t.Errorf("parts (-want +got):\n%s", diff)
	}
}

func TestSMTPSenderAuth(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Config{User: "mailer@accountd.test", Pass: "p@ss:w/rd %"})
	s := newTestSender(t, srv.URL("mailer%40accountd.test:p%40ss%3Aw%2Frd%20%25"))
	if err := s.Send(context.Background(), testMessage("ada@example.com")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	r := srv.Wait()
	if r.User != "mailer@accountd.test" || r.Pass != "p@ss:w/rd %" {
		t.Errorf("server saw credentials %q / %q", r.User, r.Pass)
	}
}

func TestSMTPSenderWrongPassword(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Config{User: "mailer", Pass: "right"})
	s := newTestSender(t, srv.URL("mailer:s3cret-wrong"))
	err := s.Send(context.Background(), testMessage("ada@example.com"))
	if err == nil {
		t.Fatal("Send succeeded with a wrong password")
	}
	if Permanent(err) {
		t.Errorf("Permanent(%v) = true; a wrong password is ours to fix, not the message's", err)
	}
	if strings.Contains(err.Error(), "s3cret-wrong") {
		t.Errorf("error %q contains the password", err)
	}
}

func TestSMTPSenderReusesConnection(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Config{})
	s := newTestSender(t, srv.URL(""))
	for i := range 3 {
		if err := s.Send(context.Background(), testMessage("ada@example.com")); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
		srv.Wait()
	}
	if n := srv.Connections(); n != 1 {
		t.Errorf("3 messages used %d connections, want 1", n)
	}
}

// A connection the server dropped while idle is replaced without an error.
func TestSMTPSenderRedials(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Config{})
	s := newTestSender(t, srv.URL(""))
	if err := s.Send(context.Background(), testMessage("ada@example.com")); err != nil {
		t.Fatalf("first Send: %v", err)
	}
	srv.Wait()
	srv.Stop()
	srv.Restart()
	if err := s.Send(context.Background(), testMessage("ada@example.com")); err != nil {
		t.Fatalf("Send after the server dropped the connection: %v", err)
	}
	if r := srv.Wait(); r.ConnSeen != 2 {
		t.Errorf("second message came on connection %d, want 2", r.ConnSeen)
	}
}

func TestSMTPSenderSTARTTLS(t *testing.T) {
	serverTLS, clientTLS := smtptest.TLSConfigs(t)
	srv := smtptest.Start(t, smtptest.Config{StartTLS: serverTLS, User: "u", Pass: "p"})
	s, err := newSMTPSender(srv.URL("u:p"), 5*time.Second, clientTLS)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Send(context.Background(), testMessage("ada@example.com")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if r := srv.Wait(); !r.TLS || r.User != "u" {
		t.Errorf("message arrived with TLS=%v user=%q, want STARTTLS and AUTH", r.TLS, r.User)
	}
}

func TestSMTPSenderImplicitTLS(t *testing.T) {
	serverTLS, clientTLS := smtptest.TLSConfigs(t)
	srv := smtptest.Start(t, smtptest.Config{ImplicitTLS: serverTLS})
	s, err := newSMTPSender(srv.URL(""), 5*time.Second, clientTLS)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Send(context.Background(), testMessage("ada@example.com")); err != nil {
		t.Fatalf("Send over smtps: %v", err)
	}
	if r := srv.Wait(); !r.TLS {
		t.Error("message arrived without TLS")
	}
}

// An untrusted certificate fails the send rather than falling back to plain
// text.
func TestSMTPSenderRejectsUntrustedCert(t *testing.T) {
	serverTLS, _ := smtptest.TLSConfigs(t)
	srv := smtptest.Start(t, smtptest.Config{StartTLS: serverTLS})
	s := newTestSender(t, srv.URL(""))
	if err := s.Send(context.Background(), testMessage("ada@example.com")); err == nil {
		t.Error("Send succeeded over an untrusted certificate")
	}
	srv.NoMore()
}

func TestPermanent(t *testing.T) {
	tests := []struct {
		name string
		cfg  smtptest.Config
		to   string
		want bool
	}{
		{"550 on RCPT", smtptest.Config{Rcpt: func(string) error {
			return smtptest.Reply(550, [3]int{5, 1, 1}, "No such user")
		}}, "ada@example.com", true},
		{"451 on RCPT", smtptest.Config{Rcpt: func(string) error {
			return smtptest.Reply(451, [3]int{4, 3, 0}, "Try again later")
		}}, "ada@example.com", false},
		{"554 after DATA", smtptest.Config{Data: smtptest.Reply(554, [3]int{5, 6, 0}, "Rejected")}, "ada@example.com", true},
		{"452 after DATA", smtptest.Config{Data: smtptest.Reply(452, [3]int{4, 3, 1}, "Disk full")}, "ada@example.com", false},
		{"recipient not an address", smtptest.Config{}, "not an address", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.Start(t, tt.cfg)
			s := newTestSender(t, srv.URL(""))
			err := s.Send(context.Background(), testMessage(tt.to))
			if err == nil {
				t.Fatal("Send succeeded, want an error")
			}
			if got := Permanent(err); got != tt.want {
				t.Errorf("Permanent(%v) = %v, want %v", err, got, tt.want)
			}
		})
	}
}

func TestSMTPSenderUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s := newTestSender(t, "smtp://user:hunter2@"+addr)
	err = s.Send(context.Background(), testMessage("ada@example.com"))
	if err == nil {
		t.Fatal("Send to a closed port succeeded")
	}
	if Permanent(err) {
		t.Errorf("Permanent(%v) = true, want false", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error %q contains the password", err)
	}
}

func TestNewSMTPSenderErrors(t *testing.T) {
	for _, raw := range []string{
		"http://user:hunter2@mail.example.com",
		"smtp://user:hunter2@:25",
		"smtp://user:hunter2@mail.example.com:99999",
		"smtp://user:hunter2@mail.example.com:x",
		"smtp://user:hunt%zzer2@mail.example.com",
		"smtp://user:hunter2 @mail example.com",
		"mail.example.com",
	} {
		_, err := NewSMTPSender(raw, time.Second)
		if err == nil {
			t.Errorf("NewSMTPSender(%q) succeeded, want an error", raw)
			continue
		}
		if strings.Contains(err.Error(), "hunt") {
			t.Errorf("NewSMTPSender(%q) error %q contains the password", raw, err)
		}
	}
}

func TestSMTPSenderDefaultPorts(t *testing.T) {
	for raw, want := range map[string]string{
		"smtp://mail.example.com":        "mail.example.com:587",
		"smtps://mail.example.com":       "mail.example.com:465",
		"smtp://u:p@mail.example.com:25": "mail.example.com:25",
	} {
		s, err := NewSMTPSender(raw, time.Second)
		if err != nil {
			t.Fatalf("NewSMTPSender(%q): %v", raw, err)
		}
		if got := s.client.ServerAddr(); got != want {
			t.Errorf("NewSMTPSender(%q) dials %s, want %s", raw, got, want)
		}
	}
}

// devStore is a DevStore that keeps mail in a slice.
type devStore struct{ mails []account.DevMail }

func (d *devStore) SaveDevMail(_ context.Context, m *account.DevMail) error {
	d.mails = append(d.mails, *m)
	return nil
}

func TestDevSender(t *testing.T) {
	store := &devStore{}
	m := testMessage("ada@example.com")
	if err := NewDevSender(store).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	want := []account.DevMail{{
		MessageID: m.MessageID, To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML, CreatedAt: testDate,
	}}
	if diff := cmp.Diff(want, store.mails); diff != "" {
		t.Errorf("saved mail (-want +got):\n%s", diff)
	}
}
