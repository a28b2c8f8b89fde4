package systemtest

// SIGTERM while email is in hand: the mail being sent is finished and
// recorded, the rest of the claim is handed back (helpers in
// durability_test.go).

import (
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accountd/accountd/internal/smtptest"
)

// TestGracefulShutdownFinishesMail: SIGTERM while an email is in the middle
// of its SMTP transaction. The node finishes it, exits cleanly, and the email
// arrives exactly once; a node started afterwards sends nothing more.
func TestGracefulShutdownFinishesMail(t *testing.T) {
	begin := time.Now()
	const hold = 1500 * time.Millisecond
	var armed atomic.Bool
	inRcpt := make(chan struct{}, 1)
	srv := smtptest.Start(t, smtptest.Config{Rcpt: func(string) error {
		if armed.CompareAndSwap(true, false) {
			inRcpt <- struct{}{}
			time.Sleep(hold) // slow enough that SIGTERM lands mid-transaction
		}
		return nil
	}})
	inbox := duCollect(t, srv)
	db := filepath.Join(t.TempDir(), "accountd.db")
	env := duEnv(db, srv.URL(""))
	n1 := StartNode(t, env)
	const email = "ada@example.com"
	registered := map[string]bool{email: true}
	duRegister(t, n1, email)
	// What registering queued (an activation email) is out of the way first.
	duWaitQueueEmpty(t, db, 30*time.Second)
	before := len(inbox.Messages())

	armed.Store(true)
	if a := duRequestReset(n1, email, "du-graceful"); a.Status != 204 {
		t.Fatalf("reset request = %d %s, want 204", a.Status, a.Raw)
	}
	select {
	case <-inRcpt:
	case <-time.After(30 * time.Second):
		t.Fatalf("the node did not start sending within 30 s; log:\n%s", n1.Log)
	}
	stopping := time.Now()
	n1.Stop()
	stopped := time.Since(stopping)
	if code := duExitCode(n1); code != 0 {
		t.Errorf("accountd exited with %d after SIGTERM, want 0; log:\n%s", code, n1.Log)
	}
	// The server hands a message over before it answers 250, so whatever
	// the node saw accepted before it exited is here now.
	msgs := inbox.Messages()
	resets := duResets(t, msgs[before:], registered)
	if len(msgs)-before != 1 || len(resets) != 1 {
		t.Fatalf("%d messages (%d reset emails) received by the time the node exited, want 1 reset email "+
			"(the one in hand is finished); log:\n%s", len(msgs)-before, len(resets), n1.Log)
	}
	m := resets[0]
	if !slices.Equal(m.Rcpt, []string{email}) {
		t.Errorf("the reset email went to %v, want %s", m.Rcpt, email)
	}
	if q := duMailList(t, db, "queued"); len(q) != 0 {
		t.Errorf("after shutdown the outbox holds queued mail %+v, want it recorded as sent", q)
	}
	rows := duResetRows(duMailList(t, db, ""))
	if len(rows) != 1 || rows[0].Status != "sent" || rows[0].Attempts != 1 {
		t.Errorf("reset emails in the outbox after shutdown = %+v, want one, sent at the first attempt", rows)
	}

	// A new node finds nothing to send: wait past a lease, so that an email
	// wrongly left claimed would have come due.
	n2 := StartNode(t, env)
	wait := duLeaseDuration(t) + time.Second
	time.Sleep(wait)
	if got := len(inbox.Messages()); got != len(msgs) {
		t.Errorf("a node started again sent %d more messages within %v, want none", got-len(msgs), wait)
	}
	duCheckToken(t, n2, email, m.Token)
	n2.Stop()
	if code := duExitCode(n2); code != 0 {
		t.Errorf("the second node exited with %d after SIGTERM, want 0", code)
	}
	duCheckLogs(t, []string{m.Token}, n1, n2)
	t.Logf("SIGTERM mid-send: the node exited %v later (the server held RCPT %v); %v in all",
		stopped.Round(time.Millisecond), hold, time.Since(begin).Round(time.Millisecond))
}

// TestGracefulShutdownHandsBackMail: SIGTERM while the node holds a claimed
// batch of two emails and is sending the first. It finishes the first and
// hands the second back to the queue at once, without counting an attempt
// (not left to wait for its lease); the next node sends it.
func TestGracefulShutdownHandsBackMail(t *testing.T) {
	begin := time.Now()
	var armed atomic.Bool
	inRcpt := make(chan string, 1)
	srv := smtptest.Start(t, smtptest.Config{Rcpt: func(to string) error {
		if armed.CompareAndSwap(true, false) {
			inRcpt <- to
			time.Sleep(time.Second) // SIGTERM lands mid-transaction
		}
		return nil
	}})
	inbox := duCollect(t, srv)
	db := filepath.Join(t.TempDir(), "accountd.db")
	env := duEnv(db, srv.URL(""))
	const first, second = "ada@example.com", "grace@example.com"
	registered := map[string]bool{first: true, second: true}
	n1 := StartNode(t, env)
	duRegister(t, n1, first)
	duRegister(t, n1, second)
	duWaitQueueEmpty(t, db, 30*time.Second) // activation emails, if any
	n1.Stop()
	before := len(inbox.Messages())

	// Both queued while no node runs, so the next one claims them together.
	for _, e := range []string{first, second} {
		duRun(t, db, "reset-link", "-send", e)
	}
	armed.Store(true)
	n2 := StartNode(t, env)
	var to string
	select {
	case to = <-inRcpt:
	case <-time.After(30 * time.Second):
		t.Fatalf("the node did not start sending within 30 s; log:\n%s", n2.Log)
	}
	n2.Stop()
	if code := duExitCode(n2); code != 0 {
		t.Errorf("accountd exited with %d after SIGTERM, want 0; log:\n%s", code, n2.Log)
	}
	if to != first {
		t.Fatalf("the node sent to %s first, want %s (the older email)", to, first)
	}
	if resets := duResets(t, inbox.Messages()[before:], registered); len(resets) != 1 || resets[0].Rcpt[0] != first {
		t.Fatalf("%d reset emails by the time the node exited, want 1, to %s", len(resets), first)
	}
	queued := duResetRows(duMailList(t, db, "queued"))
	if len(queued) != 1 || queued[0].To != second || queued[0].Attempts != 0 {
		t.Errorf("queued after shutdown = %+v, want the email to %s handed back with 0 attempts", queued, second)
	}

	n3 := StartNode(t, env)
	handedBack := time.Now()
	Eventually(t, 30*time.Second, "the handed-back email was not sent by the next node", func() bool {
		return len(duResets(t, inbox.Messages()[before:], registered)) == 2
	})
	took := time.Since(handedBack)
	duWaitQueueEmpty(t, db, 10*time.Second)
	resets := duResets(t, inbox.Messages()[before:], registered)
	var tokens []string
	for _, m := range resets {
		tokens = append(tokens, m.Token)
	}
	if len(resets) != 2 || resets[1].Rcpt[0] != second {
		t.Errorf("reset emails = %d, the second to %v, want 2, the second to %s", len(resets), resets[len(resets)-1].Rcpt, second)
	}
	duCheckLogs(t, tokens, n1, n2, n3)
	t.Logf("the handed-back email went out %v after the next node started (lease %v); %v in all",
		took.Round(time.Millisecond), duLeaseDuration(t), time.Since(begin).Round(time.Millisecond))
}
