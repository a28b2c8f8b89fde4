package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/accountd/accountd/internal/testenv"
)

// PostgresDatabase creates a new, empty database on the server named by
// ACCOUNTD_TEST_POSTGRES_URL, drops it (closing any connection still open)
// when the test ends, and returns its URL. Without the variable it skips the
// test, or fails it when ACCOUNTD_TEST_REQUIRE is "all" or names "postgres".
func PostgresDatabase(t *testing.T) string {
	t.Helper()
	admin := adminURL(t)
	name := testName()
	// Identifiers in CREATE/DROP DATABASE cannot be parameters; name is ours
	// ([a-z0-9_]) and quoted all the same.
	ident := pgx.Identifier{name}.Sanitize()
	adminExec(t, t.Context(), admin, "CREATE DATABASE "+ident)
	t.Cleanup(func() {
		// t.Context() is done by now.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		adminExec(t, ctx, admin, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)")
	})
	u, err := withDatabase(admin, name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// PostgresSchema is like PostgresDatabase but cheaper: it creates a
// new schema in the database of ACCOUNTD_TEST_POSTGRES_URL and returns a URL
// whose connections use it (search_path). CREATE DATABASE costs a second or
// two; a schema costs milliseconds, which suite-wide tests need.
func PostgresSchema(t testing.TB) string {
	t.Helper()
	admin := adminURL(t)
	if !strings.HasPrefix(admin, "postgres://") && !strings.HasPrefix(admin, "postgresql://") {
		t.Fatal("PostgresSchema needs ACCOUNTD_TEST_POSTGRES_URL in URL form")
	}
	name := testName()
	ident := pgx.Identifier{name}.Sanitize()
	adminExec(t, t.Context(), admin, "CREATE SCHEMA "+ident)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		adminExec(t, ctx, admin, "DROP SCHEMA IF EXISTS "+ident+" CASCADE")
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal("ACCOUNTD_TEST_POSTGRES_URL is not a valid URL")
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}

// adminURL returns ACCOUNTD_TEST_POSTGRES_URL, or skips the test without it
// (fails it when ACCOUNTD_TEST_REQUIRE is "all" or names "postgres").
func adminURL(t testing.TB) string {
	t.Helper()
	admin := os.Getenv("ACCOUNTD_TEST_POSTGRES_URL")
	if admin == "" {
		testenv.Skip(t, testenv.Postgres, "ACCOUNTD_TEST_POSTGRES_URL is not set")
	}
	return admin
}

// testName returns a fresh name for a test database or schema.
func testName() string {
	b := make([]byte, 8)
	rand.Read(b) // never fails (crypto/rand)
	return "accountd_test_" + hex.EncodeToString(b)
}

// adminExec runs one statement on its own connection to the admin URL.
func adminExec(t testing.TB, ctx context.Context, admin, sql string) {
	t.Helper()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("connect to ACCOUNTD_TEST_POSTGRES_URL: %v", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// withDatabase returns the connection string admin with its database
// replaced by name, in URL or key=value form.
func withDatabase(admin, name string) (string, error) {
	if strings.HasPrefix(admin, "postgres://") || strings.HasPrefix(admin, "postgresql://") {
		u, err := url.Parse(admin)
		if err != nil {
			// url's errors quote the URL, password and all.
			return "", errors.New("ACCOUNTD_TEST_POSTGRES_URL is not a valid URL")
		}
		u.Path, u.RawPath = "/"+name, ""
		return u.String(), nil
	}
	// In key=value form a later key overrides an earlier one.
	return admin + " dbname=" + name, nil
}
