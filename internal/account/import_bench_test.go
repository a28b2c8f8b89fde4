package account_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/testdb"
)

// importBenchHash is one argon2id hash with the default parameters, the
// one scripts/gen-import-users.sh writes.
const importBenchHash = "$argon2id$v=19$m=19456,t=2,p=1$gmWb76gMQ/+3J0AeELayLQ$Al+qzXJDyBGOAsMP32lLBFedmN3IHnhc1BwNY26NP4A"

// importBenchFile returns n lines as scripts/gen-import-users.sh writes
// them, the addresses starting at from.
func importBenchFile(from, n int) []byte {
	var b bytes.Buffer
	for i := from; i < from+n; i++ {
		fmt.Fprintf(&b, `{"email":"user%07d@example.com","password_hash":"%s","first_name":"User","last_name":"N%d","created_at":"2019-05-01T12:00:00Z","email_verified":%v}`+"\n",
			i, importBenchHash, i, i%2 == 1)
	}
	return b.Bytes()
}

// BenchmarkImportLine: decoding and checking one line, without the store.
func BenchmarkImportLine(b *testing.B) {
	line := bytes.TrimSpace(importBenchFile(0, 1))
	for b.Loop() {
		l, err := account.DecodeImportLine(line)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := l.User(importNow); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkImportSQLite: lines imported into a SQLite file; ns/op is per
// line.
func BenchmarkImportSQLite(b *testing.B) {
	svc := importService(testdb.SQLiteStore(b))
	const chunk = 10_000
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		file := importBenchFile(i*chunk, chunk)
		b.StartTimer()
		sum, err := svc.ImportUsers(b.Context(), bytes.NewReader(file), account.ImportOptions{})
		if err != nil || sum.Imported != chunk {
			b.Fatalf("ImportUsers = %+v, %v", sum, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*chunk), "ns/line")
}
