package mail

import (
	"context"
	"errors"
	"fmt"
	"github.com/accountd/accountd/internal/smtptest"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accountd/accountd/internal/account"
)

// harness is a worker wired to an in-memory queue, a real SMTP server and a
// fake clock.
type harness struct {
	q        *memQueue
	resolver *testResolver
	clock    *fakeClock
	srv      *smtptest.Server
	smtp     *SMTPSender
	logs     *syncBuffer
	w        *Worker

	mu     sync.Mutex
	sent   []string // kinds, from OnSent
	failed []string // "kind dead=…", from OnFailed
}

// newHarness builds the harness; wrap, if not nil, wraps the SMTP sender.
func newHarness(t *testing.T, srvCfg smtptest.Config, wrap func(Sender) Sender) *harness {
	t.Helper()
	q := newMemQueue()
	h := &harness{
		q:        q,
		resolver: &testResolver{q: q, unknown: map[string]bool{"nobody@example.com": true}},
		clock:    &fakeClock{t: time.Date(2026, 11, 27, 13, 58, 10, 0, time.UTC)},
		srv:      smtptest.Start(t, srvCfg),
		logs:     &syncBuffer{},
	}
	h.smtp = newTestSender(t, h.srv.URL(""))
	var s Sender = h.smtp
	if wrap != nil {
		s = wrap(s)
	}
	h.w = NewWorker(q, h.resolver, loadTemplates(t, ""), s, WorkerConfig{
		From:   "accountd <noreply@accountd.test>",
		Now:    h.clock.Now,
		Rand:   func() float64 { return 0.5 }, // jitter factor 1
		Logger: slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		OnSent: func(kind string, latency time.Duration) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.sent = append(h.sent, fmt.Sprintf("%s after %s", kind, latency))
		},
		OnFailed: func(kind string, dead bool) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.failed = append(h.failed, fmt.Sprintf("%s dead=%v", kind, dead))
		},
	})
	t.Cleanup(func() {
		// The token is in every link: if it is not in the log, no link is.
		if logs := h.logs.String(); strings.Contains(logs, testToken) {
			t.Errorf("the log holds a reset token:\n%s", logs)
		}
	})
	return h
}

// resetLink queues a concrete reset email to to, queued a second ago.
func (h *harness) resetLink(to string) account.Mail {
	data := sampleData(account.MailResetLink)
	data["email"] = to
	now := h.clock.Now()
	return h.q.add(account.Mail{
		Kind: account.MailResetLink, To: to, Locale: "en", Data: data,
		CreatedAt: now.Add(-time.Second), NextAt: now,
	})
}

func (h *harness) runOnce(t *testing.T, want int) {
	t.Helper()
	n, err := h.w.RunOnce(context.Background())
	if err != nil || n != want {
		t.Fatalf("RunOnce() = %d, %v; want %d, nil", n, err, want)
	}
}

func (h *harness) metrics() (sent, failed []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.sent), slices.Clone(h.failed)
}

// blanked is data with the secrets emptied.
func blanked(data map[string]string) map[string]string {
	out := maps.Clone(data)
	out["token"], out["link"], out["cancel_link"] = "", "", ""
	return out
}

