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

func openMigrated(t testing.TB) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

func outboxMail(i int) account.Mail {
	now := time.Now().UTC().Truncate(time.Microsecond)
	return account.Mail{Kind: "reset_request", To: "a@example.com", Data: map[string]string{"n": string(rune('a' + i%26))},
		MessageID: "<" + time.Now().String() + ">", Status: account.MailQueued, CreatedAt: now, NextAt: now}
}

func TestEnqueueAfterCloseFails(t *testing.T) {
	db := openMigrated(t)
	s := db.Store()
	db.Close()
	m := outboxMail(0)
	if err := s.EnqueueMail(context.Background(), &m); !errors.Is(err, groupcommit.ErrClosed) {
		t.Errorf("EnqueueMail after Close = %v, want groupcommit.ErrClosed", err)
	}
}

// BenchmarkEnqueueMailParallel: concurrent enqueues, as concurrent reset
// requests make them; compare with BenchmarkEnqueueMail (one at a time).
func BenchmarkEnqueueMailParallel(b *testing.B) {
	s := openMigrated(b).Store()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m := outboxMail(1)
			if err := s.EnqueueMail(context.Background(), &m); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
