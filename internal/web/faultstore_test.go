package web_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/web"
)

// faults says which store operations fail, and with what; tests change it
// while the server runs.
type faults struct {
	mu   sync.Mutex
	errs map[string]error
}

func (f *faults) set(op string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.errs == nil {
		f.errs = map[string]error{}
	}
	f.errs[op] = err
}

func (f *faults) err(op string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.errs[op]
}

// faultStore is a store whose operations named in f fail, in and out of
// transactions.
type faultStore struct {
	account.Store
	f *faults
}

// withFaults returns an envOptions change that makes the service's store
// fail as f says.
func withFaults(f *faults) func(*envOptions) {
	return func(o *envOptions) {
		o.WrapStore = func(s account.Store) account.Store { return faultStore{s, f} }
	}
}

func (s faultStore) InTx(ctx context.Context, fn func(tx account.Store) error) error {
	return s.Store.InTx(ctx, func(tx account.Store) error { return fn(faultStore{tx, s.f}) })
}

func (s faultStore) SetEmailVerified(ctx context.Context, userID int64, t time.Time) error {
	if err := s.f.err("SetEmailVerified"); err != nil {
		return err
	}
	return s.Store.SetEmailVerified(ctx, userID, t)
}

func (s faultStore) AddEvent(ctx context.Context, e *account.Event) error {
	if err := s.f.err("AddEvent"); err != nil {
		return err
	}
	return s.Store.AddEvent(ctx, e)
}

// TestCompleteResetStoreFaultIsNotAUsedLink: a store that fails inside the
// complete transaction with "not found" (here: marking the address
// verified) is a fault, answered 503; it is not reported as a link used
// concurrently (400), and the link still works once the store does.
func TestCompleteResetStoreFaultIsNotAUsedLink(t *testing.T) {
	f := &faults{}
	e := newEnv(t, withFaults(f))
	e.register("ada@example.com", testPassword)
	tok := e.resetToken("ada@example.com")
	body := obj{"password": "Battery-Staple-5501", "password_reset_token": tok}

	f.set("SetEmailVerified", account.ErrNotFound)
	if r := e.do("POST", "/api/v2/resetpassword/complete/", body, ""); r.Status != 503 || r.Code(t, "") != "unavailable" {
		t.Errorf("complete with a failing store = %d %s, want 503 unavailable", r.Status, r.Body)
	}
	f.set("SetEmailVerified", nil)
	if r := e.do("POST", "/api/v2/resetpassword/complete/", body, ""); r.Status != 200 {
		t.Errorf("complete once the store works = %d %s, want 200 (the link was not used)", r.Status, r.Body)
	}
}

// TestFailedAuditWriteIsReported: when the audit event of a failure path
// cannot be written, the request is answered as usual (400 for a wrong
// password) and the failure reaches Config.OnAuditError with the event type,
// the error and the request's context (main logs and counts it).
func TestFailedAuditWriteIsReported(t *testing.T) {
	type report struct {
		typ       string
		err       error
		requestID string
	}
	var (
		mu      sync.Mutex
		reports []report
	)
	f := &faults{}
	e := newEnv(t, withFaults(f), func(o *envOptions) {
		o.Config.OnAuditError = func(ctx context.Context, typ string, err error) {
			mu.Lock()
			defer mu.Unlock()
			reports = append(reports, report{typ, err, web.RequestID(ctx)})
		}
	})
	e.register("ada@example.com", testPassword)
	errDown := errors.New("events table is gone")
	f.set("AddEvent", errDown)
	r := e.do("POST", "/api/v2/login/", obj{"email": "ada@example.com", "password": "Wrong-Horse-0000", "recaptcha": "x"}, "")
	if r.Status != 400 {
		t.Errorf("login with a wrong password while audit writes fail = %d %s, want 400", r.Status, r.Body)
	}
	mu.Lock()
	defer mu.Unlock()
	want := report{"login_failed", errDown, r.Header.Get("X-Request-Id")}
	if len(reports) != 1 || reports[0] != want {
		t.Errorf("OnAuditError reports = %+v, want one: %+v", reports, want)
	}
}
