// Package testdb opens databases for tests and benchmarks: a migrated SQLite
// store in a test's temporary directory, and a fresh PostgreSQL database or
// schema on the server of ACCOUNTD_TEST_POSTGRES_URL. It imports testing, so
// only _test.go files import it: no production package may (the dependency
// test in internal/account keeps package testing out of cmd/accountd).
package testdb

import (
	"path/filepath"
	"testing"

	"github.com/accountd/accountd/internal/sqlite"
)

// SQLiteStore returns a migrated store on a fresh file in t's temporary
// directory, closed when t ends.
func SQLiteStore(t testing.TB) *sqlite.Store {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "accountd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return db.Store()
}
