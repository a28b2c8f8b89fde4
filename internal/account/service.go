package account

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"runtime"
	"strings"
	"time"

	"github.com/accountd/accountd/internal/password"
)

// Config holds the business settings of the Service.
type Config struct {
	// DashboardURL is the base of the links in emails, without a final "/".
	DashboardURL string
	// ResetTokenTTL is how long a reset link works.
	ResetTokenTTL time.Duration
	// ResetEmailsPerHour caps reset emails per address (silently).
	ResetEmailsPerHour int
	// KeepAPIKeysOnReset keeps API keys valid when a password is reset.
	KeepAPIKeysOnReset bool
	// NotifyUnknownAddress sends an address without an account a notice
	// that someone asked for a reset for it, under the same hourly cap.
	NotifyUnknownAddress bool
	// MailDomain is the right-hand side of generated Message-IDs.
	MailDomain string
	Policy     password.Policy
	// HashConcurrency bounds the argon2id computations running at once
	// (each costs about 19 MiB and tens of milliseconds) [number of CPUs].
	HashConcurrency int
	// HashWait is how long a request waits for a hashing slot before it is
	// answered 503 [5s].
	HashWait time.Duration
	// Breached, when set, says whether a password is in a breached-password
	// corpus (SPEC §3 rule 6, off by default).
	Breached interface {
		Breached(ctx context.Context, password string) bool
	}
	// OnEvent, when set, is called with the type of every audit event
	// recorded (a metrics hook).
	OnEvent func(typ string)
	// Secrets seals the secrets of outgoing mail before they are stored;
	// required (NewService panics without it: no configuration may store
	// raw tokens).
	Secrets SecretBox
}

// Client describes who sent a request, for audit events and emails.
type Client struct {
	IP        string
	UserAgent string
	Locale    string
}

// Service holds every business rule of accountd.
type Service struct {
	store  Store
	hasher *password.Hasher
	cfg    Config
	now    func() time.Time
	// wake tells the mail worker that a mail was queued; may be nil.
	wake func()
	// slots holds one token per running password hash computation.
	slots chan struct{}
}

// NewService returns a Service. now is the clock; wake, when not nil, is
// called after a mail was queued.
func NewService(store Store, hasher *password.Hasher, cfg Config, now func() time.Time, wake func()) *Service {
	if cfg.Secrets == nil {
		panic("account: NewService needs Config.Secrets")
	}
	cfg.DashboardURL = strings.TrimRight(cfg.DashboardURL, "/")
	if cfg.ResetTokenTTL <= 0 {
		cfg.ResetTokenTTL = time.Hour
	}
	if cfg.MailDomain == "" {
		cfg.MailDomain = "accountd.localhost"
	}
	if cfg.Policy.MinLength == 0 {
		cfg.Policy = password.DefaultPolicy()
	}
	if wake == nil {
		wake = func() {}
	}
	if cfg.HashConcurrency <= 0 {
		cfg.HashConcurrency = runtime.NumCPU()
	}
	if cfg.HashWait <= 0 {
		cfg.HashWait = 5 * time.Second
	}
	return &Service{store: store, hasher: hasher, cfg: cfg, now: now, wake: wake,
		slots: make(chan struct{}, cfg.HashConcurrency)}
}

// Ready reports whether the store answers with a current schema.
func (s *Service) Ready(ctx context.Context) error { return s.store.Ping(ctx) }

// clock returns the current time in UTC, truncated to microseconds: the
// precision every backend keeps, so what is written is what is read back.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// newMail returns an outbox row with a fresh, stable Message-ID, the
// secrets of its data sealed as its kind declares (mail.go).
func (s *Service) newMail(kind, to string, c Client, data map[string]string) *Mail {
	b := make([]byte, 16)
	rand.Read(b)
	now := s.clock()
	m := &Mail{
		Kind: kind, To: to, Locale: c.Locale, Data: data, Status: MailQueued,
		MessageID: "<" + hex.EncodeToString(b) + "@" + s.cfg.MailDomain + ">",
		CreatedAt: now, NextAt: now,
	}
	s.sealMail(m)
	return m
}

// event records an audit event through st, the store or a transaction. On
// failure paths callers ignore its error: audit there is best
// effort, and a lost event must not turn a 400 into a 503.
func (s *Service) event(ctx context.Context, st Store, typ string, userID int64, email string, c Client, detail string) error {
	if s.cfg.OnEvent != nil {
		s.cfg.OnEvent(typ)
	}
	return st.AddEvent(ctx, &Event{Time: s.clock(), Type: typ, UserID: userID, Email: email, EmailKey: EmailKey(email),
		IP: c.IP, UserAgent: truncate(c.UserAgent, 512), Detail: detail})
}

// issueToken creates a login token for the user and returns its value.
func (s *Service) issueToken(ctx context.Context, st Store, userID int64, kind TokenKind, label string) (string, Token, error) {
	raw := NewToken()
	t := Token{UserID: userID, Kind: kind, Hash: HashSecret(raw), Label: label, CreatedAt: s.clock()}
	if err := st.CreateToken(ctx, &t); err != nil {
		return "", Token{}, err
	}
	return raw, t, nil
}

// checkPassword applies the password rules, reporting failures on field.
// The breached-password check, a network call, runs only for a password
// that passes the others.
func (s *Service) checkPassword(ctx context.Context, field, pw, email string) []FieldError {
	var out []FieldError
	for _, v := range s.cfg.Policy.Check(pw, email) {
		out = append(out, FieldError{Field: field, Code: v.Code, Message: v.Message})
	}
	if len(out) == 0 && s.cfg.Breached != nil && s.cfg.Breached.Breached(ctx, pw) {
		out = append(out, FieldError{Field: field, Code: "password_breached",
			Message: "This password has appeared in a data breach. Please choose another."})
	}
	return out
}

// errBusy answers a request that found no hashing slot in time.
var errBusy = &Error{Kind: KindUnavailable, Code: "unavailable",
	Message: "The service is busy, please try again later."}

// hashing runs fn, which hashes or verifies a password, once a slot is
// free: a burst of logins queues instead of exhausting memory, and a request
// that waits too long is answered 503.
func (s *Service) hashing(ctx context.Context, fn func()) error {
	t := time.NewTimer(s.cfg.HashWait)
	defer t.Stop()
	select {
	case s.slots <- struct{}{}:
	case <-t.C:
		return errBusy
	case <-ctx.Done():
		return errBusy
	}
	defer func() { <-s.slots }()
	fn()
	return nil
}

// hash hashes a password, reporting failure as Unavailable.
func (s *Service) hash(ctx context.Context, pw string) (h string, err error) {
	if werr := s.hashing(ctx, func() { h, err = s.hasher.Hash(pw) }); werr != nil {
		return "", werr
	}
	if err != nil {
		return "", Unavailable(err)
	}
	return h, nil
}

// verify checks a password against a stored hash within a hashing slot.
func (s *Service) verify(ctx context.Context, pw, encoded string) (ok, rehash bool, err error) {
	if werr := s.hashing(ctx, func() { ok, rehash, err = s.hasher.Verify(pw, encoded) }); werr != nil {
		return false, false, werr
	}
	if err != nil {
		return false, false, nil // an unreadable stored hash matches nothing
	}
	return ok, rehash, nil
}

// isNotFound reports whether err is the store's ErrNotFound.
func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
