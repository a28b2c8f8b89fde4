package main

import (
	"context"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// goroutinesIn counts the goroutines whose stack holds fn.
func goroutinesIn(fn string) int {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Count(string(buf[:n]), fn)
		}
		buf = make([]byte, 2*len(buf))
	}
}

// TestOperatorCommandsCloseWhatTheyOpen: each one-shot command builds the
// whole app (store, service, mail recorder, senders) and must close all of
// it when it returns, on success and on failure: the mail recorder's
// batching goroutine (groupcommit) stops before the command returns.
func TestOperatorCommandsCloseWhatTheyOpen(t *testing.T) {
	vars := map[string]string{"ACCOUNTD_DATABASE_URL": filepath.Join(t.TempDir(), "a.db")}
	getenv := func(k string) string { return vars[k] }
	ctx := context.Background()
	if err := run(ctx, []string{"migrate"}, getenv, io.Discard, io.Discard); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	const loop = "groupcommit.(*Batcher[...]).loop"
	before := goroutinesIn(loop)
	for _, args := range [][]string{
		{"mail", "list"}, {"mail", "retry", "12345"}, {"audit"}, {"purge"},
		{"reset-link", "-dev", "nobody@example.com"},
	} {
		_ = run(ctx, args, getenv, io.Discard, io.Discard) // some fail on purpose
		if after := goroutinesIn(loop); after != before {
			t.Errorf("after accountd %s: %d batching goroutines run, want %d (the app was not closed)",
				strings.Join(args, " "), after, before)
			before = after
		}
	}
}
