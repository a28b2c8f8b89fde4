package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/accountd/accountd/internal/account"
)

// SignInDevice returns the user's device with this network and browser.
func (s *Store) SignInDevice(ctx context.Context, userID int64, network, browser string) (account.SignInDevice, error) {
	d := account.SignInDevice{UserID: userID, Network: network, Browser: browser}
	var signedIn, passed sql.NullInt64
	err := s.read.QueryRowContext(ctx, `SELECT signed_in_at, passed_at FROM signin_devices
		WHERE user_id = ? AND network = ? AND browser = ?`, userID, network, browser).Scan(&signedIn, &passed)
	if err != nil {
		return d, mapErr(err)
	}
	d.SignedInAt, d.PassedAt = fromMicros(signedIn), fromMicros(passed)
	return d, nil
}

// SaveSignInDevice inserts the device or replaces both its times.
func (s *Store) SaveSignInDevice(ctx context.Context, d account.SignInDevice) error {
	last := d.SignedInAt
	if d.PassedAt.After(last) {
		last = d.PassedAt
	}
	return s.exec(ctx, false, `INSERT INTO signin_devices (user_id, network, browser, signed_in_at, passed_at, last_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, network, browser) DO UPDATE SET
		signed_in_at = excluded.signed_in_at, passed_at = excluded.passed_at, last_at = excluded.last_at`,
		d.UserID, d.Network, d.Browser, micros(d.SignedInAt), micros(d.PassedAt), last.UnixMicro())
}

// PruneSignInDevices deletes the user's devices last seen before t, then
// all but the keep most recent.
func (s *Store) PruneSignInDevices(ctx context.Context, userID int64, before time.Time, keep int) error {
	if err := s.exec(ctx, false, `DELETE FROM signin_devices WHERE user_id = ? AND last_at < ?`,
		userID, before.UnixMicro()); err != nil {
		return err
	}
	return s.exec(ctx, false, `DELETE FROM signin_devices WHERE user_id = ? AND id NOT IN
		(SELECT id FROM signin_devices WHERE user_id = ? ORDER BY last_at DESC, id DESC LIMIT ?)`,
		userID, userID, keep)
}
