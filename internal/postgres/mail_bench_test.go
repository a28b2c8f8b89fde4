package postgres_test

import (
	"testing"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/postgres"
	"github.com/accountd/accountd/internal/storetest"
	"github.com/accountd/accountd/internal/testdb"
)

// BenchmarkStore runs the store benchmarks shared with SQLite
// (storetest.Benchmarks), each in a schema of its own (TestSchema); they
// need ACCOUNTD_TEST_POSTGRES_URL.
func BenchmarkStore(b *testing.B) {
	storetest.Benchmarks(b, func(b *testing.B) account.Store {
		db, err := postgres.Open(b.Context(), testdb.PostgresSchema(b))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(db.Close)
		if _, err := db.Migrate(b.Context()); err != nil {
			b.Fatal(err)
		}
		return db.Store()
	})
}
