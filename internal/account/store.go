package account

import (
	"context"
	"time"
)

// Store is the persistence the Service needs. Methods take ctx first, do one
// statement or a few, and hold no rules. "Not found" is ErrNotFound, a
// uniqueness violation ErrConflict.
type Store interface {
	// InTx runs fn in one transaction; fn's Store sees and writes within it.
	InTx(ctx context.Context, fn func(tx Store) error) error
	// Ping reports whether the database answers and its schema is current.
	Ping(ctx context.Context) error

	CreateUser(ctx context.Context, u *User) error
	// CreateUsersIfAbsent inserts, in order and in one transaction, each of
	// users whose email key neither a stored user nor an earlier one of
	// users has, and sets its ID; a user whose key is taken keeps ID 0 and
	// changes nothing. It returns how many it inserted (a bulk import).
	CreateUsersIfAbsent(ctx context.Context, users []*User) (int, error)
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
	// TouchToken records at as the token's last use unless the stored one
	// is after staleBefore, so that concurrent requests write once.
	TouchToken(ctx context.Context, id int64, at, staleBefore time.Time) error
	// LoginTokens lists the user's valid login tokens, newest first, created
	// after createdAfter and last used (or, never used, created) after
	// usedAfter, a zero time being no bound; it counts all that match.
	LoginTokens(ctx context.Context, userID int64, createdAfter, usedAfter time.Time, offset, limit int) ([]Token, int, error)
	// LoginToken returns a valid login token of the user; ErrNotFound otherwise.
	LoginToken(ctx context.Context, userID, id int64) (Token, error)
	// RevokeOldLoginTokens revokes the user's valid login tokens but the
	// newest keep of the live ones (bounds as for LoginTokens): the live
	// ones beyond keep and every expired one. It returns how many live
	// ones it revoked (the expired are not counted: they had ended).
	RevokeOldLoginTokens(ctx context.Context, userID int64, createdAfter, usedAfter time.Time, keep int, t time.Time) (int, error)

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

	// Two-factor authentication (docs/api.md#two-factor-authentication).

	// CreateTwoFactorMethod inserts a method and sets its ID.
	CreateTwoFactorMethod(ctx context.Context, m *TwoFactorMethod) error
	// TwoFactorMethod returns one method of the user; ErrNotFound otherwise.
	TwoFactorMethod(ctx context.Context, userID, id int64) (TwoFactorMethod, error)
	// ActiveTwoFactorMethod returns the user's active stored method;
	// ErrNotFound when none is (the implicit email_code method).
	ActiveTwoFactorMethod(ctx context.Context, userID int64) (TwoFactorMethod, error)
	// SetActiveTwoFactorMethod deactivates every method of the user, then
	// activates the method id (0: none) with lastStep as its last accepted
	// TOTP step; ErrNotFound when id is not the user's.
	SetActiveTwoFactorMethod(ctx context.Context, userID, id, lastStep int64, t time.Time) error
	// AdvanceTOTPStep sets the method's last accepted step to step if it is
	// below it, and reports whether it did: the compare-and-set that lets
	// exactly one of concurrent submissions of one code win.
	AdvanceTOTPStep(ctx context.Context, methodID, step int64) (bool, error)
	// SetTokenTwoFactor marks a token pending or verified; verified also
	// clears its wrong-code count.
	SetTokenTwoFactor(ctx context.Context, tokenID int64, pending bool) error
	// PendOtherLoginTokens makes every valid login token of the user but
	// keep pending.
	PendOtherLoginTokens(ctx context.Context, userID, keep int64) error
	// AddTokenTwoFactorFailure counts a wrong code on a token and returns
	// the token's count.
	AddTokenTwoFactorFailure(ctx context.Context, tokenID int64) (int, error)
	// ReplaceRecoveryCodes deletes the user's recovery codes and stores the
	// given hashes.
	ReplaceRecoveryCodes(ctx context.Context, userID int64, hashes [][]byte, t time.Time) error
	// UseRecoveryCode marks the user's unused code with this hash used and
	// reports whether one was.
	UseRecoveryCode(ctx context.Context, userID int64, hash []byte, t time.Time) (bool, error)
	// CountRecoveryCodes counts the user's unused recovery codes.
	CountRecoveryCodes(ctx context.Context, userID int64) (int, error)
	// TwoFactorFailures returns the user's consecutive wrong codes and the
	// time of the last.
	TwoFactorFailures(ctx context.Context, userID int64) (int, time.Time, error)
	// RecordTwoFactorFailure adds one to the user's consecutive wrong codes,
	// records t as the last, and returns the new count.
	RecordTwoFactorFailure(ctx context.Context, userID int64, t time.Time) (int, error)
	// ClearTwoFactorFailures sets the user's count back to zero.
	ClearTwoFactorFailures(ctx context.Context, userID int64) error
	// SetEmailCode stores the code of a token, replacing any earlier one.
	SetEmailCode(ctx context.Context, c EmailCode) error
	// EmailCode returns the code of a token; ErrNotFound when none.
	EmailCode(ctx context.Context, tokenID int64) (EmailCode, error)
	// DeleteEmailCode deletes the code of a token and reports whether there
	// was one: of concurrent callers one gets true.
	DeleteEmailCode(ctx context.Context, tokenID int64) (bool, error)

	// Sign-in devices (docs/api.md#two-factor-authentication new_device, §4.10 notice).

	// SignInDevice returns the user's device with this network and
	// browser; ErrNotFound when none.
	SignInDevice(ctx context.Context, userID int64, network, browser string) (SignInDevice, error)
	// SaveSignInDevice inserts the device or replaces both its times.
	SaveSignInDevice(ctx context.Context, d SignInDevice) error
	// PruneSignInDevices deletes the user's devices whose later time is
	// before t, then all but the keep most recent.
	PruneSignInDevices(ctx context.Context, userID int64, before time.Time, keep int) error

	// Social sign-in (docs/api.md#social-login).

	// CreateSocialIdentity links an identity to a user and sets its ID;
	// ErrConflict when the (issuer, subject) is linked already.
	CreateSocialIdentity(ctx context.Context, si *SocialIdentity) error
	// SocialIdentity returns the identity with this issuer and subject;
	// ErrNotFound when none is linked.
	SocialIdentity(ctx context.Context, issuer, subject string) (SocialIdentity, error)
	// SocialIdentities lists the identities linked to the user, oldest first.
	SocialIdentities(ctx context.Context, userID int64) ([]SocialIdentity, error)
	// TouchSocialIdentity records a sign-in with the identity at t and the
	// address the provider gave then.
	TouchSocialIdentity(ctx context.Context, id int64, email string, t time.Time) error

	AddEvent(ctx context.Context, e *Event) error
	// AddEvents stores several audit events in one transaction; their IDs
	// are not read back.
	AddEvents(ctx context.Context, events []Event) error
	Events(ctx context.Context, f EventFilter) ([]Event, error)
	// CountEvents counts the events f selects (its Limit and Offset aside).
	CountEvents(ctx context.Context, f EventFilter) (int, error)
	// PurgeEvents deletes the events that happened before t and returns how
	// many, in short transactions so that requests writing events meanwhile
	// wait for one of them at most.
	PurgeEvents(ctx context.Context, before time.Time) (int, error)

	// Operators (docs/api.md#suspension-staff-and-federated-access to docs/api.md#admin-api).

	// SetSuspension suspends the user at t for reason; a zero t lifts the
	// suspension (and blanks the reason).
	SetSuspension(ctx context.Context, userID int64, t time.Time, reason string) error
	// SetStaff marks the user staff or not.
	SetStaff(ctx context.Context, userID int64, staff bool, t time.Time) error
	// SearchUsers lists the users whose email key starts with prefix
	// (every user for ""), by id, and counts all that match.
	SearchUsers(ctx context.Context, prefix string, offset, limit int) ([]User, int, error)
	// Preferences returns the user's preferences; ErrNotFound when none
	// were stored yet.
	Preferences(ctx context.Context, userID int64) (Preferences, error)
	// SavePreferences inserts or replaces the user's preferences and sets
	// p.ID.
	SavePreferences(ctx context.Context, p *Preferences) error
}
