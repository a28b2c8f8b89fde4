package account_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/password"
	"github.com/accountd/accountd/internal/secretbox"
	"github.com/accountd/accountd/internal/testdb"
)

// TestCollectAfterHashFreesTheBuffer: with CollectAfterHash, the argon2id
// buffer of a hash is gone from the heap once the request has its answer,
// so hashes in a row never hold more than one buffer per slot (what keeps
// peak RSS under hashing load low, docs/benchmarks.md).
func TestCollectAfterHashFreesTheBuffer(t *testing.T) {
	const bufKiB = 16 << 10 // 16 MiB, far above the rest of this test's heap
	hasher := password.NewHasher(password.Params{Memory: bufKiB, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16})
	svc := account.NewService(testdb.SQLiteStore(t), hasher, account.Config{DashboardURL: "https://dash.example.com",
		Policy: password.DefaultPolicy(), Secrets: secretbox.NewRandom(), CollectAfterHash: true}, time.Now, nil)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, _, err := svc.Register(t.Context(), account.RegisterInput{Email: "ada@example.com",
		Password: "Correct-Horse-7391", TOSAccepted: true}, account.Client{IP: "203.0.113.7"}); err != nil {
		t.Fatal(err)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown >= bufKiB<<10 {
		t.Errorf("the heap grew by %d MiB over a registration: the %d MiB hash buffer is still there",
			grown>>20, bufKiB>>10)
	}
}
