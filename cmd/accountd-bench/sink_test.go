package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/accountd/accountd/internal/mail"
)

const testToken = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// resetEmail builds a message shaped like accountd's (go-mail, text and
// HTML alternatives), with a link and a User-Agent long enough to be wrapped
// by quoted-printable, for the parser alone; TestSink sends accountd's real
// email through its real sender.
func resetEmail(t *testing.T, to, agent string) []byte {
	t.Helper()
	m := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := m.From("noreply@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := m.To(to); err != nil {
		t.Fatal(err)
	}
	m.Subject("Reset your password")
	link := "http://127.0.0.1:8080/resetpassword/" + testToken + "/confirm/"
	m.SetBodyString(gomail.TypeTextPlain, "Hello,\n\nOpen this link:\n\n"+link+
		"\n\nBrowser:    "+agent+"\nIP address: 127.0.0.1\n")
	m.AddAlternativeString(gomail.TypeTextHTML, `<p><a href="`+link+`">Choose</a></p><p>`+agent+`</p>`)
	var b bytes.Buffer
	if _, err := m.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestScanMessage(t *testing.T) {
	agent := strings.Repeat("Mozilla/5.0 (X11; Linux x86_64) ", 3) + markAgent("a1b2c37-1234")
	data := resetEmail(t, "bench-00001@bench.example.org", agent)
	if bytes.Contains(data, []byte(testToken)) {
		t.Fatalf("quoted-printable did not wrap the link, so the test would not check the decoding:\n%s", data)
	}
	token, mark := scanMessage(data)
	if token != testToken || mark != "a1b2c37-1234" {
		t.Errorf("scanMessage() = %q, %q, want %q, %q\n%s", token, mark, testToken, "a1b2c37-1234", data)
	}
	token, mark = scanMessage([]byte("Subject: hi\r\n\r\nnothing here\r\n"))
	if token != "" || mark != "" {
		t.Errorf("scanMessage(plain message) = %q, %q, want empty", token, mark)
	}
}

func TestSink(t *testing.T) {
	s, err := startSink("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cur, _ := s.cursor(t.Context())
	s.trackMarks("run1-")
	to := "bench-00007@bench.example.org"
	// accountd's own reset email, rendered and sent the way its worker does,
	// so a change to the email that the sink can no longer read fails here.
	templates, err := mail.LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	sender, err := mail.NewSMTPSender("smtp://"+s.Addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer sender.Close()
	send := func(agent string) {
		t.Helper()
		link := "http://127.0.0.1:8080/resetpassword/" + testToken + "/confirm/"
		r, err := templates.Render("reset_link", "", map[string]string{"email": to, "token": testToken,
			"link": link, "cancel_link": link, "expires_at": "27 November 2026, 14:58 UTC",
			"requested_at": "27 November 2026, 13:58 UTC", "ip": "127.0.0.1", "user_agent": agent})
		if err != nil {
			t.Fatal(err)
		}
		if err := sender.Send(t.Context(), mail.Message{MessageID: fmt.Sprintf("<%d@example.com>", time.Now().UnixNano()),
			From: "noreply@example.com", To: to, Subject: r.Subject, Text: r.Text, HTML: r.HTML,
			Date: time.Now()}); err != nil {
			t.Fatalf("send to the sink: %v", err)
		}
	}
	send(markAgent("run1-0"))
	send(markAgent("other-0")) // another run's marker: not tracked
	got := s.waitTokens(t.Context(), cur, []string{to, "bench-00008@bench.example.org"}, 200*time.Millisecond)
	if len(got) != 1 || got[to] != testToken {
		t.Errorf("waitTokens() = %v, want only %s's token", got, to)
	}
	marks := s.waitMarks(t.Context(), 1, time.Second, time.Second)
	if _, ok := marks["run1-0"]; !ok || len(marks) != 1 {
		t.Errorf("waitMarks() = %v, want run1-0 only", marks)
	}
	if n, _ := s.Count(); n != 2 {
		t.Errorf("Count() = %d, want 2", n)
	}
	if cur2, _ := s.cursor(t.Context()); len(s.waitTokens(t.Context(), cur2, []string{to}, 0)) != 0 {
		t.Error("waitTokens() after a later cursor returned an older token")
	}
}
