package main

import (
	"os"
	"testing"

	"github.com/accountd/accountd/internal/testenv"
)

// TestMain says, after a plain go test, which tests were skipped and why.
func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }
