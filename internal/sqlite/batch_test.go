package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/accountd/accountd/internal/account"
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

// TestConcurrentEnqueuesAreAllWritten: 200 concurrent enqueues, batched
// into shared transactions, each get their own id and row.
func TestConcurrentEnqueuesAreAllWritten(t *testing.T) {
	db := openMigrated(t)
	s := db.Store()
	const n = 200
	ids := make([]int64, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			m := outboxMail(i)
			if err := s.EnqueueMail(context.Background(), &m); err != nil {
				t.Errorf("EnqueueMail %d: %v", i, err)
			}
			ids[i] = m.ID
		})
	}
	wg.Wait()
	seen := map[int64]bool{}
	for i, id := range ids {
		if id == 0 || seen[id] {
			t.Fatalf("mail %d got id %d, want a distinct id", i, id)
		}
		seen[id] = true
		m, err := s.MailByID(context.Background(), id)
		if err != nil || m.Data["n"] != string(rune('a'+i%26)) {
			t.Errorf("MailByID(%d) = %v, %v, want mail %d", id, m.Data, err, i)
		}
	}
}

func TestEnqueueAfterCloseFails(t *testing.T) {
	db := openMigrated(t)
	s := db.Store()
	db.Close()
	m := outboxMail(0)
	if err := s.EnqueueMail(context.Background(), &m); !errors.Is(err, errClosed) {
		t.Errorf("EnqueueMail after Close = %v, want errClosed", err)
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