func TestWorkerDelivers(t *testing.T) {
	h := newHarness(t, smtptest.Config{}, nil)
	m := h.resetLink("ada@example.com")
	now := h.clock.Now()
	h.runOnce(t, 1)

	p := smtptest.Parse(t, h.srv.Wait().Data)
	if got := p.Header.Get("Message-ID"); got != m.MessageID {
		t.Errorf("Message-ID = %q, want %q", got, m.MessageID)
	}
	if date, _ := p.Header.Date(); !date.Equal(now) {
		t.Errorf("Date = %v, want %v", date, now)
	}
	if !strings.Contains(p.Parts["text/plain"], testLink) || !strings.Contains(p.Parts["text/html"], testLink) {
		t.Errorf("the message lacks the link: %v", p.Parts)
	}

	want := m
	want.Status, want.SentAt, want.Attempts = account.MailSent, now, 1
	want.NextAt = now.Add(time.Minute) // the lease ClaimMail set
	want.Data = blanked(m.Data)
	if diff := cmp.Diff(want, h.q.get(t, m.ID)); diff != "" {
		t.Errorf("stored mail (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]delivery{{m.ID, account.MailSent, false, false}}, h.resolver.got()); diff != "" {
		t.Errorf("recorded deliveries (-want +got):\n%s", diff)
	}
	if sent, failed := h.metrics(); !cmp.Equal(sent, []string{"reset_link after 1s"}) || failed != nil {
		t.Errorf("metrics: sent %q, failed %q", sent, failed)
	}
	h.runOnce(t, 0) // nothing left
}

func TestWorkerResolvesResetRequests(t *testing.T) {
	h := newHarness(t, smtptest.Config{}, nil)
	known := h.q.add(account.Mail{Kind: account.MailResetRequest, To: "ada@example.com",
		Data: map[string]string{"ip": "203.0.113.7"}, NextAt: h.clock.Now()})
	unknown := h.q.add(account.Mail{Kind: account.MailResetRequest, To: "nobody@example.com",
		Data: map[string]string{"ip": "203.0.113.7"}, NextAt: h.clock.Now()})
	h.runOnce(t, 2)

	if r := h.srv.Wait(); !cmp.Equal(r.To, []string{"ada@example.com"}) {
		t.Errorf("mail went to %v", r.To)
	}
	h.srv.NoMore()
	if got := h.q.get(t, known.ID); got.Status != account.MailSent || got.Kind != account.MailResetLink {
		t.Errorf("known address: kind %q status %q, want reset_link sent", got.Kind, got.Status)
	}
	if got := h.q.get(t, unknown.ID); got.Status != account.MailSuppressed {
		t.Errorf("unknown address: status %q, want suppressed", got.Status)
	}
	if diff := cmp.Diff([]delivery{{known.ID, account.MailSent, false, false}}, h.resolver.got()); diff != "" {
		t.Errorf("recorded deliveries (-want +got):\n%s", diff)
	}
	if got := h.resolver.batchSizes(); !cmp.Equal(got, []int{2}) {
		t.Errorf("ResolveMails batch sizes = %v, want the claimed batch at once: [2]", got)
	}
}

// A reset request resolved with its batch but not yet sent when the worker
// stops goes back to the queue resolved, so the token made for it is the
// one sent later, not a second one.
func TestWorkerReleasesResolvedRequests(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := newHarness(t, smtptest.Config{}, func(s Sender) Sender {
		return senderFunc(func(c context.Context, m Message) error {
			cancel()
			return s.Send(c, m)
		})
	})
	h.resetLink("ada@example.com")
	req := h.q.add(account.Mail{Kind: account.MailResetRequest, To: "bob@example.com",
		Data: map[string]string{"ip": "203.0.113.7"}, NextAt: h.clock.Now()})
	if n, err := h.w.RunOnce(ctx); n != 1 || err != nil {
		t.Fatalf("RunOnce() = %d, %v; want 1, nil", n, err)
	}
	h.srv.Wait()
	got := h.q.get(t, req.ID)
	if got.Kind != account.MailResetLink || got.Status != account.MailQueued || got.Attempts != 0 ||
		!got.NextAt.Equal(h.clock.Now()) {
		t.Errorf("released request: kind %q status %q attempts %d next %v; want reset_link queued 0 now",
			got.Kind, got.Status, got.Attempts, got.NextAt)
	}
}

func TestWorkerRetriesUntilServerIsBack(t *testing.T) {
	h := newHarness(t, smtptest.Config{}, nil)
	h.srv.Stop()
	m := h.resetLink("ada@example.com")
	start := h.clock.Now()
	h.runOnce(t, 1)

	got := h.q.get(t, m.ID)
	if got.Status != account.MailQueued || got.LastError == "" || got.Attempts != 1 {
		t.Errorf("after a failure: status %q, attempts %d, last error %q; want queued, 1, an error",
			got.Status, got.Attempts, got.LastError)
	}
	if want := start.Add(5 * time.Second); !got.NextAt.Equal(want) {
		t.Errorf("NextAt = %v, want %v (BaseBackoff, jitter factor 1)", got.NextAt, want)
	}
	if got.Data["link"] != testLink {
		t.Error("the link was dropped from a mail that will be retried")
	}
	if logs := h.logs.String(); !strings.Contains(logs, "delivery failed") ||
		!strings.Contains(logs, fmt.Sprintf("mail_id=%d", m.ID)) {
		t.Errorf("the failure is not logged with the mail id:\n%s", logs)
	}

	h.runOnce(t, 0) // not due yet
	h.clock.Advance(4 * time.Second)
	h.runOnce(t, 0)
	h.srv.Restart()
	h.clock.Advance(time.Second)
	h.runOnce(t, 1)
	h.srv.Wait()

	got = h.q.get(t, m.ID)
	if got.Status != account.MailSent || got.Attempts != 2 || got.LastError != "" || got.Data["link"] != "" {
		t.Errorf("after the retry: status %q, attempts %d, last error %q, link %q; want sent, 2, none, blank",
			got.Status, got.Attempts, got.LastError, got.Data["link"])
	}
	want := []delivery{{m.ID, account.MailQueued, true, false}, {m.ID, account.MailSent, false, false}}
	if diff := cmp.Diff(want, h.resolver.got()); diff != "" {
		t.Errorf("recorded deliveries (-want +got):\n%s", diff)
	}
	if _, failed := h.metrics(); !cmp.Equal(failed, []string{"reset_link dead=false"}) {
		t.Errorf("OnFailed calls = %q", failed)
	}
}

func TestWorkerPermanentFailureDoesNotBlockBatch(t *testing.T) {
	h := newHarness(t, smtptest.Config{Rcpt: func(to string) error {
		if to == "gone@example.com" {
			return smtptest.Reply(550, [3]int{5, 1, 1}, "No such user")
		}
		return nil
	}}, nil)
	gone := h.resetLink("gone@example.com")
	ada := h.resetLink("ada@example.com")
	h.runOnce(t, 2)
	h.srv.Wait()

	got := h.q.get(t, gone.ID)
	if got.Status != account.MailDead || !strings.Contains(got.LastError, "550") || got.Attempts != 1 {
		t.Errorf("550 mail: status %q, attempts %d, last error %q; want dead at once with the 550",
			got.Status, got.Attempts, got.LastError)
	}
	if diff := cmp.Diff(blanked(gone.Data), got.Data); diff != "" {
		t.Errorf("dead mail data (-want +got):\n%s", diff)
	}
	if got := h.q.get(t, ada.ID); got.Status != account.MailSent {
		t.Errorf("the other mail: status %q, want sent", got.Status)
	}
	want := []delivery{{gone.ID, account.MailDead, true, true}, {ada.ID, account.MailSent, false, false}}
	if diff := cmp.Diff(want, h.resolver.got()); diff != "" {
		t.Errorf("recorded deliveries (-want +got):\n%s", diff)
	}
}

func TestWorkerMaxAttempts(t *testing.T) {
	h := newHarness(t, smtptest.Config{}, nil)
	h.srv.Stop()
	m := h.resetLink("ada@example.com")
	h.q.mu.Lock()
	m.Attempts = 9 // the claim makes it the tenth
	h.q.mails[m.ID] = clone(m)
	h.q.mu.Unlock()
	h.runOnce(t, 1)

	got := h.q.get(t, m.ID)
	if got.Status != account.MailDead || got.Attempts != 10 || got.LastError == "" {
		t.Errorf("status %q, attempts %d, last error %q; want dead, 10, an error", got.Status, got.Attempts, got.LastError)
	}
	if diff := cmp.Diff(blanked(m.Data), got.Data); diff != "" {
		t.Errorf("dead mail data (-want +got):\n%s", diff)
	}
	if _, failed := h.metrics(); !cmp.Equal(failed, []string{"reset_link dead=true"}) {
		t.Errorf("OnFailed calls = %q", failed)
	}
}

func TestWorkerRenderErrorIsDead(t *testing.T) {
	h := newHarness(t, smtptest.Config{}, nil)
	m := h.q.add(account.Mail{Kind: "mystery", To: "ada@example.com", NextAt: h.clock.Now()})
	h.runOnce(t, 1)
	h.srv.NoMore()
	// A kind account.MailKinds does not declare is never rendered: its
	// secrets, if it has any, were never marked as such.
	if got := h.q.get(t, m.ID); got.Status != account.MailDead || !strings.Contains(got.LastError, "not declared") {
		t.Errorf("status %q, last error %q; want dead, not declared", got.Status, got.LastError)
	}
}

// A mail whose secrets cannot be opened (sealed under another
// ACCOUNTD_SECRET_KEY) is dead at once, with an error that says why and
// holds no secret, and nothing is sent: a broken link must not go out.
func TestWorkerUnopenableMailIsDead(t *testing.T) {
	h := newHarness(t, smtptest.Config{}, nil)
	h.resolver.openErr = fmt.Errorf("%w (key %q)", account.ErrMailUnopenable, "link")
	m := h.resetLink("ada@example.com")
	h.runOnce(t, 1)
	h.srv.NoMore()

	got := h.q.get(t, m.ID)
	if got.Status != account.MailDead || got.Attempts != 1 || !strings.Contains(got.LastError, "ACCOUNTD_SECRET_KEY") {
		t.Errorf("status %q, attempts %d, last error %q; want dead at once, naming ACCOUNTD_SECRET_KEY",
			got.Status, got.Attempts, got.LastError)
	}
	if strings.Contains(got.LastError, testToken) {
		t.Errorf("last error %q holds the token", got.LastError)
	}
	if diff := cmp.Diff(blanked(m.Data), got.Data); diff != "" {
		t.Errorf("dead mail data (-want +got):\n%s", diff)
	}
	if sent, failed := h.metrics(); len(sent) != 0 || !cmp.Equal(failed, []string{"reset_link dead=true"}) {
		t.Errorf("OnSent calls %q, OnFailed calls %q; want none and one dead", sent, failed)
	}
}

func TestWorkerResolveErrorRetries(t *testing.T) {
	h := newHarness(t, smtptest.Config{}, nil)
	h.resolver.err = errors.New("database is locked")
	m := h.q.add(account.Mail{Kind: account.MailResetRequest, To: "ada@example.com", NextAt: h.clock.Now()})
	h.runOnce(t, 1)
	got := h.q.get(t, m.ID)
	if got.Status != account.MailQueued || !strings.Contains(got.LastError, "database is locked") {
		t.Errorf("status %q, last error %q; want queued with the cause", got.Status, got.LastError)
	}
	if diff := cmp.Diff([]delivery{{m.ID, account.MailQueued, true, false}}, h.resolver.got()); diff != "" {
		t.Errorf("recorded deliveries (-want +got):\n%s", diff)
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		attempts int
		rand     float64
		want     time.Duration
	}{
		{0, 0.5, 5 * time.Second},
		{1, 0.5, 5 * time.Second},
		{2, 0.5, 10 * time.Second},
		{3, 0.5, 20 * time.Second},
		{1, 0, 2500 * time.Millisecond},
		{1, 0.9, 7 * time.Second},
		{10, 0.5, 2560 * time.Second},
		{11, 0.5, time.Hour},
		{11, 0, 30 * time.Minute},
		{11, 0.9, 84 * time.Minute},
		{1000, 0.5, time.Hour},
	}
	for _, tt := range tests {
		w := NewWorker(nil, nil, nil, nil, WorkerConfig{Rand: func() float64 { return tt.rand }})
		if got := w.backoff(tt.attempts); got != tt.want {
			t.Errorf("backoff(%d) with rand %v = %v, want %v", tt.attempts, tt.rand, got, tt.want)
		}
	}
}

// On cancellation the mail in hand is finished and the rest of the batch is
// handed back untouched.
func TestWorkerGracefulShutdown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := newHarness(t, smtptest.Config{}, func(s Sender) Sender {
		return senderFunc(func(c context.Context, m Message) error {
			cancel() // SIGTERM arrives while the first mail is in hand
			return s.Send(c, m)
		})
	})
	first := h.resetLink("ada@example.com")
	second := h.resetLink("bob@example.com")
	n, err := h.w.RunOnce(ctx)
	if n != 1 || err != nil {
		t.Fatalf("RunOnce() = %d, %v; want 1, nil", n, err)
	}
	h.srv.Wait()
	if got := h.q.get(t, first.ID); got.Status != account.MailSent {
		t.Errorf("mail in hand: status %q, want sent", got.Status)
	}
	if diff := cmp.Diff(second, h.q.get(t, second.ID)); diff != "" {
		t.Errorf("the rest of the batch was not handed back as it was (-want +got):\n%s", diff)
	}
}

