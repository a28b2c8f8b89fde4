package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"

	"github.com/accountd/accountd/internal/account"
)

// maxBatch bounds how many queued mails share one transaction.
const maxBatch = 128

// errClosed answers writes after Close.
var errClosed = errors.New("sqlite: database closed")

// enqueueReq is one EnqueueMail waiting for the batcher.
type enqueueReq struct {
	m    *account.Mail
	done chan error
}

// batcher gives concurrent EnqueueMail calls one transaction between them.
// A commit costs SQLite far more than an insert (~150 µs against ~25 µs
// here), and a reset request is nothing but one outbox insert: under load
// the requests that arrive while one commit runs share the next. It waits
// for nobody: a lone request is written at once.
type batcher struct {
	reqs    chan enqueueReq
	closing chan struct{}
	stopped sync.WaitGroup
	once    sync.Once
}

func newBatcher(w *sql.DB) *batcher {
	b := &batcher{reqs: make(chan enqueueReq), closing: make(chan struct{})}
	b.stopped.Add(1)
	go b.loop(w)
	return b
}

// enqueue hands m to the batcher and waits until it is written.
func (b *batcher) enqueue(ctx context.Context, m *account.Mail) error {
	r := enqueueReq{m: m, done: make(chan error, 1)}
	select {
	case b.reqs <- r:
	case <-b.closing:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once handed over the write happens; wait for it even if ctx ends, so
	// the caller never reports a failure for a mail that was queued.
	return <-r.done
}

func (b *batcher) loop(w *sql.DB) {
	defer b.stopped.Done()
	for {
		var first enqueueReq
		select {
		case first = <-b.reqs:
		case <-b.closing:
			return
		}
		batch := []enqueueReq{first}
	gather:
		for len(batch) < maxBatch {
			select {
			case r := <-b.reqs:
				batch = append(batch, r)
			default:
				break gather
			}
		}
		write(w, batch)
	}
}

// write inserts a batch in one transaction. If that fails, each mail is
// tried on its own, so one bad row cannot fail the others.
func write(w *sql.DB, batch []enqueueReq) {
	ctx := context.Background()
	if len(batch) > 1 {
		if err := insertAll(ctx, w, batch); err == nil {
			for _, r := range batch {
				r.done <- nil
			}
			return
		}
	}
	for _, r := range batch {
		r.done <- insertAll(ctx, w, []enqueueReq{r})
	}
}

func insertAll(ctx context.Context, w *sql.DB, batch []enqueueReq) error {
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(err)
	}
	defer tx.Rollback()
	ids := make([]int64, len(batch))
	for i, r := range batch {
		if ids[i], err = insertMail(ctx, tx, r.m); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return mapErr(err)
	}
	for i, r := range batch {
		r.m.ID = ids[i]
	}
	return nil
}

// close stops the batcher after the batch in hand.
func (b *batcher) close() {
	b.once.Do(func() { close(b.closing) })
	b.stopped.Wait()
}
