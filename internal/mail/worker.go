package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"time"
	"unicode/utf8"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/groupcommit"
)

// Queue is the outbox as the worker sees it; account.Store implements it.
type Queue interface {
	// ClaimMail leases up to limit queued mails due at now: it increments
	// their Attempts and moves their NextAt to leaseUntil, so a mail whose
	// worker dies becomes due again when the lease runs out.
	ClaimMail(ctx context.Context, now, leaseUntil time.Time, limit int) ([]account.Mail, error)
	// UpdateMail writes the mail back (status, data, attempts, next time,
	// last error, sent time).
	UpdateMail(ctx context.Context, m account.Mail) error
}

// Resolver turns mails that are not yet concrete (kind
// account.MailResetRequest) into concrete mails, or into status suppressed,
// and records the outcome of each delivery attempt. account.Service
// implements it.
type Resolver interface {
	// ResolveMails resolves the reset requests among a claimed batch and
	// persists the results; other mails come back unchanged. A mail whose
	// error is not nil comes back as it was given.
	ResolveMails(ctx context.Context, ms []account.Mail) ([]account.Mail, []error)
	// RecordDeliveries writes mails back after attempts, with the audit
	// event of each attempt, in one transaction. A failure to resolve
	// counts as a failed attempt too.
	RecordDeliveries(ctx context.Context, ds []account.Delivery) error
	// OpenMail returns the mail with the secrets of its data opened, for
	// rendering only: what is written back keeps them sealed. An error
	// when they cannot be opened (sealed under another key).
	OpenMail(m account.Mail) (account.Mail, error)
}

// Recorder records the deliveries of several workers together: those that
// finish while one transaction commits share the next, so a node's workers
// pay for about one commit between them rather than one per email. Each
// worker still waits for its delivery to be recorded before it sends the
// next mail, so a crash resends at most one email per worker.
type Recorder struct {
	batch *groupcommit.Batcher[account.Delivery]
}

// recordTimeout bounds one transaction of deliveries, which runs on no
// worker's context: a database that stopped answering must not hold every
// worker (record retries for a few seconds more, then the lease brings the
// mail back).
const recordTimeout = 10 * time.Second

// NewRecorder returns a recorder writing through r; Close stops it. A
// failed batch is written again one delivery at a time whatever the error:
// the mail rows are the same either way, and the audit log may show a
// delivery twice if the first commit did happen after all.
func NewRecorder(r Resolver) *Recorder {
	write := func(ctx context.Context, ds []account.Delivery) error {
		ctx, cancel := context.WithTimeout(ctx, recordTimeout)
		defer cancel()
		return r.RecordDeliveries(ctx, ds)
	}
	return &Recorder{batch: groupcommit.New(64, write, func(error) bool { return true })}
}

// Record records one delivery, with whatever others are waiting.
func (r *Recorder) Record(ctx context.Context, d account.Delivery) error {
	return r.batch.Do(ctx, d)
}

// Close stops the recorder once the workers using it have stopped.
func (r *Recorder) Close() { r.batch.Close() }

// WorkerConfig tunes a Worker. Zero values take the defaults in brackets.
type WorkerConfig struct {
	From         string        // the From address of every mail
	Batch        int           // mails claimed at once [12]
	Lease        time.Duration // how long a claim is ours [1m]
	PollInterval time.Duration // wait between polls of an idle queue [250ms]
	MaxAttempts  int           // attempts before a mail is dead [10]
	BaseBackoff  time.Duration // wait after the first failure [5s]
	MaxBackoff   time.Duration // longest wait before jitter [1h]

	Now    func() time.Time // [time.Now]
	Rand   func() float64   // in [0, 1), for the jitter [math/rand/v2.Float64]
	Logger *slog.Logger     // [discard]

	// OnSent, if set, is called for every mail sent, with the time since it
	// was queued. Metrics hook.
	OnSent func(kind string, latency time.Duration)
	// OnFailed, if set, is called for every failed attempt; dead says it was
	// the last. Metrics hook.
	OnFailed func(kind string, dead bool)

	// Recorder, if set, records deliveries together with other workers';
	// otherwise each is recorded in a transaction of its own.
	Recorder *Recorder
}