func TestWorkerStopsWhenLeaseRunsOut(t *testing.T) {
	tests := []struct {
		name     string
		sendTime time.Duration
		released bool
	}{
		{"lease nearly over: released", 50 * time.Second, true},
		{"lease over: left alone", 61 * time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h *harness
			h = newHarness(t, smtptest.Config{}, func(s Sender) Sender {
				return senderFunc(func(c context.Context, m Message) error {
					h.clock.Advance(tt.sendTime) // a slow send
					return s.Send(c, m)
				})
			})
			start := h.clock.Now()
			h.resetLink("ada@example.com")
			second := h.resetLink("bob@example.com")
			h.runOnce(t, 1)
			h.srv.Wait()
			want := second
			if tt.released {
				want.NextAt = start.Add(tt.sendTime)
			} else {
				want.Attempts, want.NextAt = 1, start.Add(time.Minute)
			}
			if diff := cmp.Diff(want, h.q.get(t, second.ID)); diff != "" {
				t.Errorf("second mail (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWorkerRunWakeAndShutdown(t *testing.T) {
	h := newHarness(t, smtptest.Config{}, nil)
	h.w.cfg.PollInterval = time.Hour // only Wake can start a round
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.w.Run(ctx) }()

	m := h.resetLink("ada@example.com")
	h.w.Wake()
	h.w.Wake() // never blocks
	h.srv.Wait()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run() = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if got := h.q.get(t, m.ID); got.Status != account.MailSent {
		t.Errorf("status %q, want sent", got.Status)
	}
}

func TestWorkerClaimError(t *testing.T) {
	h := newHarness(t, smtptest.Config{}, nil)
	h.q.claimErr = errors.New("database is down")
	if n, err := h.w.RunOnce(context.Background()); n != 0 || err == nil {
		t.Errorf("RunOnce() = %d, %v; want 0 and an error", n, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if n, err := h.w.RunOnce(ctx); n != 0 || !errors.Is(err, context.Canceled) {
		t.Errorf("RunOnce(cancelled) = %d, %v; want 0, context.Canceled", n, err)
	}
	if err := h.w.Run(ctx); err != nil {
		t.Errorf("Run(cancelled) = %v, want nil", err)
	}
}

// The account package implements the interfaces this package asks for.
var (
	_ Resolver = (*account.Service)(nil)
	_ Queue    = account.Store(nil)
	_ DevStore = account.Store(nil)
)

// Workers sharing a Recorder record every delivery, each exactly once.
func TestWorkersShareRecorder(t *testing.T) {
	h := newHarness(t, smtptest.Config{}, nil)
	rec := NewRecorder(h.resolver)
	defer rec.Close()
	var ids []int64
	for i := range 12 { // within what the test server buffers
		ids = append(ids, h.resetLink(fmt.Sprintf("user%d@example.com", i)).ID)
	}
	var workers []*Worker
	for range 4 {
		workers = append(workers, NewWorker(h.q, h.resolver, loadTemplates(t, ""), newTestSender(t, h.srv.URL("")),
			WorkerConfig{From: "accountd <noreply@accountd.test>", Now: h.clock.Now, Batch: 3, Recorder: rec}))
	}
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(func() {
			if _, err := w.RunOnce(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	recorded := map[int64]int{}
	for _, d := range h.resolver.got() {
		recorded[d.ID]++
		if d.Status != account.MailSent || d.Failed {
			t.Errorf("mail %d recorded as %q failed=%v, want sent", d.ID, d.Status, d.Failed)
		}
	}
	for _, id := range ids {
		if recorded[id] != 1 {
			t.Errorf("mail %d recorded %d times, want once", id, recorded[id])
		}
		if got := h.q.get(t, id); got.Status != account.MailSent {
			t.Errorf("mail %d stored as %q, want sent", id, got.Status)
		}
	}
}

// A worker whose claim ran out during a slow send does not overwrite the
// mail another worker has claimed since: the other claim stands.
func TestWorkerLateRecordLeavesTheNewClaim(t *testing.T) {
	var h *harness
	var second []account.Mail
	h = newHarness(t, smtptest.Config{}, func(s Sender) Sender {
		return senderFunc(func(c context.Context, m Message) error {
			h.clock.Advance(2 * time.Minute) // the lease (1 min) runs out mid-send
			var err error
			second, err = h.q.ClaimMail(c, h.clock.Now(), h.clock.Now().Add(time.Minute), 10)
			if err != nil || len(second) != 1 {
				t.Fatalf("the second claim = %v, %v; want the mail", second, err)
			}
			return s.Send(c, m)
		})
	})
	m := h.resetLink("ada@example.com")
	h.runOnce(t, 1)
	h.srv.Wait()
	got := h.q.get(t, m.ID)
	if got.Status != account.MailQueued || got.Attempts != 2 || !got.NextAt.Equal(second[0].NextAt) {
		t.Errorf("mail after the late record: status %q attempts %d next %v; want the second claim (queued, 2, %v)",
			got.Status, got.Attempts, got.NextAt, second[0].NextAt)
	}
	if !strings.Contains(h.logs.String(), "recording a sent mail failed") {
		t.Errorf("the late record was not logged:\n%s", h.logs.String())
	}
}
