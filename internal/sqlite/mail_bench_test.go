package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/sqlite"
	"github.com/accountd/accountd/internal/storetest"
)

// BenchmarkStore runs the store benchmarks shared with PostgreSQL
// (storetest.Benchmarks) on a fresh SQLite file each.
func BenchmarkStore(b *testing.B) {
	storetest.Benchmarks(b, func(b *testing.B) account.Store {
		db, err := sqlite.Open(filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		if _, err := db.Migrate(b.Context()); err != nil {
			b.Fatal(err)
		}
		return db.Store()
	})
}
