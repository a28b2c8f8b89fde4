package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	neturl "net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/postgres"
)

// Benchmarks of the store's hot paths on PostgreSQL, as internal/sqlite has
// them on SQLite: the outbox insert of every reset request, the worker's
// claim (FOR UPDATE SKIP LOCKED), and the token lookup of every
// authenticated request. They need ACCOUNTD_TEST_POSTGRES_URL (URL form)
// and run in a schema of their own, dropped at the end.

func benchStore(b *testing.B) account.Store {
	b.Helper()
	admin := os.Getenv("ACCOUNTD_TEST_POSTGRES_URL")
	u, err := neturl.Parse(admin)
	if admin == "" || err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		b.Skip("ACCOUNTD_TEST_POSTGRES_URL is not a postgres:// URL: skipping PostgreSQL benchmarks")
	}
	r := make([]byte, 8)
	rand.Read(r)
	schema := pgx.Identifier{"accountd_bench_" + hex.EncodeToString(r)}.Sanitize()
	benchExec(b, admin, "CREATE SCHEMA "+schema)
	b.Cleanup(func() { benchExec(b, admin, "DROP SCHEMA IF EXISTS "+schema+" CASCADE") })
	q := u.Query()
	q.Set("search_path", "accountd_bench_"+hex.EncodeToString(r))
	u.RawQuery = q.Encode()
	db, err := postgres.Open(context.Background(), u.String())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(db.Close)
	if _, err := db.Migrate(context.Background()); err != nil {
		b.Fatal(err)
	}
	return db.Store()
}

func benchExec(b *testing.B, url, sql string) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatalf("connect to ACCOUNTD_TEST_POSTGRES_URL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		b.Fatalf("%s: %v", sql, err)
	}
}

// benchMail is a queued reset request as RequestReset writes it.
func benchMail(n int, now time.Time) account.Mail {
	return account.Mail{Kind: account.MailResetRequest, To: fmt.Sprintf("user%d@example.com", n),
		Data:      map[string]string{"ip": "192.0.2.1", "user_agent": "Mozilla/5.0 (X11; Linux x86_64)", "requested_at": "2026-11-27 13:58 UTC"},
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

func BenchmarkEnqueueMail(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			m := benchMail(i, time.Now().UTC())
			if err := s.EnqueueMail(ctx, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.SetParallelism(4) // several requests in flight per core, as under load
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
}

// BenchmarkClaimMail claims batches of 50 (the worker's first batch size;
// it claims 12 now) from an outbox holding 10,000 sent mails, as a running
// server's does.
func BenchmarkClaimMail(b *testing.B) {
	s := benchStore(b)
	benchFill(b, s, 0, 10000, true)
	ctx := context.Background()
	b.Run("batch50", func(b *testing.B) {
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
	b.Run("idle", func(b *testing.B) {
		for b.Loop() {
			now := time.Now().UTC()
			if _, err := s.ClaimMail(ctx, now, now.Add(time.Minute), 50); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkTokenByHash(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	now := time.Now().UTC()
	u := account.User{Email: "ada@example.com", EmailKey: account.EmailKey("ada@example.com"),
		PasswordHash: "$argon2id$x", Timezone: "UTC", CreatedAt: now, UpdatedAt: now,
		PasswordChangedAt: now, EmailChangedAt: now}
	if err := s.CreateUser(ctx, &u); err != nil {
		b.Fatal(err)
	}
	raw := account.NewToken()
	if err := s.CreateToken(ctx, &account.Token{UserID: u.ID, Kind: account.TokenLogin,
		Hash: account.HashSecret(raw), CreatedAt: now}); err != nil {
		b.Fatal(err)
	}
	hash := account.HashSecret(raw)
	for b.Loop() {
		if _, err := s.TokenByHash(ctx, hash); err != nil {
			b.Fatal(err)
		}
	}
}
