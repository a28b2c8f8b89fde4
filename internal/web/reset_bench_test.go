package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/captcha"
	"github.com/accountd/accountd/internal/password"
	"github.com/accountd/accountd/internal/secretbox"
	"github.com/accountd/accountd/internal/testdb"
	"github.com/accountd/accountd/internal/web"
)

// Benchmarks of the whole handler, middleware included (request id, access
// log as JSON to io.Discard, metrics, security headers), on a SQLite file,
// without the network: what accountd spends on top of the HTTP floor.

func benchHandler(b *testing.B) (http.Handler, *account.Service) {
	b.Helper()
	store := testdb.SQLiteStore(b)
	hasher := password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16})
	svc := account.NewService(store, hasher, account.Config{DashboardURL: "https://dash.example.com",
		ResetEmailsPerHour: 3, Policy: password.DefaultPolicy(), Secrets: secretbox.NewRandom()}, time.Now, nil)
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	h := web.New(svc, captcha.None{}, log, web.NewMetrics(prometheus.NewRegistry()),
		web.Config{MinPasswordLength: 8}) // no Limiter: rate limits off, as in the load test
	return h, svc
}

func benchServe(b *testing.B, h http.Handler, method, path, body, token string, want int) {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Token "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != want {
		b.Fatalf("%s %s = %d %s, want %d", method, path, w.Code, w.Body, want)
	}
}

func BenchmarkResetRequestHandler(b *testing.B) {
	h, svc := benchHandler(b)
	if _, _, err := svc.Register(context.Background(), account.RegisterInput{Email: "ada@example.com",
		Password: testPassword, TOSAccepted: true}, account.Client{}); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, email string }{{"known", "ada@example.com"}, {"unknown", "nobody@example.com"}} {
		body := `{"email":"` + c.email + `","recaptcha":"x"}`
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				benchServe(b, h, "POST", "/api/v2/resetpassword/", body, "", http.StatusNoContent)
			}
		})
	}
	b.Run("parallel", func(b *testing.B) {
		body := `{"email":"ada@example.com","recaptcha":"x"}`
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				benchServe(b, h, "POST", "/api/v2/resetpassword/", body, "", http.StatusNoContent)
			}
		})
	})
}

// BenchmarkTokenAuthHandler is token authentication as a client meets it:
// GET /api/v2/profile/ with a login token.
func BenchmarkTokenAuthHandler(b *testing.B) {
	h, svc := benchHandler(b)
	tok, _, err := svc.Register(context.Background(), account.RegisterInput{Email: "ada@example.com",
		Password: testPassword, TOSAccepted: true}, account.Client{})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("valid", func(b *testing.B) {
		for b.Loop() {
			benchServe(b, h, "GET", "/api/v2/profile/", "", tok, http.StatusOK)
		}
	})
	b.Run("invalid", func(b *testing.B) {
		other := account.NewToken()
		for b.Loop() {
			benchServe(b, h, "GET", "/api/v2/profile/", "", other, http.StatusUnauthorized)
		}
	})
}

// BenchmarkForwardAuthHandler is GET /auth/verify with a valid login
// token, what a reverse proxy asks on every request it guards.
func BenchmarkForwardAuthHandler(b *testing.B) {
	for _, ttl := range []time.Duration{0, account.DefaultPrincipalCacheTTL} {
		name := "cache=off"
		if ttl > 0 {
			name = "cache=" + ttl.String()
		}
		b.Run(name, func(b *testing.B) {
			store := testdb.SQLiteStore(b)
			hasher := password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16})
			svc := account.NewService(store, hasher, account.Config{DashboardURL: "https://dash.example.com",
				TokenIdleTTL: 14 * 24 * time.Hour, Policy: password.DefaultPolicy(), Secrets: secretbox.NewRandom(),
				PrincipalCacheTTL: ttl}, time.Now, nil)
			h := web.New(svc, captcha.None{}, slog.New(slog.NewJSONHandler(io.Discard, nil)), web.NewMetrics(prometheus.NewRegistry()),
				web.Config{MinPasswordLength: 8, ForwardAuthPath: web.DefaultForwardAuthPath})
			token, _, err := svc.Register(context.Background(), account.RegisterInput{Email: "ada@example.com",
				Password: testPassword, TOSAccepted: true}, account.Client{})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				benchServe(b, h, "GET", "/auth/verify", "", token, http.StatusNoContent)
			}
		})
	}
}
