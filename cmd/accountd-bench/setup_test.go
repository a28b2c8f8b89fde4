package main

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/captcha"
	"github.com/accountd/accountd/internal/openapitest"
	"github.com/accountd/accountd/internal/password"
	"github.com/accountd/accountd/internal/secretbox"
	"github.com/accountd/accountd/internal/testdb"
	"github.com/accountd/accountd/internal/web"
)

// TestSetupAccounts: the bench registers its accounts through the Go client
// against a real accountd, again without harm on a second run (the accounts
// sign in), and says what went wrong when accountd refuses.
func TestSetupAccounts(t *testing.T) {
	url := serveAccountd(t, testdb.SQLiteStore(t))
	b := &bench{cfg: config{url: url, setupConcurrency: 3, password: "Correct-Horse-7391"}, log: io.Discard}
	for i := range 7 {
		b.known = append(b.known, knownEmail(i))
	}
	ctx := context.Background()
	for run := 1; run <= 2; run++ {
		if err := b.setupAccounts(ctx); err != nil {
			t.Fatalf("setup run %d: %v", run, err)
		}
	}

	b.cfg.password = "Another-Horse-5501"
	err := b.setupAccounts(ctx)
	if err == nil || !strings.Contains(err.Error(), "400 email: unique") {
		t.Errorf("setup with another password = %v, want the 400 email/unique named", err)
	}
}

// serveAccountd serves a real accountd (captcha off, cheap hashing) on store
// and returns its URL.
func serveAccountd(t *testing.T, store account.Store) string {
	t.Helper()
	hasher := password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16})
	svc := account.NewService(store, hasher, account.Config{DashboardURL: "https://dash.example.com",
		ResetTokenTTL: time.Hour, ResetEmailsPerHour: 3, MailDomain: "example.com", Policy: password.DefaultPolicy(),
		Secrets: secretbox.NewRandom()}, time.Now, nil)
	h := web.New(svc, captcha.None{}, slog.New(slog.NewTextHandler(io.Discard, nil)),
		web.NewMetrics(prometheus.NewRegistry()), web.Config{MinPasswordLength: 8})
	srv := httptest.NewServer(openapitest.Handler(t, h))
	t.Cleanup(srv.Close)
	return srv.URL
}
