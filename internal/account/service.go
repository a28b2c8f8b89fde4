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
	"github.com/accountd/accountd/internal/twofactor"
)

// Config holds the business settings of the Service.
type Config struct {
	// DashboardURL is the base of the links in emails, without a final "/".
	DashboardURL string
	// ResetTokenTTL is how long a reset link works.
	ResetTokenTTL time.Duration
	// TokenIdleTTL ends a login token not used for this long; 0: never
	// (docs/api.md#sessions; main's default is 14 days).
	TokenIdleTTL time.Duration
	// TokenMaxTTL ends a login token this long after it was issued; 0:
	// never (main's default is 30 days). API keys never expire.
	TokenMaxTTL time.Duration
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
	// HashShare is how many of those hashes one account, or one client IP,
	// may run at once [a quarter of HashConcurrency, at least 1].
	HashShare int
	// HashQueue is how many more requests one account or IP may have
	// waiting for a slot; beyond, they are answered 429 at once [32].
	HashQueue int
	// HashShareSkipIP gives the client IP no share of its own, only the
	// account: set when the rate limits are off, since behind a proxy that
	// is not trusted every client has the proxy's IP.
	HashShareSkipIP bool
	// CollectAfterHash runs the garbage collector after each hash, before
	// its slot is given back, so the hash's argon2id buffer (19 MiB, which
	// golang.org/x/crypto/argon2 allocates anew each time and gives no way to
	// reuse) is freed before the next hash allocates its own: at most
	// HashConcurrency buffers are ever in the heap, instead of the collector
	// letting dead ones pile up to the memory limit (docs/decisions.md,
	// "One argon2id buffer per hashing slot"). Off in tests, whose hashes
	// are small.
	CollectAfterHash bool
	// OnHashBusy, when set, is called for each request refused a hashing
	// slot, with the reason: "share" (429) or "wait" (503). A metrics hook.
	OnHashBusy func(reason string)
	// Breached, when set, says whether a password is in a breached-password
	// corpus (docs/api.md#password-rules rule 6, off by default).
	Breached interface {
		Breached(ctx context.Context, password string) bool
	}
	// Limiter keeps the attempt budgets of the product's rules (password
	// failures, activation resends). Nil turns those rules off: main always
	// sets it, to the shared limiter or, with the rate limits off, to one
	// in memory.
	Limiter Limiter
	// PasswordFailures is the budget of wrong passwords
	// [DefaultPasswordFailures].
	PasswordFailures Rate
	// AddressPasswordFailures is the budget of wrong passwords for one
	// address from all networks together [DefaultAddressPasswordFailures].
	AddressPasswordFailures Rate
	// OnEvent, when set, is called with the type of every audit event
	// recorded (a metrics hook).
	OnEvent func(typ string)
	// OnAuditError, when set, is called when an audit event of a failure
	// path (a wrong password, a refused reset token) could not be written.
	// Those writes do not fail the request, and the domain does not log:
	// main logs and counts them. ctx is the request's.
	OnAuditError func(ctx context.Context, typ string, err error)
	// Secrets seals the secrets of outgoing mail before they are stored;
	// required (NewService panics without it: no configuration may store
	// raw tokens).
	Secrets SecretBox
	// TOTP verifies TOTP codes (ACCOUNTD_TOTP_SKEW); nil: the default
	// window of one step either side.
	TOTP *twofactor.TOTP
	// TOTPIssuer names the service in authenticator apps [accountd].
	TOTPIssuer string
	// EmailTwoFactor is ACCOUNTD_EMAIL_2FA: when a sign-in of an
	// email_code account starts pending (EmailTwoFactorOff, "" too;
	// EmailTwoFactorNewDevice; EmailTwoFactorAlways).
	EmailTwoFactor string
	// EmailCodes keys the HMAC of stored email codes (from
	// ACCOUNTD_SECRET_KEY); nil: a random key, good for this process only
	// (main always sets it).
	EmailCodes *twofactor.EmailCodes
	// SignInNotice emails the owner when a device not seen signing in for
	// 90 days signs in with a password (ACCOUNTD_SIGNIN_NOTICE; main's
	// default is on).
	SignInNotice bool
	// DeviceBrowser names the browser family and system of a User-Agent,
	// without versions, for the device key of new_device and the notice
	// (main: mail.BrowserFamily); nil: the User-Agent itself.
	DeviceBrowser func(userAgent string) string
	// Social holds the configured sign-in providers by the name requests
	// give ("google"); a name not in it is 400 provider/invalid_choice.
	Social map[string]SocialConfig
	// FederatedAccess is ACCOUNTD_FEDERATED_ACCESS: how far staff may act
	// as other accounts [FederationOff].
	FederatedAccess Federation
	// PrincipalCacheTTL is how long Introspect (forward auth, token
	// introspection) may keep an answer (ACCOUNTD_FORWARD_AUTH_CACHE;
	// principalcache.go). 0 turns the cache off; main's default is
	// DefaultPrincipalCacheTTL.
	PrincipalCacheTTL time.Duration
	// OnPrincipalsChanged, when set, is called after a write of this
	// process emptied the principal cache, for main to tell the other
	// nodes (which call ForgetPrincipals).
	OnPrincipalsChanged func()
}

// Client describes who sent a request, for audit events and emails.
type Client struct {
	IP string
	// Network is the key of the client's network for per-client limits
	// (the IPv4 address, the IPv6 /64); empty means IP.
	Network   string
	UserAgent string
	Locale    string
}

// Hasher hashes and verifies passwords: *password.Hasher.
type Hasher interface {
	Hash(pw string) (string, error)
	Verify(pw, encoded string) (ok, needsRehash bool, err error)
	VerifyDummy(pw string) bool
}

// Service holds every business rule of accountd.
type Service struct {
	store  Store
	hasher Hasher
	cfg    Config
	now    func() time.Time
	// wake tells the mail worker that a mail was queued; may be nil.
	wake func()
	// slots hands out the password hash computations that may run at once.
	slots *hashSlots
	// principals keeps Introspect's answers; nil when the cache is off.
	principals *principalCache
}

// NewService returns a Service. now is the clock; wake, when not nil, is
// called after a mail was queued.
func NewService(store Store, hasher Hasher, cfg Config, now func() time.Time, wake func()) *Service {
	if cfg.Secrets == nil {
		panic("account: NewService needs Config.Secrets")
	}
	cfg.DashboardURL = strings.TrimRight(cfg.DashboardURL, "/")
	if cfg.ResetTokenTTL <= 0 {
		cfg.ResetTokenTTL = time.Hour
	}
	if cfg.TOTP == nil {
		p, _ := twofactor.NewTOTP(twofactor.DefaultWindow)
		cfg.TOTP = &p
	}
	if cfg.EmailCodes == nil {
		key := make([]byte, 32)
		rand.Read(key)
		cfg.EmailCodes, _ = twofactor.NewEmailCodes(key) // 32 bytes: never an error
	}
	if cfg.TOTPIssuer == "" {
		cfg.TOTPIssuer = "accountd"
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
	if cfg.PasswordFailures.N <= 0 || cfg.PasswordFailures.Per <= 0 {
		cfg.PasswordFailures = DefaultPasswordFailures
	}
	if cfg.AddressPasswordFailures.N <= 0 || cfg.AddressPasswordFailures.Per <= 0 {
		cfg.AddressPasswordFailures = DefaultAddressPasswordFailures
	}
	if cfg.HashWait <= 0 {
		cfg.HashWait = 5 * time.Second
	}
	if cfg.HashShare <= 0 {
		cfg.HashShare = max(1, cfg.HashConcurrency/4)
	}
	if cfg.HashQueue <= 0 {
		cfg.HashQueue = 32
	}
	s := &Service{hasher: hasher, cfg: cfg, now: now, wake: wake,
		slots: newHashSlots(cfg.HashConcurrency, cfg.HashShare, cfg.HashQueue)}
	if cfg.PrincipalCacheTTL > 0 {
		s.principals = newPrincipalCache(cfg.PrincipalCacheTTL)
	}
	s.store = invalidatingStore{Store: store, changed: s.principalsChanged}
	return s
}

// principalsChanged runs after every write that could change an answer of
// Introspect (invalidating_store.go).
func (s *Service) principalsChanged() {
	s.principals.forget()
	if s.cfg.OnPrincipalsChanged != nil {
		s.cfg.OnPrincipalsChanged()
	}
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
// failure paths callers use bestEffortEvent instead.
func (s *Service) event(ctx context.Context, st Store, typ string, userID int64, email string, c Client, detail string) error {
	if s.cfg.OnEvent != nil {
		s.cfg.OnEvent(typ)
	}
	return st.AddEvent(ctx, &Event{Time: s.clock(), Type: typ, UserID: userID, Email: email, EmailKey: EmailKey(email),
		IP: c.IP, UserAgent: truncate(c.UserAgent, 512), Detail: detail})
}

// bestEffortEvent records an audit event of a failure path. Its error does
// not reach the caller (a lost event must not turn a 400 into a 503) but is
// reported to Config.OnAuditError, so a failing audit log is seen.
func (s *Service) bestEffortEvent(ctx context.Context, typ string, userID int64, email string, c Client, detail string) {
	if err := s.event(ctx, s.store, typ, userID, email, c, detail); err != nil && s.cfg.OnAuditError != nil {
		s.cfg.OnAuditError(ctx, typ, err)
	}
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

// hashing runs fn, which hashes or verifies a password, once a slot is free
// for who asks: a burst of logins queues instead of exhausting memory, a
// request that waits too long is answered 503, and one account or IP past
// its share is answered 429 (hashslots.go).
func (s *Service) hashing(ctx context.Context, who asker, fn func()) error {
	keys := keysOf(who, s.cfg.HashShareSkipIP)
	if err := s.slots.acquire(ctx, keys, s.cfg.HashWait); err != nil {
		s.hashBusy(err)
		return err
	}
	defer s.slots.release(keys)
	fn()
	if s.cfg.CollectAfterHash {
		runtime.GC()
	}
	return nil
}

// hashBusy reports a refused hashing slot to the metrics hook.
func (s *Service) hashBusy(err error) {
	if s.cfg.OnHashBusy == nil {
		return
	}
	reason := "wait"
	if err == errHashShare {
		reason = "share"
	}
	s.cfg.OnHashBusy(reason)
}

// hash hashes a password for who asks, reporting failure as Unavailable.
func (s *Service) hash(ctx context.Context, who asker, pw string) (h string, err error) {
	if werr := s.hashing(ctx, who, func() { h, err = s.hasher.Hash(pw) }); werr != nil {
		return "", werr
	}
	if err != nil {
		return "", Unavailable(err)
	}
	return h, nil
}

// errPasswordUnchanged refuses a new password equal to the current one.
func errPasswordUnchanged(field string) error {
	return InvalidFields([]FieldError{{Field: field, Code: "password_unchanged",
		Message: "The new password must differ from the current one."}})
}

// hashNew hashes pw for an account whose current hash is current, refusing
// (same true) a pw that current already verifies. The check and the hash
// share one hashing slot, so it costs one more verify, not one more wait.
func (s *Service) hashNew(ctx context.Context, who asker, pw, current string) (h string, same bool, err error) {
	werr := s.hashing(ctx, who, func() {
		if ok, _, verr := s.hasher.Verify(pw, current); verr == nil && ok {
			same = true
			return
		}
		h, err = s.hasher.Hash(pw)
	})
	if werr != nil {
		return "", false, werr
	}
	if err != nil {
		return "", false, Unavailable(err)
	}
	return h, same, nil
}

// verify checks a password against a stored hash for who asks. An account
// without a password (made by a social sign-in) costs the same hashing
// work as a wrong password, so the answer cannot tell it apart (see
// docs/api.md#social-login).
func (s *Service) verify(ctx context.Context, who asker, pw, encoded string) (ok, rehash bool, err error) {
	if encoded == "" {
		if werr := s.hashing(ctx, who, func() { s.hasher.VerifyDummy(pw) }); werr != nil {
			return false, false, werr
		}
		return false, false, nil
	}
	if werr := s.hashing(ctx, who, func() { ok, rehash, err = s.hasher.Verify(pw, encoded) }); werr != nil {
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
