package account

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Suspension reasons an operator may give (docs/api.md#suspension-staff-and-federated-access; Webshare's values).
var SuspensionReasons = []string{"acceptable_use_violation", "abuse_report", "fraudulent_payment"}

// ErrAccountSuspended answers every credential of a suspended account
// except on the routes that let it see why and leave (docs/api.md#suspension-staff-and-federated-access).
var ErrAccountSuspended = &Error{Kind: KindForbidden, Code: "account_suspended",
	Message: "Your account is suspended."}

var errNotSuspended = &Error{Kind: KindNotFound, Code: "not_found", Message: "Not found."}

// Suspension is what a suspended account is told about its suspension.
type Suspension struct {
	CreatedAt time.Time
	Reason    string
}

// AdmitSuspended returns ErrAccountSuspended for a suspended account on a
// route that is not exempt (logout and the suspension endpoint). The web
// layer calls it after the 2FA check, so only a caller who passed both
// factors learns the account's state (docs/api.md, "Order of the checks").
func AdmitSuspended(u User, exempt bool) error {
	if u.Suspended() && !exempt {
		return ErrAccountSuspended
	}
	return nil
}

// SuspensionOf returns the account's suspension; 404 not_found when it is
// not suspended (GET /api/v2/verification/suspension/).
func (s *Service) SuspensionOf(u User) (Suspension, error) {
	if !u.Suspended() {
		return Suspension{}, errNotSuspended
	}
	return Suspension{CreatedAt: u.SuspendedAt, Reason: u.SuspensionReason}, nil
}

// Suspension notice changes (Mail data "change").
const (
	noticeSuspended   = "suspended"
	noticeUnsuspended = "unsuspended"
)

// Suspend suspends the account id for reason: every credential of it is
// refused from now on, but none is revoked, so Unsuspend restores them. A
// notice email tells the owner (docs/api.md#suspension-staff-and-federated-access).
func (s *Service) Suspend(ctx context.Context, id int64, reason string, op Operator) (User, error) {
	if !slices.Contains(SuspensionReasons, reason) {
		return User{}, Invalid("reason", "invalid_choice", fmt.Sprintf("%q is not a valid choice.", reason))
	}
	return s.changeSuspension(ctx, id, op, func(u User, now time.Time) (time.Time, string, error) {
		if u.Suspended() {
			return time.Time{}, "", &Error{Kind: KindConflict, Code: "already_suspended",
				Message: "The account is already suspended."}
		}
		return now, reason, nil
	})
}

// Unsuspend lifts the suspension of the account id; its tokens work again.
func (s *Service) Unsuspend(ctx context.Context, id int64, op Operator) (User, error) {
	return s.changeSuspension(ctx, id, op, func(u User, _ time.Time) (time.Time, string, error) {
		if !u.Suspended() {
			return time.Time{}, "", &Error{Kind: KindConflict, Code: "not_suspended",
				Message: "The account is not suspended."}
		}
		return time.Time{}, "", nil
	})
}

// changeSuspension applies decide's new suspension state to the account,
// with its notice and audit event, in one transaction.
func (s *Service) changeSuspension(ctx context.Context, id int64, op Operator,
	decide func(u User, now time.Time) (time.Time, string, error)) (User, error) {
	u, err := s.activeUser(ctx, id)
	if err != nil {
		return User{}, err
	}
	now := s.clock()
	at, reason, err := decide(u, now)
	if err != nil {
		return User{}, err
	}
	change, typ, detail := noticeSuspended, "account_suspended", reason
	if at.IsZero() {
		change, typ, detail = noticeUnsuspended, "account_unsuspended", "was "+u.SuspensionReason
	}
	c := op.client()
	err = s.store.InTx(ctx, func(tx Store) error {
		if err := tx.SetSuspension(ctx, u.ID, at, reason); err != nil {
			return err
		}
		m := s.newMail(MailSuspension, u.Email, c, map[string]string{"change": change, "reason": reason,
			"email": u.Email, "changed_at": formatMailTime(now)})
		if err := tx.EnqueueMail(ctx, m); err != nil {
			return err
		}
		return s.event(ctx, tx, typ, u.ID, u.Email, c, detail)
	})
	if err != nil {
		return User{}, wrapStore(err)
	}
	s.wake()
	u.SuspendedAt, u.SuspensionReason = at, reason
	return u, nil
}
