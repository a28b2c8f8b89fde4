package mail

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/accountd/accountd/internal/account"
)

// The test doubles of the worker's own interfaces: an in-memory outbox, a
// resolver, a clock, and a sender wrapper.

// memQueue is an in-memory Queue with ClaimMail's lease semantics.
type memQueue struct {
	mu       sync.Mutex
	mails    map[int64]account.Mail
	nextID   int64
	claimErr error
}

func newMemQueue() *memQueue { return &memQueue{mails: map[int64]account.Mail{}} }

// add queues m and returns it with its id and message id.
func (q *memQueue) add(m account.Mail) account.Mail {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.nextID++
	m.ID = q.nextID
	m.MessageID = fmt.Sprintf("<mail-%d@accountd.test>", m.ID)
	m.Status = cmp.Or(m.Status, account.MailQueued)
	q.mails[m.ID] = clone(m)
	return clone(m)
}

func (q *memQueue) ClaimMail(_ context.Context, now, leaseUntil time.Time, limit int) ([]account.Mail, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.claimErr != nil {
		return nil, q.claimErr
	}
	var due []account.Mail
	for _, m := range q.mails {
		if m.Status == account.MailQueued && !m.NextAt.After(now) {
			due = append(due, m)
		}
	}
	slices.SortFunc(due, func(a, b account.Mail) int {
		return cmp.Or(a.NextAt.Compare(b.NextAt), cmp.Compare(a.ID, b.ID))
	})
	due = due[:min(limit, len(due))]
	for i := range due {
		due[i].Attempts++
		due[i].NextAt = leaseUntil
		q.mails[due[i].ID] = clone(due[i])
		due[i] = clone(due[i])
		due[i].Lease = leaseUntil
	}
	return due, nil
}

func (q *memQueue) UpdateMail(_ context.Context, m account.Mail) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	cur, ok := q.mails[m.ID]
	switch {
	case !ok && m.Lease.IsZero():
		return account.ErrNotFound
	case !m.Lease.IsZero() && (!ok || cur.Status != account.MailQueued || !cur.NextAt.Equal(m.Lease)):
		return account.ErrLeaseLost
	}
	m.Lease = time.Time{} // not stored
	q.mails[m.ID] = clone(m)
	return nil
}

func (q *memQueue) get(t *testing.T, id int64) account.Mail {
	t.Helper()
	q.mu.Lock()
	defer q.mu.Unlock()
	m, ok := q.mails[id]
	if !ok {
		t.Fatalf("no mail %d", id)
	}
	return clone(m)
}

func clone(m account.Mail) account.Mail {
	m.Data = maps.Clone(m.Data)
	return m
}

// delivery is one delivery recorded through RecordDeliveries.
type delivery struct {
	ID     int64
	Status account.MailStatus
	Failed bool
	Dead   bool
}

// testResolver resolves reset requests the way account.Service does, in
// miniature: a known address gets a link, any other is suppressed. It
// records deliveries in the queue and in its list.
type testResolver struct {
	q       *memQueue
	unknown map[string]bool
	err     error
	openErr error // what OpenMail answers; nil opens (the doubles seal nothing)

	mu         sync.Mutex
	batches    []int // the size of each ResolveMails batch
	deliveries []delivery
}

func (r *testResolver) ResolveMails(ctx context.Context, ms []account.Mail) ([]account.Mail, []error) {
	r.mu.Lock()
	r.batches = append(r.batches, len(ms))
	r.mu.Unlock()
	out, errs := slices.Clone(ms), make([]error, len(ms))
	for i, m := range ms {
		switch {
		case m.Kind != account.MailResetRequest:
			continue
		case r.err != nil:
			errs[i] = r.err
			continue
		case r.unknown[m.To]:
			m.Status = account.MailSuppressed
		default:
			m.Kind = account.MailResetLink
			m.Data = sampleData(account.MailResetLink)
			m.Data["email"] = m.To
		}
		out[i], errs[i] = m, r.q.UpdateMail(ctx, m)
	}
	return out, errs
}

func (r *testResolver) RecordDeliveries(ctx context.Context, ds []account.Delivery) error {
	for _, d := range ds {
		if err := r.q.UpdateMail(ctx, d.Mail); err != nil {
			return err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, d := range ds {
		r.deliveries = append(r.deliveries, delivery{d.Mail.ID, d.Mail.Status, d.SendErr != nil, d.Dead})
	}
	return nil
}

func (r *testResolver) OpenMail(m account.Mail) (account.Mail, error) {
	if r.openErr != nil {
		return m, r.openErr
	}
	return m, nil
}

func (r *testResolver) batchSizes() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.batches)
}

func (r *testResolver) got() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.deliveries)
}

// fakeClock is the injected time.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// syncBuffer is a bytes.Buffer safe for the logger and the test at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// senderFunc lets a test wrap a Sender.
type senderFunc func(ctx context.Context, m Message) error

func (f senderFunc) Send(ctx context.Context, m Message) error { return f(ctx, m) }