func (c WorkerConfig) withDefaults() WorkerConfig {
	// Small enough that a shallow queue spreads over the workers (with 50,
	// one worker took a burst the others then waited out), large enough
	// that one transaction resolves several: paced at 1,000 emails/s, 12
	// kept up where 50 fell behind (docs/benchmarks.md).
	c.Batch = orDefault(c.Batch, 12)
	c.Lease = orDefault(c.Lease, time.Minute)
	c.PollInterval = orDefault(c.PollInterval, 250*time.Millisecond)
	c.MaxAttempts = orDefault(c.MaxAttempts, 10)
	c.BaseBackoff = orDefault(c.BaseBackoff, 5*time.Second)
	c.MaxBackoff = orDefault(c.MaxBackoff, time.Hour)
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Rand == nil {
		c.Rand = rand.Float64
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// orDefault is v, or def when v is unset (zero or negative).
func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// maxErrWait caps the wait between polls while claiming keeps failing, so a
// database outage is logged a few times a minute rather than four times a
// second.
const maxErrWait = 30 * time.Second

// Worker delivers the outbox: it claims due mails, resolves reset requests,
// renders, sends, and records the outcome with retries and backoff.
type Worker struct {
	queue     Queue
	resolver  Resolver
	templates *Templates
	sender    Sender
	cfg       WorkerConfig
	log       *slog.Logger
	wake      chan struct{}
}

// NewWorker returns a worker; cfg's zero fields take their defaults. r
// resolves and records every mail the worker claims.
func NewWorker(q Queue, r Resolver, t *Templates, s Sender, cfg WorkerConfig) *Worker {
	cfg = cfg.withDefaults()
	return &Worker{
		queue: q, resolver: r, templates: t, sender: s, cfg: cfg,
		log:  cfg.Logger,
		wake: make(chan struct{}, 1),
	}
}

// Wake tells the worker that a mail was queued, so it goes out without
// waiting for the next poll. It never blocks.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default: // a poke is already pending; one is enough
	}
}

// Run delivers mail until ctx is done. On cancellation it finishes the mail
// in hand, hands the rest of its batch back to the queue, and returns nil.
func (w *Worker) Run(ctx context.Context) error {
	errWait := w.cfg.PollInterval
	for ctx.Err() == nil {
		n, err := w.RunOnce(ctx)
		wait := w.cfg.PollInterval
		switch {
		case err != nil && ctx.Err() == nil:
			w.log.Error("mail: claiming mail failed", "err", err)
			wait, errWait = errWait, min(2*errWait, maxErrWait)
		case err == nil && n >= w.cfg.Batch:
			errWait = w.cfg.PollInterval
			continue // a full batch: more may be due already
		default:
			errWait = w.cfg.PollInterval
		}
		w.sleep(ctx, wait)
	}
	return nil
}

// sleep waits for d, a Wake, or ctx.
func (w *Worker) sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-w.wake:
	case <-t.C:
	}
}

// RunOnce claims one batch and processes it, returning how many mails it
// processed (sent, failed or suppressed). It stops early, handing the rest of
// the batch back, when ctx is cancelled or the lease is running out.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	now := w.cfg.Now()
	leaseUntil := now.Add(w.cfg.Lease)
	mails, err := w.queue.ClaimMail(ctx, now, leaseUntil, w.cfg.Batch)
	if err != nil {
		return 0, fmt.Errorf("mail: claim: %w", err)
	}
	// The mail in hand is finished even if ctx is cancelled meanwhile
	// (graceful shutdown), so the work runs on a context that is not.
	work := context.WithoutCancel(ctx)
	// Past this point another worker may soon claim our mails again; a mail
	// started later could be sent twice. A quarter of the lease leaves room
	// for one slow send.
	stopAt := leaseUntil.Add(-w.cfg.Lease / 4)
	mails, errs := w.resolver.ResolveMails(work, mails) // the reset requests, at once
	for i, m := range mails {
		if ctx.Err() != nil || !w.cfg.Now().Before(stopAt) {
			w.release(work, mails[i:], leaseUntil)
			return i, nil
		}
		w.process(work, m, errs[i])
	}
	return len(mails), nil
}

