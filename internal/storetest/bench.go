package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/accountd/accountd/internal/account"
)

// Benchmarks runs the benchmarks of a store's hot paths on stores from
// open, one store per benchmark: the outbox insert of every reset request
// (one at a time and concurrent, as the group commit sees them), the
// worker's claim, the token lookup of every authenticated request, and a
// /metrics scrape with a backlog. Both backends run them (BenchmarkStore);
// docs/benchmarks.md has the numbers.
func Benchmarks(b *testing.B, open func(b *testing.B) account.Store) {
	ctx := context.Background()
	b.Run("EnqueueMail/serial", func(b *testing.B) {
		s := open(b)
		i := 0
		for b.Loop() {
			i++
			m := benchMail(i, time.Now().UTC())
			if err := s.EnqueueMail(ctx, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("EnqueueMail/parallel", func(b *testing.B) {
		s := open(b)
		b.SetParallelism(8) // several requests in flight per core, as under load
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				m := benchMail(0, time.Now().UTC())
				if err := s.EnqueueMail(ctx, &m); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	// The claim of 50 (the worker's first batch size; it claims 12 now)
	// from an outbox holding 10,000 sent mails, as a running server's does.
	b.Run("ClaimMail/batch50", func(b *testing.B) {
		s := open(b)
		benchFill(b, s, 0, 10000, true)
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			benchFill(b, s, 100000+50*i, 50, false)
			now := time.Now().UTC()
			b.StartTimer()
			got, err := s.ClaimMail(ctx, now, now.Add(time.Minute), 50)
			if err != nil || len(got) != 50 {
				b.Fatalf("ClaimMail() = %d mails, %v; want 50", len(got), err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(50*b.N), "ns/mail")
	})
	b.Run("ClaimMail/idle", func(b *testing.B) {
		s := open(b)
		benchFill(b, s, 0, 10000, true)
		for b.Loop() {
			now := time.Now().UTC()
			if _, err := s.ClaimMail(ctx, now, now.Add(time.Minute), 50); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("TokenByHash", func(b *testing.B) {
		s := open(b)
		now := time.Now().UTC()
		u := account.User{Email: "ada@example.com", EmailKey: account.EmailKey("ada@example.com"),
			PasswordHash: "$argon2id$x", Timezone: "UTC", CreatedAt: now, UpdatedAt: now,
			PasswordChangedAt: now, EmailChangedAt: now}
		if err := s.CreateUser(ctx, &u); err != nil {
			b.Fatal(err)
		}
		raw := account.NewToken()
		hash := account.HashSecret(raw)
		if err := s.CreateToken(ctx, &account.Token{UserID: u.ID, Kind: account.TokenLogin,
			Hash: hash, CreatedAt: now}); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := s.TokenByHash(ctx, hash); err != nil {
				b.Fatal(err)
			}
		}
	})
	// One /metrics scrape's query while 100,000 mails wait in the queue.
	b.Run("MailStatsBacklog", func(b *testing.B) {
		s := open(b)
		benchFill(b, s, 0, 100_000, false)
		for b.Loop() {
			if _, err := s.MailStats(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// benchMail is a queued reset request as RequestReset writes it.
func benchMail(n int, now time.Time) account.Mail {
	return account.Mail{Kind: account.MailResetRequest, To: fmt.Sprintf("user%d@example.com", n),
		Data: map[string]string{"ip": "192.0.2.1", "user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
			"requested_at": "2026-11-27 13:58 UTC"},
		MessageID: fmt.Sprintf("<%d.bench@example.com>", n), Status: account.MailQueued, CreatedAt: now, NextAt: now}
}

// benchFill enqueues n mails in one transaction, sent ones when sent is set.
func benchFill(b *testing.B, s account.Store, from, n int, sent bool) {
	b.Helper()
	now := time.Now().UTC()
	err := s.InTx(context.Background(), func(tx account.Store) error {
		for i := from; i < from+n; i++ {
			m := benchMail(i, now)
			if sent {
				m.Status, m.SentAt = account.MailSent, now
			}
			if err := tx.EnqueueMail(context.Background(), &m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}
