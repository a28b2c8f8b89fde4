package main

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accountd/accountd/client"
	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/postgres"
	"github.com/accountd/accountd/internal/sqlite"
	"github.com/accountd/accountd/internal/testdb"
)

const seedPassword = "Seeded-Horse-4417"

// TestSeedSQLite: seeded accounts sign in through a real accountd with the
// seed's password, and a second run with more accounts adds only the rest.
func TestSeedSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "seed.db")
	seedAndSignIn(t, path, func() account.Store {
		db, err := sqlite.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db.Store()
	})
}

func TestSeedPostgres(t *testing.T) {
	url := testdb.PostgresSchema(t)
	seedAndSignIn(t, url, func() account.Store {
		db, err := postgres.Open(t.Context(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(db.Close)
		return db.Store()
	})
}

// seedAndSignIn seeds 5 then 7 accounts into the empty database at dbURL
// (which the seed migrates), then serves accountd on open() and signs in.
func seedAndSignIn(t *testing.T, dbURL string, open func() account.Store) {
	ctx := t.Context()
	seed := func(users string) string {
		t.Helper()
		var out strings.Builder
		err := run(ctx, []string{"seed", "-database-url", dbURL, "-users", users, "-password", seedPassword}, &out, io.Discard)
		if err != nil {
			t.Fatalf("seed -users %s: %v", users, err)
		}
		return out.String()
	}
	if out := seed("5"); !strings.HasPrefix(out, "5 accounts (5 added)") {
		t.Errorf("seed -users 5 said %q, want 5 added", out)
	}
	if out := seed("7"); !strings.HasPrefix(out, "7 accounts (2 added)") {
		t.Errorf("seed -users 7 after 5 said %q, want 2 added", out)
	}

	url := serveAccountd(t, open())
	c := client.New(url)
	login := func(email, pw string) error {
		_, err := c.Login(ctx, client.LoginRequest{Email: email, Password: pw, Recaptcha: "x"})
		return err
	}
	for _, email := range []string{seedEmail(0), strings.ToUpper(seedEmail(3)), seedEmail(6)} {
		if err := login(email, seedPassword); err != nil {
			t.Errorf("login %s: %v, want a token", email, err)
		}
	}
	for _, bad := range []struct{ email, pw string }{
		{seedEmail(1), "Wrong-Horse-0000"},
		{seedEmail(7), seedPassword}, // not seeded
	} {
		var ae *client.Error
		if err := login(bad.email, bad.pw); !errors.As(err, &ae) || ae.Status != 400 {
			t.Errorf("login %s with %q: %v, want a 400", bad.email, bad.pw, err)
		}
	}

	// The bench itself accepts the database seeded with 7, not with more.
	b := &bench{cfg: config{url: url, password: seedPassword, seeded: 7}, log: io.Discard}
	if err := b.setupAccounts(context.Background()); err != nil {
		t.Errorf("bench setup with -seeded 7: %v", err)
	}
	b.cfg.seeded = 8
	if err := b.setupAccounts(context.Background()); err == nil || !strings.Contains(err.Error(), "seed -users 8") {
		t.Errorf("bench setup with -seeded 8 = %v, want an error naming the seed command", err)
	}
}

// TestSeedRefuses: bad flags get a clear error before anything is written.
func TestSeedRefuses(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-users", "10"}, "-database-url is required"},
		{[]string{"-database-url", filepath.Join(dir, "a.db")}, "-users 0"},
		{[]string{"-database-url", filepath.Join(dir, "a.db"), "-users", "20000000"}, "-users 20000000"},
		{[]string{"-database-url", filepath.Join(dir, "a.db"), "-users", "3", "-password", ""}, "-password"},
		{[]string{"-database-url", filepath.Join(dir, "a.db"), "-users", "3", "extra"}, `unexpected argument "extra"`},
	} {
		err := run(t.Context(), append([]string{"seed"}, tc.args...), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("seed %q = %v, want an error with %q", tc.args, err, tc.want)
		}
	}
}

// TestSpread: the sampled accounts are distinct and reach every part of the
// seeded range.
func TestSpread(t *testing.T) {
	const n, k = 1_000_000, 1000
	got := spread(n, k)
	seen := map[int]bool{}
	var lo, hi int = n, 0
	for _, i := range got {
		if i < 0 || i >= n || seen[i] {
			t.Fatalf("spread(%d, %d) holds %d twice or out of range", n, k, i)
		}
		seen[i] = true
		lo, hi = min(lo, i), max(hi, i)
	}
	if len(got) != k || lo >= n/k || hi < n-n/k {
		t.Errorf("spread(%d, %d) = %d numbers from %d to %d, want %d from the first and last thousandth", n, k, len(got), lo, hi, k)
	}
	if got := spread(3, 3); len(got) != 3 {
		t.Errorf("spread(3, 3) = %v, want 0, 1, 2 in some order", got)
	}
}
