package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/accountd/accountd/internal/account"
)

// SignInDevice returns the user's device with this network and browser.
func (s *Store) SignInDevice(ctx context.Context, userID int64, network, browser string) (account.SignInDevice, error) {
	d := account.SignInDevice{UserID: userID, Network: network, Browser: browser}
	var signedIn, passed pgtype.Timestamptz
	err := s.q.QueryRow(ctx, `SELECT signed_in_at, passed_at FROM signin_devices
		WHERE user_id = $1 AND network = $2 AND browser = $3`, userID, network, browser).Scan(&signedIn, &passed)
	if err != nil {
		return d, mapErr(err)
	}
	d.SignedInAt, d.PassedAt = fromTstz(signedIn), fromTstz(passed)
	return d, nil
}

// SaveSignInDevice inserts the device or replaces both its times.
func (s *Store) SaveSignInDevice(ctx context.Context, d account.SignInDevice) error {
	last := d.SignedInAt
	if d.PassedAt.After(last) {
		last = d.PassedAt
	}
	return s.exec(ctx, false, `INSERT INTO signin_devices (user_id, network, browser, signed_in_at, passed_at, last_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, network, browser) DO UPDATE SET
		signed_in_at = excluded.signed_in_at, passed_at = excluded.passed_at, last_at = excluded.last_at`,
		d.UserID, d.Network, d.Browser, tstz(d.SignedInAt), tstz(d.PassedAt), tstz(last))
}

// PruneSignInDevices deletes the user's devices last seen before t, then
// all but the keep most recent.
func (s *Store) PruneSignInDevices(ctx context.Context, userID int64, before time.Time, keep int) error {
	if err := s.exec(ctx, false, `DELETE FROM signin_devices WHERE user_id = $1 AND last_at < $2`,
		userID, tstz(before)); err != nil {
		return err
	}
	return s.exec(ctx, false, `DELETE FROM signin_devices WHERE user_id = $1 AND id NOT IN
		(SELECT id FROM signin_devices WHERE user_id = $1 ORDER BY last_at DESC, id DESC LIMIT $2)`,
		userID, keep)
}
