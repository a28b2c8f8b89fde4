package account_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accountd/accountd/internal/account"
)

// Token lifetimes and the record of use (docs/api.md#sessions), on a fake clock.

const day = 24 * time.Hour

// lifetimes sets the idle and absolute lifetimes of login tokens.
func lifetimes(idle, maxTTL time.Duration) func(*account.Config, *account.Store) {
	return func(c *account.Config, _ *account.Store) { c.TokenIdleTTL, c.TokenMaxTTL = idle, maxTTL }
}

// authErr authenticates tok and returns the error.
func (r *rules) authErr(tok string) error {
	r.t.Helper()
	_, _, err := r.svc.Authenticate(r.ctx, tok)
	return err
}

func TestLoginTokenExpiresWhenIdle(t *testing.T) {
	r := newRules(t, lifetimes(14*day, 0))
	tok := r.register("ada@example.com")
	r.clock.Advance(14*day - time.Second)
	if err := r.authErr(tok); err != nil {
		t.Fatalf("Authenticate after 14 days less a second idle = %v, want nil", err)
	}
	r.clock.Advance(14*day - time.Second) // used a moment ago: the idle time starts again
	if err := r.authErr(tok); err != nil {
		t.Fatalf("Authenticate 14 days less a second after its last use = %v, want nil", err)
	}
	r.clock.Advance(14 * day)
	if err := r.authErr(tok); !errors.Is(err, account.ErrInvalidToken) {
		t.Errorf("Authenticate after 14 days idle = %v, want ErrInvalidToken", err)
	}
}

func TestLoginTokenExpiresAtItsAbsoluteLifetime(t *testing.T) {
	r := newRules(t, lifetimes(14*day, 30*day))
	tok := r.register("ada@example.com")
	for range 3 { // used every 10 days: never idle for long
		r.clock.Advance(10*day - time.Second)
		if err := r.authErr(tok); err != nil {
			t.Fatalf("Authenticate while in use, before 30 days = %v, want nil", err)
		}
	}
	r.clock.Advance(3 * time.Second)
	if err := r.authErr(tok); !errors.Is(err, account.ErrInvalidToken) {
		t.Errorf("Authenticate 30 days after issue = %v, want ErrInvalidToken", err)
	}
}

func TestZeroLifetimesNeverExpire(t *testing.T) {
	r := newRules(t, lifetimes(0, 0))
	tok := r.register("ada@example.com")
	r.clock.Advance(1000 * day)
	if err := r.authErr(tok); err != nil {
		t.Errorf("Authenticate after 1000 days with lifetimes 0 = %v, want nil", err)
	}
}

func TestAPIKeysNeverExpire(t *testing.T) {
	r := newRules(t, lifetimes(time.Hour, time.Hour))
	_, u := r.caller(r.register("ada@example.com"))
	_, key, err := r.svc.CreateAPIKey(r.ctx, u, "backup", rulesClient)
	if err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(100 * day)
	if err := r.authErr(key); err != nil {
		t.Errorf("Authenticate an API key after 100 days unused = %v, want nil", err)
	}
}

// touchCounter counts the writes of a token's use.
type touchCounter struct {
	account.Store
	n *atomic.Int64
}

func (c touchCounter) TouchToken(ctx context.Context, id int64, at, staleBefore time.Time) error {
	c.n.Add(1)
	return c.Store.TouchToken(ctx, id, at, staleBefore)
}

func (c touchCounter) InTx(ctx context.Context, fn func(tx account.Store) error) error {
	return c.Store.InTx(ctx, func(tx account.Store) error { return fn(touchCounter{tx, c.n}) })
}

// TestUseIsWrittenAtMostOnceAMinute: a token used many times a minute costs
// one write a minute, and the list shows the last recorded use.
func TestUseIsWrittenAtMostOnceAMinute(t *testing.T) {
	var writes atomic.Int64
	r := newRules(t, lifetimes(14*day, 30*day), func(_ *account.Config, st *account.Store) {
		*st = touchCounter{*st, &writes}
	})
	tok := r.register("ada@example.com")
	issued := r.clock.Now()
	for range 59 {
		r.clock.Advance(time.Second)
		r.caller(tok)
	}
	if n := writes.Load(); n != 0 {
		t.Errorf("59 uses within the first minute wrote the use %d times, want 0", n)
	}
	r.clock.Advance(time.Second)
	cur, _ := r.caller(tok)
	r.clock.Advance(time.Second)
	r.caller(tok)
	if n := writes.Load(); n != 1 {
		t.Errorf("uses at 60 s and 61 s wrote the use %d times, want 1", n)
	}
	sessions, _, err := r.svc.Sessions(r.ctx, cur, 0, 10)
	if err != nil || len(sessions) != 1 {
		t.Fatalf("Sessions = %v, %v; want one", sessions, err)
	}
	if want := issued.Add(time.Minute); !sessions[0].LastUsedAt.Equal(want) {
		t.Errorf("LastUsedAt = %v, want %v (the use at 60 s)", sessions[0].LastUsedAt, want)
	}
	if want := issued.Add(time.Minute + 14*day); !sessions[0].ExpiresAt.Equal(want) {
		t.Errorf("ExpiresAt = %v, want %v (14 days after the last recorded use)", sessions[0].ExpiresAt, want)
	}
}

// TestExpiresAtIsTheEarlierEnd: expires_at is min(idle, absolute).
func TestExpiresAtIsTheEarlierEnd(t *testing.T) {
	r := newRules(t, lifetimes(14*day, 30*day))
	tok := r.register("ada@example.com")
	issued := r.clock.Now()
	r.clock.Advance(10 * day)
	r.caller(tok)
	r.clock.Advance(10 * day)
	cur, _ := r.caller(tok)
	sessions, _, err := r.svc.Sessions(r.ctx, cur, 0, 10)
	if err != nil || len(sessions) != 1 {
		t.Fatalf("Sessions = %v, %v; want one", sessions, err)
	}
	if want := issued.Add(30 * day); !sessions[0].ExpiresAt.Equal(want) {
		t.Errorf("ExpiresAt after uses at 10 and 20 days = %v, want the absolute end %v", sessions[0].ExpiresAt, want)
	}
}
