package account

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

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
// MailKinds (below). MailResetRequest is resolved by the worker (see
// docs/architecture.md#the-reset-request-is-asynchronous) into MailResetLink or into nothing.
const (
	MailResetRequest    = "reset_request"
	MailResetLink       = "reset_link"
	MailPasswordChanged = "password_changed"
	// MailResetNoAccount tells an address without an account that someone
	// asked for a reset for it (optional, off by default).
	MailResetNoAccount = "reset_no_account"
	// MailTwoFactor is the notice of a two-factor change or event
	// (Data["change"]: totp_on, totp_off, recovery_used, failures,
	// operator_reset), docs/api.md#two-factor-authentication.
	MailTwoFactor = "two_factor"
	// MailSuspension tells the owner the account was suspended or the
	// suspension lifted (Data["change"]: suspended, unsuspended; see
	// docs/api.md#suspension-staff-and-federated-access).
	MailSuspension = "suspension"
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

// MailKind declares one kind of email: the template that renders it and
// the keys of its data that hold a secret. Every kind the Service queues is
// declared in MailKinds, in this one place: the secret keys are sealed
// before the mail is stored and blanked once it is sent or dead, and a
// test fails when a kind's data holds a secret under a key not declared
// here (internal/account/mail_test.go) or a kind has no templates
// (internal/mail).
type MailKind struct {
	Name string // the kind, as stored in the outbox
	// Template is the base name of the kind's template files in
	// internal/mail/templates; "" for a kind that is never rendered (the
	// worker resolves it into another first).
	Template string
	// Secrets are the keys of Data that hold a secret (a token, a code, a
	// link carrying one).
	Secrets []string
}

// MailKinds declares every kind of email.
var MailKinds = []MailKind{
	{Name: MailResetRequest}, // resolved into MailResetLink or into nothing; holds no secret
	{Name: MailResetLink, Template: "reset_link", Secrets: []string{"token", "link", "cancel_link"}},
	{Name: MailResetNoAccount, Template: "reset_no_account"},
	{Name: MailPasswordChanged, Template: "password_changed"},
	{Name: MailEmailChangeConfirm, Template: "email_change_confirm", Secrets: []string{"code", "link"}},
	{Name: MailEmailChangeRequested, Template: "email_change_requested"},
	{Name: MailEmailChanged, Template: "email_changed"},
	{Name: MailActivation, Template: "activation", Secrets: []string{"token", "link"}},
	{Name: MailTwoFactor, Template: "two_factor"},
	{Name: MailTwoFactorCode, Template: "two_factor_code", Secrets: []string{"code"}},
	{Name: MailNewSignIn, Template: "new_sign_in"},
	{Name: MailSocialLinked, Template: "social_linked"},
	{Name: MailSuspension, Template: "suspension"},
}

// MailKindOf returns the declaration of a kind.
func MailKindOf(name string) (MailKind, bool) {
	i := slices.IndexFunc(MailKinds, func(k MailKind) bool { return k.Name == name })
	if i < 0 {
		return MailKind{}, false
	}
	return MailKinds[i], true
}

// SecretMailKeys are the keys that hold a secret in any kind: the worker
// blanks them all once a mail is sent or dead, whatever its kind.
var SecretMailKeys = secretKeys(MailKinds)

func secretKeys(kinds []MailKind) []string {
	set := map[string]bool{}
	for _, k := range kinds {
		for _, s := range k.Secrets {
			set[s] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// SecretBox seals secrets before they are stored and opens them again
// (AES-GCM under ACCOUNTD_SECRET_KEY; internal/secretbox implements it).
// The Service seals every secret of an outgoing mail with it, so no raw
// token reaches the database, its WAL or its backups (issue 12 A8).
type SecretBox interface {
	// Seal encrypts plain, bound to ad, which Open must be given again.
	Seal(plain, ad []byte) []byte
	// Open decrypts what Seal returned; an error when the value was sealed
	// under another key or altered.
	Open(sealed, ad []byte) ([]byte, error)
}

// sealedPrefix marks a sealed value in Mail.Data. A secret without it was
// queued by a version that stored secrets raw, and is sent as it is.
const sealedPrefix = "sealed:"

// ErrMailUnopenable is returned by OpenMail for a mail whose secrets cannot
// be opened: sealed under another ACCOUNTD_SECRET_KEY, or altered. Such a
// mail can never be sent with a working link.
var ErrMailUnopenable = errors.New("a secret of this email cannot be opened: it was sealed under another " +
	"ACCOUNTD_SECRET_KEY (changed, or generated for one -dev run) or altered")

// sealAD is the associated data of one secret of one mail: a sealed value
// copied to another key or another mail does not open.
func sealAD(m *Mail, key string) []byte {
	return []byte("accountd mail\x00" + m.MessageID + "\x00" + key)
}

// sealMail replaces the secret values of m's data (by its kind's
// declaration) with sealed ones, in a copy of the map.
func (s *Service) sealMail(m *Mail) {
	kind, _ := MailKindOf(m.Kind)
	if len(kind.Secrets) == 0 {
		return
	}
	m.Data = maps.Clone(m.Data)
	for _, k := range kind.Secrets {
		if v, ok := m.Data[k]; ok && v != "" {
			m.Data[k] = sealedPrefix + base64.RawURLEncoding.EncodeToString(s.cfg.Secrets.Seal([]byte(v), sealAD(m, k)))
		}
	}
}

// OpenMail returns m with the secret values of its data opened, to render
// it; the stored mail keeps them sealed. ErrMailUnopenable (wrapped, naming
// the key, never a value) when one cannot be opened. Only the keys its kind
// declares secret are opened: the other values come from clients (the
// User-Agent), and one that merely starts with the prefix must not make the
// mail unopenable, which would let a caller kill a security notice.
func (s *Service) OpenMail(m Mail) (Mail, error) {
	kind, _ := MailKindOf(m.Kind)
	var data map[string]string
	for _, k := range kind.Secrets {
		enc, sealed := strings.CutPrefix(m.Data[k], sealedPrefix)
		if !sealed {
			continue
		}
		b, err := base64.RawURLEncoding.DecodeString(enc)
		if err == nil {
			b, err = s.cfg.Secrets.Open(b, sealAD(&m, k))
		}
		if err != nil {
			return m, fmt.Errorf("%w (key %q)", ErrMailUnopenable, k)
		}
		if data == nil {
			data = maps.Clone(m.Data)
		}
		data[k] = string(b)
	}
	if data != nil {
		m.Data = data
	}
	return m, nil
}

// formatMailTime formats a time for people reading an email, in a form that
// reads the same in every language of the templates.
func formatMailTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 MST") }

// MinMailRetention is the shortest time sent mails may be kept: the hourly
// cap on no-account notices counts the outbox rows of the last hour.
const MinMailRetention = 24 * time.Hour

// PurgeMail deletes the sent and suppressed outbox rows older than keep
// (their recipients' addresses with them; the audit log keeps what
// happened) and returns how many. keep below MinMailRetention is refused.
func (s *Service) PurgeMail(ctx context.Context, keep time.Duration) (int, error) {
	if keep < MinMailRetention {
		return 0, fmt.Errorf("mail retention %s is below the minimum of %s", keep, MinMailRetention)
	}
	n, err := s.store.PurgeMail(ctx, s.clock().Add(-keep))
	return n, wrapStore(err)
}
