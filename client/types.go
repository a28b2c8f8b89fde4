package client

import "time"

// The request bodies and answers of docs/openapi.yaml. Times are in the
// account's time zone, with its offset; a nil *time.Time is JSON null.

// RegisterRequest is the body of Register.
type RegisterRequest struct {
	Email                  string `json:"email"`
	Password               string `json:"password"`
	Recaptcha              string `json:"recaptcha,omitempty"`
	TOSAccepted            bool   `json:"tos_accepted"`
	MarketingEmailAccepted bool   `json:"marketing_email_accepted,omitempty"`
}

// RegisterResult is the answer of Register.
type RegisterResult struct {
	Token                string `json:"token"`
	LoggedInExistingUser bool   `json:"logged_in_existing_user"`
}

// LoginRequest is the body of Login.
type LoginRequest struct {
	Email     string `json:"email"`
	Password  string `json:"password"`
	Recaptcha string `json:"recaptcha,omitempty"`
}

// Profile is the account a credential belongs to.
type Profile struct {
	ID                     int64          `json:"id"`
	Email                  string         `json:"email"`
	FirstName              string         `json:"first_name"`
	LastName               string         `json:"last_name"`
	Timezone               string         `json:"timezone"`
	CreatedAt              time.Time      `json:"created_at"`
	UpdatedAt              time.Time      `json:"updated_at"`
	LastLogin              *time.Time     `json:"last_login"`
	EmailIsVerified        bool           `json:"email_is_verified"`
	MarketingEmailAccepted bool           `json:"marketing_email_accepted"`
	Preferences            map[string]any `json:"preferences"`
}

// ProfilePatch is the body of UpdateProfile: nil fields stay as they are.
type ProfilePatch struct {
	FirstName *string `json:"first_name,omitempty"`
	LastName  *string `json:"last_name,omitempty"`
	Timezone  *string `json:"timezone,omitempty"`
}

// EmailChange is a pending change of address (CheckEmailChange).
type EmailChange struct {
	Email     string    `json:"email"`
	NewEmail  string    `json:"new_email"`
	ExpiresAt time.Time `json:"expires_at"`
}

// ActivationStatus says whether the address is verified.
type ActivationStatus struct {
	EmailIsVerified bool       `json:"email_is_verified"`
	LastEmailSentAt *time.Time `json:"last_time_email_verification_email_sent"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
}

// APIKey is an API key; Key is the full key only in CreateAPIKey's answer,
// elsewhere its first 4 characters then "*".
type APIKey struct {
	ID        int64     `json:"id"`
	Key       string    `json:"key"`
	Label     string    `json:"label"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Session is a live login token of the account.
type Session struct {
	ID         int64      `json:"id"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	IP         string     `json:"ip"`
	UserAgent  string     `json:"user_agent"`
	// TwoFactor is "pending" or "verified".
	TwoFactor string `json:"two_factor"`
	// Current is true for the token of the request.
	Current bool `json:"current"`
}

// Page is one page of a list; Next and Previous are absolute URLs or nil.
type Page[T any] struct {
	Count    int     `json:"count"`
	Next     *string `json:"next"`
	Previous *string `json:"previous"`
	Results  []T     `json:"results"`
}

// Two-factor method types.
const (
	MethodEmailCode  = "email_code"
	MethodDeviceTOTP = "device_totp"
)

// TwoFactorMethod is a second factor of the account. SecretKey and
// OTPAuthURL are set only in the answer that creates a device_totp method,
// RecoveryCodes only in the one that activates it.
type TwoFactorMethod struct {
	ID            int64     `json:"id"`
	Type          string    `json:"type"`
	Active        bool      `json:"active"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
	SecretKey     string    `json:"secret_key,omitempty"`
	OTPAuthURL    string    `json:"otpauth_url,omitempty"`
	RecoveryCodes []string  `json:"recovery_codes,omitempty"`
}
