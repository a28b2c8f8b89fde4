package main

import (
	"net"
	"strings"
	"testing"
)

// TestSMTPTLSNoneIsWarned: an explicit ?tls=none (mail in clear text) is
// logged as a warning at start-up (README.md#configuration), without the password.
func TestSMTPTLSNoneIsWarned(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens: the worker only retries
	app := startServe(t, map[string]string{"ACCOUNTD_SMTP_URL": "smtp://u:hunter2@" + addr + "?tls=none"})
	log := app.log.String()
	if !strings.Contains(log, "level=WARN") || !strings.Contains(log, "tls=none") {
		t.Errorf("serve with tls=none logged no warning:\n%s", log)
	}
	if strings.Contains(log, "hunter2") {
		t.Errorf("the log holds the SMTP password:\n%s", log)
	}
}