// release hands claimed but untried mails back to the queue, due now and
// without counting the attempt that was not made; a resolved reset request
// goes back resolved, with its token. Once the lease is over they are no
// longer ours to write; they become due by themselves.
func (w *Worker) release(ctx context.Context, mails []account.Mail, leaseUntil time.Time) {
	now := w.cfg.Now()
	if !now.Before(leaseUntil) {
		return
	}
	for _, m := range mails {
		if m.Status != account.MailQueued {
			continue // suppressed while resolving: already written
		}
		m.Attempts--
		m.NextAt = now
		if err := w.queue.UpdateMail(ctx, m); err != nil && !errors.Is(err, account.ErrLeaseLost) {
			w.log.Error("mail: releasing a claimed mail failed", "mail_id", m.ID, "err", err)
		}
	}
}

// process delivers one claimed mail, resolved with resolveErr, and records
// the outcome.
func (w *Worker) process(ctx context.Context, m account.Mail, resolveErr error) {
	if errors.Is(resolveErr, account.ErrLeaseLost) {
		w.log.Warn("mail: the claim ended before the mail was resolved; another worker has it", "mail_id", m.ID)
		return
	}
	if resolveErr != nil {
		w.failed(ctx, m, fmt.Errorf("resolve: %w", resolveErr))
		return
	}
	if m.Status == account.MailSuppressed {
		return // nothing to send; the resolver saved and audited it
	}
	r, err := w.render(m)
	if err != nil {
		w.failed(ctx, m, &permanentError{err}) // no retry renders it better
		return
	}
	now := w.cfg.Now()
	err = w.sender.Send(ctx, Message{
		MessageID: m.MessageID, From: w.cfg.From, To: m.To,
		Subject: r.Subject, Text: r.Text, HTML: r.HTML, Date: now,
	})
	if err != nil {
		w.failed(ctx, m, err)
		return
	}
	w.sent(ctx, m, now)
}

// errUndeclaredKind is the error of a mail whose kind account.MailKinds
// does not declare: its secrets, if any, were never known to be secrets.
var errUndeclaredKind = errors.New("mail: this kind of email is not declared in account.MailKinds")

// render opens the mail's sealed secrets and renders it with its kind's
// templates. The opened values live only in the rendered message: m, which
// is written back, keeps them sealed. A mail that cannot be opened (sealed
// under another ACCOUNTD_SECRET_KEY) fails here, before anything is sent,
// so no email goes out with a broken link.
func (w *Worker) render(m account.Mail) (Rendered, error) {
	kind, ok := account.MailKindOf(m.Kind)
	if !ok || kind.Template == "" {
		return Rendered{}, fmt.Errorf("%w: %q", errUndeclaredKind, m.Kind)
	}
	opened, err := w.resolver.OpenMail(m)
	if err != nil {
		return Rendered{}, err
	}
	return w.templates.Render(kind.Template, opened.Locale, opened.Data)
}

