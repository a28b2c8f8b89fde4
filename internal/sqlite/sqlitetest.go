package sqlite

import (
	"path/filepath"
	"testing"
)

// TestStore is for tests and benchmarks only, as postgres.TestSchema is: a
// migrated store on a fresh file in t's temporary directory, closed when t
// ends.
func TestStore(t testing.TB) *Store {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "accountd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return db.Store()
}
