package mail

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/accountd/accountd/internal/smtptest"
)

// TestSMTPSenderClosesAnIdleConnectionCleanly: a connection left idle for
// longer than the sender's timeout (a quiet queue, then SIGTERM) closes with
// a QUIT and no error when the server is fine. go-mail sets an absolute
// deadline on the connection when it dials and before each message, so the
// QUIT of an idle connection used to fail with "i/o timeout", which serve
// logged as a warning once per worker.
func TestSMTPSenderClosesAnIdleConnectionCleanly(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Config{})
	s := newTestSender(t, srv.URL(""))
	if err := s.Send(context.Background(), testMessage("ada@example.com")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	srv.Wait()
	// What an idle period longer than the timeout leaves: a deadline past.
	if err := s.conn.UpdateDeadline(-time.Second); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close of an idle connection to a healthy server = %v, want nil", err)
	}
}

// TestSMTPSenderCloseAfterServerHungUp: a server that already closed the
// connection (its own idle timeout, a restart) is no failure to report.
func TestSMTPSenderCloseAfterServerHungUp(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Config{})
	s := newTestSender(t, srv.URL(""))
	if err := s.Send(context.Background(), testMessage("ada@example.com")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	srv.Wait()
	srv.Stop()
	if err := s.Close(); err != nil {
		t.Errorf("Close after the server hung up = %v, want nil", err)
	}
}

// TestSMTPSenderCloseReportsASilentServer: a server that does not answer
// QUIT is a real failure: Close says so, within the sender's timeout.
func TestSMTPSenderCloseReportsASilentServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		c.Write([]byte("220 mute.test ESMTP\r\n"))
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if strings.HasPrefix(strings.ToUpper(line), "EHLO") {
				c.Write([]byte("250 mute.test\r\n"))
			} // QUIT and anything else: no answer
		}
	}()
	s, err := NewSMTPSender("smtp://"+l.Addr().String(), 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := s.client.DialToSMTPClientWithContext(context.Background())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	s.conn = conn
	if err := s.Close(); err == nil {
		t.Error("Close with a server that never answers QUIT = nil, want an error")
	}
}
