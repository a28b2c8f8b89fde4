// Package storetest holds the conformance suite that every account.Store
// implementation passes (docs/architecture.md#storage). It is for tests only: Run is called from
// the _test.go files of the backends. It imports only the account package of
// this project.
package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accountd/accountd/internal/account"
)

// base is the fixed "now" of the suite. Its sub-second part is a whole
// number of microseconds, the precision every store keeps.
var base = time.Date(2026, 11, 27, 13, 58, 10, 246406000, time.UTC)

// elsewhere is a zone that is not UTC: times given to a store in it must come
// back as the same instant in UTC.
var elsewhere = time.FixedZone("UTC+05:30", 5*3600+30*60)

// at returns base moved by d.
func at(d time.Duration) time.Time { return base.Add(d) }

// Run runs the conformance suite against stores made by open; each subtest
// gets a fresh, empty, migrated store.
func Run(t *testing.T, open func(t *testing.T) account.Store) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"User", userTests},
		{"Import", importTests},
		{"Token", tokenTests},
		{"Session", sessionTests},
		{"ResetToken", resetTests},
		{"AccountState", accountStateTests},
		{"EmailChange", emailChangeTests},
		{"Activation", activationTests},
		{"APIKey", apiKeyTests},
		{"Purge", purgeTests},
		{"InTx", txTests},
		{"Mail", mailTests},
		{"DevMail", devMailTests},
		{"Event", eventTests},
		{"TwoFactor", twoFactorTests},
		{"SignIn", signInTests},
		{"Social", socialTests},
		{"Operator", operatorTests},
		{"Ping", pingTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) { tc.run(t, open(t)) })
			}
		})
	}
}

// test is one subtest of the suite.
type test struct {
	name string
	run  func(t *testing.T, s account.Store)
}

var pingTests = []test{
	{"MigratedStoreAnswers", func(t *testing.T, s account.Store) {
		if err := s.Ping(t.Context()); err != nil {
			t.Errorf("Ping() = %v, want nil", err)
		}
	}},
}

// wantErr fails the test unless errors.Is(err, target). call names the call
// for the message.
func wantErr(t *testing.T, call string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s error = %v, want %v", call, err, target)
	}
}

// noErr stops the test if err is not nil.
func noErr(t *testing.T, call string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s error = %v, want nil", call, err)
	}
}

// diff fails the test if got differs from want.
func diff(t *testing.T, call string, got, want any, opts ...cmp.Option) {
	t.Helper()
	if d := cmp.Diff(want, got, opts...); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", call, d)
	}
}

// utc fails the test unless every time is in UTC: stores hand back UTC so
// that formatting never depends on the server's zone.
func utc(t *testing.T, call string, times ...time.Time) {
	t.Helper()
	for i, tm := range times {
		if tm.Location() != time.UTC {
			t.Errorf("%s time #%d = %v, want it in UTC", call, i, tm)
		}
	}
}

// ids returns the ID of each element, in order.
func ids[T any](xs []T, id func(T) int64) []int64 {
	out := make([]int64, 0, len(xs))
	for _, x := range xs {
		out = append(out, id(x))
	}
	return out
}

// oneWinner calls use(id) from several goroutines at once, checks that
// exactly one succeeds and the others get ErrNotFound, and returns the time
// the winner gave.
func oneWinner(t *testing.T, name string, id int64, use func(ctx context.Context, id int64, t time.Time) error) time.Time {
	t.Helper()
	const callers = 20
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() { errs[i] = use(t.Context(), id, at(time.Duration(i)*time.Second)) })
	}
	wg.Wait()
	var winners []int
	for i, err := range errs {
		switch {
		case err == nil:
			winners = append(winners, i)
		case !errors.Is(err, account.ErrNotFound):
			t.Errorf("%s(%d) by caller %d = %v, want nil or ErrNotFound", name, id, i, err)
		}
	}
	if len(winners) != 1 {
		t.Fatalf("%s(%d) by %d concurrent callers: %d got nil, want 1", name, id, callers, len(winners))
	}
	return at(time.Duration(winners[0]) * time.Second)
}