// sent records a delivered mail.
func (w *Worker) sent(ctx context.Context, m account.Mail, now time.Time) {
	m.Status = account.MailSent
	m.SentAt = now
	m.LastError = ""
	m.Data = blankSecrets(m.Data)
	if err := w.record(ctx, m, nil, false); err != nil {
		// Delivered but not recorded: once the lease runs out it goes out
		// again, with the same Message-ID. Better twice than never.
		w.log.Error("mail: recording a sent mail failed", "mail_id", m.ID, "kind", m.Kind, "err", err)
	}
	w.log.Debug("mail: sent", "mail_id", m.ID, "kind", m.Kind, "attempts", m.Attempts)
	if w.cfg.OnSent != nil {
		var latency time.Duration
		if !m.CreatedAt.IsZero() {
			latency = now.Sub(m.CreatedAt)
		}
		w.cfg.OnSent(m.Kind, latency)
	}
}

// failed records a failed attempt: dead at once when the failure is
// permanent or the attempts are spent, else queued again after a backoff.
func (w *Worker) failed(ctx context.Context, m account.Mail, sendErr error) {
	dead := Permanent(sendErr) || m.Attempts >= w.cfg.MaxAttempts
	m.LastError = errorText(sendErr)
	if dead {
		m.Status = account.MailDead
		m.Data = blankSecrets(m.Data) // the link will never be sent: drop it
	} else {
		m.Status = account.MailQueued
		m.NextAt = w.cfg.Now().Add(w.backoff(m.Attempts))
	}
	if err := w.record(ctx, m, sendErr, dead); err != nil {
		w.log.Error("mail: recording a failed mail failed", "mail_id", m.ID, "kind", m.Kind, "err", err)
	}
	// Only the error text: Data holds the link, and the link is the secret.
	w.log.Warn("mail: delivery failed", "mail_id", m.ID, "kind", m.Kind,
		"attempts", m.Attempts, "dead", dead, "err", m.LastError)
	if w.cfg.OnFailed != nil {
		w.cfg.OnFailed(m.Kind, dead)
	}
}

// record writes a mail back after an attempt, with its audit event,
// retrying for about three seconds: a mail that was sent but not recorded
// goes out again once its lease ends, so a short database blip should not
// cost a duplicate or a minute's delay.
func (w *Worker) record(ctx context.Context, m account.Mail, sendErr error, dead bool) error {
	d := account.Delivery{Mail: m, SendErr: sendErr, Dead: dead}
	write := func() error { return w.resolver.RecordDeliveries(ctx, []account.Delivery{d}) }
	if w.cfg.Recorder != nil {
		write = func() error { return w.cfg.Recorder.Record(ctx, d) }
	}
	wait := 100 * time.Millisecond
	for try := 1; ; try++ {
		err := write()
		if err == nil || try == 6 || errors.Is(err, account.ErrLeaseLost) {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return err
		}
		wait *= 2
	}
}

// backoff is the wait after the given number of failed attempts:
// BaseBackoff·2^(attempts-1), at most MaxBackoff, scaled by a jitter in
// [0.5, 1.5) so that mails failing together do not retry together.
func (w *Worker) backoff(attempts int) time.Duration {
	d := w.cfg.BaseBackoff
	for i := 1; i < attempts && d < w.cfg.MaxBackoff; i++ {
		d *= 2 // a loop, not a shift: no overflow however many attempts
	}
	d = min(d, w.cfg.MaxBackoff)
	return time.Duration(float64(d) * (0.5 + w.cfg.Rand()))
}

// blankSecrets returns a copy of data with every secret key present set to
// "", so a sent or dead row no longer holds a usable link.
func blankSecrets(data map[string]string) map[string]string {
	out := maps.Clone(data)
	for _, k := range account.SecretMailKeys {
		if _, ok := out[k]; ok {
			out[k] = ""
		}
	}
	return out
}

// maxErrorText bounds LastError: an SMTP server may answer at length.
const maxErrorText = 500

// errorText is err as a LastError: one bounded string.
func errorText(err error) string {
	s := err.Error()
	if len(s) <= maxErrorText {
		return s
	}
	s = s[:maxErrorText]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1] // cut inside a rune
	}
	return s + "…"
}
