package sqlite

import (
	"context"
	"errors"
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
// ones stay.
func TestPurgeMailInChunks(t *testing.T) {
	s := migratedStore(t)
	old := time.Now().Add(-72 * time.Hour).UTC().Truncate(time.Microsecond)
	const n = 2*purgeChunk + 500
	err := s.InTx(context.Background(), func(tx account.Store) error {
		for i := range n + 3 {
			m := outboxMail(i)
			m.CreatedAt, m.Status = old, account.MailSent
			if i >= n {
				m.Status = account.MailQueued
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
		t.Errorf("%d mails left, %v; want the 3 queued", len(left), err)
	}
}
