package account

import (
	"context"
	"fmt"
	"time"
)

// DeleteAccount marks the account deleted after checking its password. Its
// tokens stay, so every request with them is 403 account_deleted; its
// reset tokens die; login, reset and activation treat its address as
// unknown; the purge erases it after the grace period (SPEC §4.7).
func (s *Service) DeleteAccount(ctx context.Context, u User, pw string, c Client) error {
	if err := s.checkCurrentPassword(ctx, u, pw, c); err != nil {
		return err
	}
	now := s.clock()
	err := s.store.InTx(ctx, func(tx Store) error {
		if err := tx.MarkDeleted(ctx, u.ID, now); err != nil {
			return err
		}
		if err := tx.VoidResetTokens(ctx, u.ID, now); err != nil {
			return err
		}
		if err := tx.VoidEmailChanges(ctx, u.ID, now); err != nil {
			return err
		}
		return s.event(ctx, tx, "account_deleted", u.ID, u.Email, c, "")
	})
	return wrapStore(err)
}

// Purge erases the accounts deleted more than grace ago and returns how
// many it erased.
func (s *Service) Purge(ctx context.Context, grace time.Duration) (int, error) {
	n, err := s.store.PurgeDeleted(ctx, s.clock().Add(-grace))
	return n, wrapStore(err)
}

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
