package systemtest

// An SMTP server that is down, then refuses some addresses: the queued
// reset emails all go out once it is back, and a refused one goes dead
// without holding up the others (helpers in durability_test.go).

import (
	"cmp"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/accountd/accountd/internal/smtptest"
)

// TestMailSurvivesSMTPOutage: reset emails queued while the SMTP server is
// down are retried with backoff and all delivered once it is back. An address
// the server rejects permanently (550) goes dead at its first answer and
// holds up nobody.
func TestMailSurvivesSMTPOutage(t *testing.T) {
	begin := time.Now()
	const bounce, early = "bounce@example.com", "early@example.com"
	var bounceRcpts atomic.Int32
	srv := smtptest.Start(t, smtptest.Config{Rcpt: func(to string) error {
		if strings.EqualFold(to, bounce) {
			bounceRcpts.Add(1)
			return smtptest.Reply(550, gosmtp.EnhancedCode{5, 1, 1}, "no such mailbox")
		}
		return nil
	}})
	inbox := duCollect(t, srv)
	db := filepath.Join(t.TempDir(), "accountd.db")
	n := StartNode(t, duEnv(db, srv.URL("")))

	const users = 10
	var emails []string
	for i := range users {
		emails = append(emails, fmt.Sprintf("user%02d@example.com", i))
	}
	registered := map[string]bool{}
	for _, e := range append([]string{bounce, early}, emails...) {
		duRegister(t, n, e)
		registered[e] = true
	}
	// What registering queued (activation emails) is out of the way first.
	duWaitQueueEmpty(t, db, 60*time.Second)
	bounceRcpts.Store(0)

	// While the server is up: the rejected address dies at once, the other
	// email arrives.
	for _, e := range []string{bounce, early} {
		if a := duRequestReset(n, e, "du-outage"); a.Status != 204 {
			t.Fatalf("reset request for %s = %d %s, want 204", e, a.Status, a.Raw)
		}
	}
	var dead []duRow
	Eventually(t, 30*time.Second, "the reset email to the rejected address is not dead, or the other one not delivered", func() bool {
		dead = duResetRows(duMailList(t, db, "dead"))
		return len(dead) == 1 && len(duResets(t, inbox.Messages(), registered)) == 1
	})
	if d := dead[0]; d.To != bounce || d.Attempts != 1 || !strings.Contains(d.LastError, "550") {
		t.Errorf("dead reset email = %+v, want the one to %s, after 1 attempt, with the 550 as its error", d, bounce)
	}

	// The outage.
	srv.Stop()
	down := time.Now()
	for _, e := range append([]string{bounce}, emails...) {
		if a := duRequestReset(n, e, "du-outage"); a.Status != 204 {
			t.Fatalf("reset request for %s while SMTP is down = %d %s, want 204", e, a.Status, a.Raw)
		}
	}
	// Down until every email has failed 4 times (with the default 5 s base
	// that would take 5+10+20 s and more; with duRetryBase, a few seconds).
	const failures = 4
	var queued []duRow
	Eventually(t, 3*time.Minute, fmt.Sprintf("the queued reset emails did not fail %d times each", failures), func() bool {
		queued = duMailList(t, db, "queued")
		done := len(queued) == users+1
		for _, r := range queued {
			done = done && r.Attempts >= failures
		}
		if !done {
			time.Sleep(100 * time.Millisecond) // each look runs a process
		}
		return done
	})
	for _, r := range queued {
		if r.Kind != "reset_link" || r.LastError == "" {
			t.Errorf("queued email %+v: want a resolved reset email (reset_link) with its last error", r)
		}
	}
	if got := bounceRcpts.Load(); got != 1 {
		t.Errorf("RCPT for %s seen %d times before the outage ended, want 1 (a dead email is not retried)", bounce, got)
	}
	srv.Restart()
	outage := time.Since(down)
	up := time.Now()

	Eventually(t, 90*time.Second, "not every reset email arrived after the SMTP server came back", func() bool {
		return len(duResets(t, inbox.Messages(), registered)) >= users+1
	})
	delivered := time.Since(up)
	duWaitQueueEmpty(t, db, 30*time.Second)

	mails := duResets(t, inbox.Messages(), registered)
	var tokens []string
	got := map[string][]duMail{}
	for _, m := range mails {
		tokens = append(tokens, m.Token)
		if len(m.Rcpt) != 1 {
			t.Errorf("a reset email went to %v, want one recipient", m.Rcpt)
			continue
		}
		got[m.Rcpt[0]] = append(got[m.Rcpt[0]], m)
	}
	for _, e := range append([]string{early}, emails...) {
		if len(got[e]) != 1 {
			t.Errorf("%s received %d reset emails, want 1", e, len(got[e]))
			continue
		}
		m := got[e][0]
		if m.MessageID == "" {
			t.Errorf("the reset email to %s has no Message-ID", e)
		}
		duCheckToken(t, n, e, m.Token)
	}
	if len(got[bounce]) != 0 {
		t.Errorf("%s received %d reset emails, want none: the server rejects it", bounce, len(got[bounce]))
	}
	dead = duResetRows(duMailList(t, db, "dead"))
	if len(dead) != 2 {
		t.Errorf("%d dead reset emails, want 2 (both to %s): %+v", len(dead), bounce, dead)
	}
	for _, d := range dead {
		if d.To != bounce || !strings.Contains(d.LastError, "550") {
			t.Errorf("dead reset email = %+v, want one to %s with the 550 as its error", d, bounce)
		}
	}
	if got := bounceRcpts.Load(); got != 2 {
		t.Errorf("RCPT for %s seen %d times, want 2: one per reset email, no retry after a 550", bounce, got)
	}
	if m := n.Metrics(); !strings.Contains(m, `accountd_mail_failed_total{dead="true",kind="reset_link"} 2`) {
		t.Errorf("metrics do not count 2 dead reset emails:\n%s", duGrep(m, "accountd_mail_failed_total"))
	}
	duCheckLogs(t, tokens, n)
	t.Logf("outage %v (every email failed %d times); all delivered %v after the server came back (retry base %s); %v in all",
		outage.Round(time.Millisecond), failures, delivered.Round(time.Millisecond), cmp.Or(duRetryBase, "5s by default"), time.Since(begin).Round(time.Millisecond))
}
