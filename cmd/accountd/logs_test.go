package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/accountd/accountd/internal/smtptest"
)

// TestJSONLogsAreOnlyJSON: with JSON logs every line serve writes is JSON,
// the listening line included (it names the URL), and nothing else goes to
// stdout, so journald and log shippers parse every line (issue 20).
func TestJSONLogsAreOnlyJSON(t *testing.T) {
	vars := map[string]string{
		"ACCOUNTD_ADDR": "127.0.0.1:0", "ACCOUNTD_ADMIN_ADDR": "127.0.0.1:0",
		"ACCOUNTD_DATABASE_URL": testDatabaseURL(t), "ACCOUNTD_SECRET_KEY": testSecretKey,
		"ACCOUNTD_LOG_FORMAT": "json",
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var stdout lockedBuffer
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"serve", "-dev"}, env(vars), &stdout, pw)
		pw.Close()
		done <- err
	}()
	sc := bufio.NewScanner(pr)
	listening := false
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Errorf("a log line is not JSON: %q", sc.Text())
			continue
		}
		if line["msg"] == "listening" && !listening {
			listening = true
			if u, _ := line["url"].(string); !strings.HasPrefix(u, "http://127.0.0.1:") {
				t.Errorf("the listening line's url = %q, want http://127.0.0.1:port", u)
			}
			cancel() // seen what it says at start; now the shutdown's lines
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if !listening {
		t.Error("no JSON line says where serve listens")
	}
	if stdout.String() != "" {
		t.Errorf("serve with JSON logs printed to stdout: %q", stdout.String())
	}
}

// TestTextLogsPrintWhereToGo: with text logs (a person at a terminal, -dev)
// serve also prints one plain line with the address to open.
func TestTextLogsPrintWhereToGo(t *testing.T) {
	app := startServe(t, nil) // fails unless stdout's first line is the listening line
	if !strings.Contains(app.log.String(), "msg=listening url=http://127.0.0.1:") {
		t.Errorf("the text log has no listening line with the URL:\n%s", app.log)
	}
}

// TestCleanShutdownWithSMTPWarnsNothing: a SIGTERM with a healthy SMTP
// server after mail went out logs no warning (it used to log "closing an
// SMTP connection … i/o timeout" per worker; the cause is tested in
// internal/mail).
func TestCleanShutdownWithSMTPWarnsNothing(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Config{})
	app := startServe(t, map[string]string{"ACCOUNTD_SMTP_URL": srv.URL(""), "ACCOUNTD_MAIL_WORKERS": "2"})
	app.register("ada@example.com", "Correct-Horse-7391")
	srv.Wait() // the activation email: a worker holds an open connection
	if err := app.shutdown(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	for _, line := range strings.Split(app.log.String(), "\n") {
		if strings.Contains(line, "level=WARN") && !strings.Contains(line, "captcha provider is none") &&
			!strings.Contains(line, "ACCOUNTD_SECRET_KEY") {
			t.Errorf("a clean shutdown logged a warning: %s", line)
		}
	}
	if bytes.Contains([]byte(app.log.String()), []byte("closing an SMTP connection")) {
		t.Errorf("the log mentions closing an SMTP connection:\n%s", app.log)
	}
}
