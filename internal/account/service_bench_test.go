package account_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/password"
	"github.com/accountd/accountd/internal/secretbox"
	"github.com/accountd/accountd/internal/testdb"
)

// Benchmarks of the service's hot paths on a SQLite file: token
// authentication (every authenticated request) and the reset request (one
// outbox row, whatever the address). Argon2 runs with tiny parameters: it
// is benchmarked in internal/password, and neither path hashes.

func benchService(b *testing.B) *account.Service {
	b.Helper()
	store := testdb.SQLiteStore(b)
	hasher := password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16})
	return account.NewService(store, hasher, account.Config{DashboardURL: "https://dash.example.com",
		ResetEmailsPerHour: 3, Policy: password.DefaultPolicy(), Secrets: secretbox.NewRandom()}, time.Now, nil)
}

// benchToken registers an account and returns its login token.
func benchToken(b *testing.B, svc *account.Service, email string) string {
	b.Helper()
	tok, _, err := svc.Register(context.Background(), account.RegisterInput{Email: email,
		Password: "Correct-Horse-7391", TOSAccepted: true}, account.Client{IP: "192.0.2.1"})
	if err != nil {
		b.Fatal(err)
	}
	return tok
}

func BenchmarkAuthenticate(b *testing.B) {
	svc := benchService(b)
	tok := benchToken(b, svc, "ada@example.com")
	ctx := context.Background()
	b.Run("valid", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := svc.Authenticate(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("unknown", func(b *testing.B) {
		other := account.NewToken()
		for b.Loop() {
			if _, _, err := svc.Authenticate(ctx, other); err == nil {
				b.Fatal("Authenticate(unknown token) error = nil")
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, _, err := svc.Authenticate(ctx, tok); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

func BenchmarkRequestReset(b *testing.B) {
	svc := benchService(b)
	benchToken(b, svc, "ada@example.com")
	ctx := context.Background()
	c := account.Client{IP: "192.0.2.1", UserAgent: "Mozilla/5.0 (X11; Linux x86_64)"}
	b.Run("serial", func(b *testing.B) {
		i := 0
		for b.Loop() {
			email := "ada@example.com"
			if i++; i%2 == 0 {
				email = fmt.Sprintf("nobody%d@example.com", i)
			}
			if err := svc.RequestReset(ctx, email, c); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := svc.RequestReset(ctx, "ada@example.com", c); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
