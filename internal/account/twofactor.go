package account

import "time"

// Two-factor method types (SPEC §4.9).
const (
	MethodEmailCode  = "email_code"
	MethodDeviceTOTP = "device_totp"
)

// TwoFactorMethod is a stored second factor. Only device_totp methods are
// stored: an account without an active one uses the implicit email_code
// method (ImplicitEmailMethodID).
type TwoFactorMethod struct {
	ID     int64
	UserID int64
	Type   string
	Active bool
	// SecretSealed is the TOTP secret sealed by Config.Secrets with the
	// associated data totpAD(user): never stored in clear.
	SecretSealed []byte
	// LastStep is the last accepted TOTP step (twofactor.NoStep: none): a
	// code of a step not after it is a replay.
	LastStep  int64
	CreatedAt time.Time
	UpdatedAt time.Time
}
