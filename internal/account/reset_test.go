package account_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/password"
	"github.com/accountd/accountd/internal/secretbox"
	"github.com/accountd/accountd/internal/testdb"
)

// rfLog is the list of Store methods called, shared by a recording store and
// the transaction stores it hands out.
type rfLog struct {
	mu    sync.Mutex
	calls []string
}

func (l *rfLog) add(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, name)
}

// take returns the calls recorded so far and forgets them.
func (l *rfLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.calls
	l.calls = nil
	return out
}

// rfRecordingStore is a real account.Store that records the name of every
// method called on it, and on the stores InTx passes to its fn.
type rfRecordingStore struct {
	account.Store
	log *rfLog
}

var _ account.Store = rfRecordingStore{}

func (r rfRecordingStore) InTx(ctx context.Context, fn func(tx account.Store) error) error {
	r.log.add("InTx")
	return r.Store.InTx(ctx, func(tx account.Store) error {
		return fn(rfRecordingStore{Store: tx, log: r.log})
	})
}

func (r rfRecordingStore) Ping(ctx context.Context) error {
	r.log.add("Ping")
	return r.Store.Ping(ctx)
}

func (r rfRecordingStore) CreateUser(ctx context.Context, u *account.User) error {
	r.log.add("CreateUser")
	return r.Store.CreateUser(ctx, u)
}

func (r rfRecordingStore) UserByID(ctx context.Context, id int64) (account.User, error) {
	r.log.add("UserByID")
	return r.Store.UserByID(ctx, id)
}

func (r rfRecordingStore) UserByEmailKey(ctx context.Context, key string) (account.User, error) {
	r.log.add("UserByEmailKey")
	return r.Store.UserByEmailKey(ctx, key)
}

func (r rfRecordingStore) SetPassword(ctx context.Context, userID int64, hash string, changedAt time.Time) error {
	r.log.add("SetPassword")
	return r.Store.SetPassword(ctx, userID, hash, changedAt)
}

func (r rfRecordingStore) RehashPassword(ctx context.Context, userID int64, hash string) error {
	r.log.add("RehashPassword")
	return r.Store.RehashPassword(ctx, userID, hash)
}

func (r rfRecordingStore) UpdateProfile(ctx context.Context, u account.User) error {
	r.log.add("UpdateProfile")
	return r.Store.UpdateProfile(ctx, u)
}

func (r rfRecordingStore) SetLastLogin(ctx context.Context, userID int64, t time.Time) error {
	r.log.add("SetLastLogin")
	return r.Store.SetLastLogin(ctx, userID, t)
}

func (r rfRecordingStore) SetEmailVerified(ctx context.Context, userID int64, t time.Time) error {
	r.log.add("SetEmailVerified")
	return r.Store.SetEmailVerified(ctx, userID, t)
}

func (r rfRecordingStore) CreateToken(ctx context.Context, t *account.Token) error {
	r.log.add("CreateToken")
	return r.Store.CreateToken(ctx, t)
}

func (r rfRecordingStore) TokenByHash(ctx context.Context, hash []byte) (account.Token, error) {
	r.log.add("TokenByHash")
	return r.Store.TokenByHash(ctx, hash)
}

func (r rfRecordingStore) RevokeToken(ctx context.Context, id int64, t time.Time) error {
	r.log.add("RevokeToken")
	return r.Store.RevokeToken(ctx, id, t)
}

func (r rfRecordingStore) RevokeTokens(ctx context.Context, userID, keep int64, kinds []account.TokenKind, t time.Time) error {
	r.log.add("RevokeTokens")
	return r.Store.RevokeTokens(ctx, userID, keep, kinds, t)
}

func (r rfRecordingStore) CreateResetToken(ctx context.Context, rt *account.ResetToken) error {
	r.log.add("CreateResetToken")
	return r.Store.CreateResetToken(ctx, rt)
}

func (r rfRecordingStore) ResetTokenByHash(ctx context.Context, hash []byte) (account.ResetToken, error) {
	r.log.add("ResetTokenByHash")
	return r.Store.ResetTokenByHash(ctx, hash)
}

func (r rfRecordingStore) UseResetToken(ctx context.Context, id int64, t time.Time) error {
	r.log.add("UseResetToken")
	return r.Store.UseResetToken(ctx, id, t)
}

func (r rfRecordingStore) VoidResetTokens(ctx context.Context, userID int64, t time.Time) error {
	r.log.add("VoidResetTokens")
	return r.Store.VoidResetTokens(ctx, userID, t)
}

func (r rfRecordingStore) VoidResetToken(ctx context.Context, id int64, t time.Time) error {
	r.log.add("VoidResetToken")
	return r.Store.VoidResetToken(ctx, id, t)
}

func (r rfRecordingStore) CountResetTokens(ctx context.Context, userID int64, since time.Time) (int, error) {
	r.log.add("CountResetTokens")
	return r.Store.CountResetTokens(ctx, userID, since)
}

func (r rfRecordingStore) EnqueueMail(ctx context.Context, m *account.Mail) error {
	r.log.add("EnqueueMail")
	return r.Store.EnqueueMail(ctx, m)
}

func (r rfRecordingStore) ClaimMail(ctx context.Context, now, leaseUntil time.Time, limit int) ([]account.Mail, error) {
	r.log.add("ClaimMail")
	return r.Store.ClaimMail(ctx, now, leaseUntil, limit)
}

