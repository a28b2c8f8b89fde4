package sqlite_test

import (
	"testing"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/storetest"
	"github.com/accountd/accountd/internal/testdb"
)

// BenchmarkStore runs the store benchmarks shared with PostgreSQL
// (storetest.Benchmarks) on a fresh SQLite file each.
func BenchmarkStore(b *testing.B) {
	storetest.Benchmarks(b, func(b *testing.B) account.Store { return testdb.SQLiteStore(b) })
}
