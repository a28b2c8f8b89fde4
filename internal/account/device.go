package account

import (
	"context"
	"time"
)

// Sign-in devices: what accountd remembers of the client networks and
// browsers that signed in to an account, for two rules: ACCOUNTD_EMAIL_2FA
// = new_device challenges a device that has not passed a second factor in
// deviceMemory (docs/api.md#two-factor-authentication), and ACCOUNTD_SIGNIN_NOTICE emails the owner
// when a device not seen signing in for deviceMemory signs in (docs/api.md#sessions).
// One row per account, network and browser serves both (docs/decisions.md).

// SignInDevice is one client network and browser of an account.
type SignInDevice struct {
	UserID int64
	// Network is the client's network as the per-client limits key it
	// (Client.Network: the IPv4 address, the IPv6 prefix of
	// ACCOUNTD_IPV6_PREFIX).
	Network string
	// Browser is the browser family and system, without versions
	// (Config.DeviceBrowser): "Firefox on Linux".
	Browser string
	// SignedInAt is the last sign-in from this device; zero: none
	// recorded (it only passed a second factor).
	SignedInAt time.Time
	// PassedAt is the last time it passed a second factor (a code, or a
	// reset or activation link); zero: never.
	PassedAt time.Time
}

const (
	// deviceMemory is how long a device stays known (docs/api.md#two-factor-authentication: 90 days).
	deviceMemory = 90 * 24 * time.Hour
	// maxDevices bounds the rows one account keeps: a sign-in beyond it
	// forgets the device seen least recently, which at worst asks one
	// more code or sends one more notice.
	maxDevices = 50
)

// signIn says how the first factor of a new login token was shown, which
// decides what the token's sign-in asks and tells.
type signIn struct {
	// how names the sign-in in audit details.
	how string
	// notice: a device not seen signing in for deviceMemory gets the "new
	// sign-in" email (ACCOUNTD_SIGNIN_NOTICE): password and social sign-ins.
	notice bool
	// provesMailbox: an emailed link was followed, which passes the
	// email_code method (never device_totp) and counts as a pass of the
	// device.
	provesMailbox bool
	// newAccount: the account was created by this very request, so there
	// is nothing yet for a second factor to protect.
	newAccount bool
}

// The sign-ins of mintLoginToken's callers.
var (
	signInPassword   = signIn{how: "password", notice: true}
	signInRegistered = signIn{how: "registration", newAccount: true}
	signInResetLink  = signIn{how: "reset link", provesMailbox: true}
	signInActivation = signIn{how: "activation link", provesMailbox: true}
	signInSocial     = signIn{how: "social", notice: true}
	// A sign-in that links a provider's identity gets the social_linked
	// email, which names the sign-in as the notice would.
	signInSocialLink       = signIn{how: "social link"}
	signInSocialRegistered = signIn{how: "social registration", newAccount: true}
)

// deviceOf is the device key of a client.
func (s *Service) deviceOf(userID int64, c Client) SignInDevice {
	network := c.Network
	if network == "" {
		network = c.IP
	}
	browser := truncate(c.UserAgent, 200)
	if s.cfg.DeviceBrowser != nil {
		browser = truncate(s.cfg.DeviceBrowser(c.UserAgent), 200)
	}
	return SignInDevice{UserID: userID, Network: truncate(network, 100), Browser: browser}
}

// knownDevice returns what is stored of the client's device, or the bare
// key when nothing is.
func (s *Service) knownDevice(ctx context.Context, tx Store, userID int64, c Client) (SignInDevice, error) {
	d := s.deviceOf(userID, c)
	stored, err := tx.SignInDevice(ctx, userID, d.Network, d.Browser)
	if isNotFound(err) {
		return d, nil
	}
	return stored, err
}

// recent reports whether t is within deviceMemory of now.
func recent(t, now time.Time) bool { return !t.IsZero() && t.After(now.Add(-deviceMemory)) }

// saveDevice writes d and forgets the account's devices older than
// deviceMemory or beyond maxDevices, so the table stays bounded.
func (s *Service) saveDevice(ctx context.Context, tx Store, d SignInDevice, now time.Time) error {
	if err := tx.SaveSignInDevice(ctx, d); err != nil {
		return err
	}
	return tx.PruneSignInDevices(ctx, d.UserID, now.Add(-deviceMemory), maxDevices)
}

// recordSecondFactor records that the client's device passed a second
// factor now.
func (s *Service) recordSecondFactor(ctx context.Context, tx Store, userID int64, c Client, now time.Time) error {
	d, err := s.knownDevice(ctx, tx, userID, c)
	if err != nil {
		return err
	}
	d.PassedAt = now
	return s.saveDevice(ctx, tx, d, now)
}

// queueSignInNotice queues the "new sign-in" email of token t.
func (s *Service) queueSignInNotice(ctx context.Context, tx Store, u User, t Token, c Client) error {
	data := map[string]string{"email": u.Email, "signed_in_at": formatMailTime(t.CreatedAt),
		"ip": t.IP, "user_agent": t.UserAgent, "reset_url": s.cfg.DashboardURL + "/resetpassword/"}
	if err := tx.EnqueueMail(ctx, s.newMail(MailNewSignIn, u.Email, c, data)); err != nil {
		return err
	}
	return s.event(ctx, tx, "signin_notice_queued", u.ID, u.Email, c, sessionDetail(t.ID))
}