func (r rfRecordingStore) UpdateMail(ctx context.Context, m account.Mail) error {
	r.log.add("UpdateMail")
	return r.Store.UpdateMail(ctx, m)
}

func (r rfRecordingStore) MailByID(ctx context.Context, id int64) (account.Mail, error) {
	r.log.add("MailByID")
	return r.Store.MailByID(ctx, id)
}

func (r rfRecordingStore) Mails(ctx context.Context, status account.MailStatus, limit int) ([]account.Mail, error) {
	r.log.add("Mails")
	return r.Store.Mails(ctx, status, limit)
}

func (r rfRecordingStore) SaveDevMail(ctx context.Context, m *account.DevMail) error {
	r.log.add("SaveDevMail")
	return r.Store.SaveDevMail(ctx, m)
}

func (r rfRecordingStore) DevMails(ctx context.Context, limit int) ([]account.DevMail, error) {
	r.log.add("DevMails")
	return r.Store.DevMails(ctx, limit)
}

func (r rfRecordingStore) DevMailByID(ctx context.Context, id int64) (account.DevMail, error) {
	r.log.add("DevMailByID")
	return r.Store.DevMailByID(ctx, id)
}

func (r rfRecordingStore) AddEvent(ctx context.Context, e *account.Event) error {
	r.log.add("AddEvent")
	return r.Store.AddEvent(ctx, e)
}

func (r rfRecordingStore) Events(ctx context.Context, f account.EventFilter) ([]account.Event, error) {
	r.log.add("Events")
	return r.Store.Events(ctx, f)
}

// rfNewService returns a Service on a real SQLite file whose store records
// its calls, the log, and the unwrapped store.
func rfNewService(t *testing.T) (*account.Service, *rfLog, account.Store) {
	t.Helper()
	store := testdb.SQLiteStore(t)
	log := &rfLog{}
	return rfServiceOn(t, rfRecordingStore{Store: store, log: log}), log, store
}

// rfServiceOn returns a Service on st with cheap hashing, a fixed clock and
// a cap of three reset emails per address and hour.
func rfServiceOn(t *testing.T, st account.Store) *account.Service {
	t.Helper()
	hasher := password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16})
	now := time.Date(2026, 11, 27, 13, 58, 10, 246406000, time.UTC)
	return account.NewService(st, hasher, account.Config{DashboardURL: "https://dash.example.com",
		ResetTokenTTL: time.Hour, ResetEmailsPerHour: 3, MailDomain: "example.com",
		Policy: password.DefaultPolicy(), Secrets: secretbox.NewRandom()}, func() time.Time { return now }, nil)
}

// TestRequestResetSameStoreCallsForKnownAndUnknown proves docs/architecture.md#the-reset-request-is-asynchronous: the
// request path does the same store work whether or not the address has an
// account, so nothing the caller sees can depend on it.
func TestRequestResetSameStoreCallsForKnownAndUnknown(t *testing.T) {
	ctx := context.Background()
	svc, log, store := rfNewService(t)
	const known, unknown = "ada@example.com", "nobody@example.com"
	if _, _, err := svc.Register(ctx, account.RegisterInput{Email: known, Password: "Correct-Horse-7391",
		TOSAccepted: true}, account.Client{IP: "127.0.0.1"}); err != nil {
		t.Fatalf("Register(%s) = %v, want nil", known, err)
	}
	log.take()

	c := account.Client{IP: "192.0.2.7", UserAgent: "rf-test-browser/1.0", Locale: "en"}
	if err := svc.RequestReset(ctx, known, c); err != nil {
		t.Fatalf("RequestReset(%s) = %v, want nil", known, err)
	}
	knownCalls := log.take()
	if err := svc.RequestReset(ctx, unknown, c); err != nil {
		t.Fatalf("RequestReset(%s) = %v, want nil", unknown, err)
	}
	unknownCalls := log.take()

	if diff := cmp.Diff(knownCalls, unknownCalls); diff != "" {
		t.Errorf("store calls of RequestReset differ, known (-) unknown (+):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"EnqueueMail"}, knownCalls); diff != "" {
		t.Errorf("store calls of RequestReset(%s) (-want +got):\n%s", known, diff)
	}

	// The rows queued differ only in their address and Message-ID.
	mails, err := store.Mails(ctx, account.MailQueued, 100)
	if err != nil {
		t.Fatal(err)
	}
	var resets []account.Mail
	for _, m := range mails {
		if m.Kind == account.MailResetRequest {
			resets = append(resets, m)
		}
	}
	if len(resets) != 2 {
		t.Fatalf("queued reset requests = %d, want 2 (%+v)", len(resets), mails)
	}
	slices.SortFunc(resets, func(a, b account.Mail) int { return int(a.ID - b.ID) })
	if resets[0].To != known || resets[1].To != unknown {
		t.Errorf("queued reset requests go to %q, %q, want %q, %q", resets[0].To, resets[1].To, known, unknown)
	}
	shape := func(m account.Mail) account.Mail {
		m.ID, m.To, m.MessageID = 0, "", ""
		return m
	}
	if diff := cmp.Diff(shape(resets[0]), shape(resets[1])); diff != "" {
		t.Errorf("queued reset requests differ beyond address and Message-ID, known (-) unknown (+):\n%s", diff)
	}
}
