package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/groupcommit"
)

// migratedStore is testdb.SQLiteStore for this package's own tests, which
// cannot import testdb (it imports sqlite).
func migratedStore(t *testing.T) *Store {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "accountd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return db.Store()
}

func outboxMail(i int) account.Mail {
	now := time.Now().UTC().Truncate(time.Microsecond)
	return account.Mail{Kind: "reset_request", To: "a@example.com", Data: map[string]string{"n": string(rune('a' + i%26))},
		MessageID: "<" + time.Now().String() + ">", Status: account.MailQueued, CreatedAt: now, NextAt: now}
}

func TestEnqueueAfterCloseFails(t *testing.T) {
	s := migratedStore(t)
	s.db.Close()
	m := outboxMail(0)
	if err := s.EnqueueMail(context.Background(), &m); !errors.Is(err, groupcommit.ErrClosed) {
		t.Errorf("EnqueueMail after Close = %v, want groupcommit.ErrClosed", err)
	}
}

// PurgeMail deletes in chunks; more rows than a chunk all go, the queued
// and dead ones and a sent one of the last day stay.
func TestPurgeMailInChunks(t *testing.T) {
	s := migratedStore(t)
	old := time.Now().Add(-72 * time.Hour).UTC().Truncate(time.Microsecond)
	const n = 2*purgeChunk + 500
	err := s.InTx(context.Background(), func(tx account.Store) error {
		for i := range n + 3 {
			m := outboxMail(i)
			m.CreatedAt, m.Status = old, account.MailSent
			switch i - n {
			case 0:
				m.Status = account.MailQueued
			case 1:
				m.Status = account.MailDead
			case 2:
				m.CreatedAt = time.Now().Add(-time.Hour).UTC()
			}
			if err := tx.EnqueueMail(context.Background(), &m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.PurgeMail(context.Background(), time.Now().Add(-24*time.Hour))
	if err != nil || got != n {
		t.Errorf("PurgeMail = %d, %v; want %d", got, err, n)
	}
	left, err := s.Mails(context.Background(), "", 10)
	if err != nil || len(left) != 3 {
		t.Errorf("%d mails left, %v; want the queued, the dead and the recent sent one", len(left), err)
	}
}

// PurgeEvents deletes in chunks: more old events than a chunk all go, and
// the newer ones stay.
func TestPurgeEventsInChunks(t *testing.T) {
	s := migratedStore(t)
	now := time.Now().UTC().Truncate(time.Microsecond)
	const n = 2*eventPurgeChunk + 100
	err := s.InTx(context.Background(), func(tx account.Store) error {
		for i := range n + 3 {
			e := account.Event{Time: now.Add(-72 * time.Hour), Type: "login", Email: "a@example.com", EmailKey: "a@example.com"}
			if i >= n {
				e.Time = now.Add(-time.Duration(i-n) * time.Hour)
			}
			if err := tx.AddEvent(context.Background(), &e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.PurgeEvents(context.Background(), now.Add(-24*time.Hour))
	if err != nil || got != n {
		t.Errorf("PurgeEvents = %d, %v; want %d", got, err, n)
	}
	left, err := s.CountEvents(context.Background(), account.EventFilter{})
	if err != nil || left != 3 {
		t.Errorf("%d events left, %v; want the 3 of the last day", left, err)
	}
}

// TestBatchGivesEachMailItsOwnID: mails queued together, in multi-row
// INSERTs of every size, each get the id of their own row.
func TestBatchGivesEachMailItsOwnID(t *testing.T) {
	s := migratedStore(t)
	ctx := context.Background()
	for _, n := range []int{1, 3, 4, 21, 64, 85, maxBatch} {
		ms := make([]*account.Mail, n)
		for i := range ms {
			m := outboxMail(i)
			m.To = fmt.Sprintf("n%d-%d@example.com", n, i)
			ms[i] = &m
		}
		if err := insertAll(ctx, s.db.w, ms); err != nil {
			t.Fatalf("insertAll of %d: %v", n, err)
		}
		seen := map[int64]bool{}
		for _, m := range ms {
			got, err := s.MailByID(ctx, m.ID)
			if err != nil || got.To != m.To || seen[m.ID] {
				t.Fatalf("batch of %d: mail to %s has id %d, which holds %q (err %v, seen before %v)",
					n, m.To, m.ID, got.To, err, seen[m.ID])
			}
			seen[m.ID] = true
		}
	}
}
