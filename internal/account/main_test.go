package account_test

import (
	"os"
	"testing"

	"github.com/accountd/accountd/internal/testenv"
)

// TestMain says, after a plain go test, which PostgreSQL tests were
// skipped.
func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }
