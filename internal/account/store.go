package account

import (
	"context"
	"time"
)

// ResetToken is one password reset token. Only the SHA-256 of its value is
// stored.
type ResetToken struct {
	ID        int64
	UserID    int64
	Hash      []byte
	Email     string // the address the link was sent to
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero until used
	VoidedAt  time.Time // zero unless voided (another token used, cancelled, password changed)
}

// MailStatus is the delivery state of a queued email.
type MailStatus string

// Mail states.
const (
	MailQueued     MailStatus = "queued"
	MailSent       MailStatus = "sent"
	MailDead       MailStatus = "dead"
	MailSuppressed MailStatus = "suppressed" // resolved to nothing to send (unknown address, cap)
)

// Mail kinds, each declared with its template and its secret keys in
// MailKinds (mail.go). MailResetRequest is resolved by the worker (DESIGN
// §4) into MailResetLink or into nothing.
const (
	MailResetRequest    = "reset_request"
	MailResetLink       = "reset_link"
	MailPasswordChanged = "password_changed"
	// MailResetNoAccount tells an address without an account that someone
	// asked for a reset for it (optional, off by default).
	MailResetNoAccount = "reset_no_account"
)

// Mail is one row of the outbox: an email to send, written in the same
// transaction as the change that causes it.
type Mail struct {
	ID        int64
	Kind      string
	To        string
	Locale    string
	Data      map[string]string
	MessageID string // stable across retries
	Status    MailStatus
	Attempts  int
	LastError string
	CreatedAt time.Time
	NextAt    time.Time // not claimed before this time
	SentAt    time.Time
	// Lease is set by ClaimMail to the end of the claim (the NextAt it
	// wrote). UpdateMail of a mail with a Lease writes only while that claim
	// holds (status queued, next_at unchanged) and is ErrLeaseLost
	// otherwise, so a worker whose claim ran out cannot overwrite the
	// mail another worker has claimed since. Not stored.
	Lease time.Time
}

// MailStats describes the outbox for metrics and operators.
type MailStats struct {
	Queued, Dead int
	// OldestQueued is when the oldest queued mail was queued; zero if none.
	OldestQueued time.Time
}

// DevMail is an email kept in the database by the development sender.
type DevMail struct {
	ID        int64
	MessageID string
	To        string
	Subject   string
	Text      string
	HTML      string
	CreatedAt time.Time
}

// Event is one audit event.
type Event struct {
	ID        int64
	Time      time.Time
	Type      string
	UserID    int64 // 0 when unknown
	Email     string
	EmailKey  string // EmailKey(Email), for filtering
	IP        string
	UserAgent string
	Detail    string
}

// EventFilter selects audit events.
type EventFilter struct {
	EmailKey string    // "" for any
	Since    time.Time // zero for any
	Limit    int

	// UserID selects an account's events (0 for any); with EmailKey too,
	// an event matching either is selected.
	UserID int64
}

// Store is the persistence the Service needs. Methods take ctx first, do one
// statement or a few, and hold no rules. "Not found" is ErrNotFound, a
// uniqueness violation ErrConflict.
type Store interface {
	// InTx runs fn in one transaction; fn's Store sees and writes within it.
	InTx(ctx context.Context, fn func(tx Store) error) error
	// Ping reports whether the database answers and its schema is current.
	Ping(ctx context.Context) error

	CreateUser(ctx context.Context, u *User) error
	UserByID(ctx context.Context, id int64) (User, error)
	UserByEmailKey(ctx context.Context, key string) (User, error)
	SetPassword(ctx context.Context, userID int64, hash string, changedAt time.Time) error
	// RehashPassword replaces the hash without counting as a password change.
	RehashPassword(ctx context.Context, userID int64, hash string) error
	UpdateProfile(ctx context.Context, u User) error
	SetLastLogin(ctx context.Context, userID int64, t time.Time) error
	SetEmailVerified(ctx context.Context, userID int64, t time.Time) error
	// SetEmail changes the user's address (verified) and records when;
	// ErrConflict when another account has the key.
	SetEmail(ctx context.Context, userID int64, email, key string, t time.Time) error
	SetActivationSent(ctx context.Context, userID int64, t time.Time) error
	// MarkDeleted marks the user deleted at t.
	MarkDeleted(ctx context.Context, userID int64, t time.Time) error
	// PurgeDeleted erases the users deleted before t: their tokens, codes and
	// personal data; the address is freed. It returns how many it purged.
	PurgeDeleted(ctx context.Context, before time.Time) (int, error)

	CreateToken(ctx context.Context, t *Token) error
	TokenByHash(ctx context.Context, hash []byte) (Token, error)
	// APIKeys lists the user's valid API keys, oldest first, and counts all.
	APIKeys(ctx context.Context, userID int64, offset, limit int) ([]Token, int, error)
	// APIKey returns a valid API key of the user; ErrNotFound otherwise.
	APIKey(ctx context.Context, userID, id int64) (Token, error)
	// SetTokenLabel changes a valid API key's label.
	SetTokenLabel(ctx context.Context, id int64, label string, t time.Time) error
	RevokeToken(ctx context.Context, id int64, t time.Time) error
	// RevokeTokens revokes every valid token of the user of the given kinds
	// except the one with id keep (0 keeps none).
	RevokeTokens(ctx context.Context, userID, keep int64, kinds []TokenKind, t time.Time) error

	CreateResetToken(ctx context.Context, r *ResetToken) error
	ResetTokenByHash(ctx context.Context, hash []byte) (ResetToken, error)
	// UseResetToken marks the token used if it is neither used nor voided;
	// ErrNotFound otherwise, so exactly one of concurrent callers wins.
	UseResetToken(ctx context.Context, id int64, t time.Time) error
	// VoidResetTokens voids every outstanding reset token of the user.
	VoidResetTokens(ctx context.Context, userID int64, t time.Time) error
	// VoidResetToken voids one outstanding token; ErrNotFound if none.
	VoidResetToken(ctx context.Context, id int64, t time.Time) error
	// LockUser locks the user's row until the transaction ends, so checks
	// and writes about one account (the reset cap) do not interleave between
	// nodes. Only meaningful inside InTx.
	LockUser(ctx context.Context, userID int64) error
	// CountResetTokens counts the reset tokens created for the user since t.
	CountResetTokens(ctx context.Context, userID int64, since time.Time) (int, error)

	CreateEmailChange(ctx context.Context, c *EmailChange) error
	EmailChangeByHash(ctx context.Context, hash []byte) (EmailChange, error)
	// UseEmailChange marks an outstanding code used; ErrNotFound otherwise.
	UseEmailChange(ctx context.Context, id int64, t time.Time) error
	// VoidEmailChanges voids every outstanding code of the user.
	VoidEmailChanges(ctx context.Context, userID int64, t time.Time) error

	CreateActivation(ctx context.Context, a *Activation) error
	ActivationByHash(ctx context.Context, hash []byte) (Activation, error)
	// UseActivation marks a token that is neither used nor voided used;
	// ErrNotFound otherwise.
	UseActivation(ctx context.Context, id int64, t time.Time) error
	// VoidActivations voids every outstanding activation token of the user.
	VoidActivations(ctx context.Context, userID int64, t time.Time) error

	EnqueueMail(ctx context.Context, m *Mail) error
	// ClaimMail leases up to limit queued mails due at now until leaseUntil.
	ClaimMail(ctx context.Context, now, leaseUntil time.Time, limit int) ([]Mail, error)
	// UpdateMail writes a mail back: kind, recipient, data, status,
	// attempts, last error, next attempt time and sent time; for a claimed
	// mail (Lease set) only while the claim holds, else ErrLeaseLost.
	UpdateMail(ctx context.Context, m Mail) error
	MailByID(ctx context.Context, id int64) (Mail, error)
	// CountMail counts the mails of a kind to an address created since t.
	CountMail(ctx context.Context, kind, to string, since time.Time) (int, error)
	// MailStats counts queued and dead mail and finds the oldest queued one.
	MailStats(ctx context.Context) (MailStats, error)
	Mails(ctx context.Context, status MailStatus, limit int) ([]Mail, error)
	// PurgeMail deletes the sent and suppressed mails created before t and
	// returns how many; queued and dead mails stay.
	PurgeMail(ctx context.Context, before time.Time) (int, error)

	SaveDevMail(ctx context.Context, m *DevMail) error
	DevMails(ctx context.Context, limit int) ([]DevMail, error)
	DevMailByID(ctx context.Context, id int64) (DevMail, error)

	AddEvent(ctx context.Context, e *Event) error
	Events(ctx context.Context, f EventFilter) ([]Event, error)
}
