package client

import (
	"context"
	"net/http"
)

// The operations of docs/openapi.yaml, grouped as docs/api.md is.

// call sends one request and decodes the answer as a T.
func call[T any](ctx context.Context, c *Client, method, path string, in any) (T, error) {
	var out T
	err := c.do(ctx, method, path, in, &out)
	return out, err
}

type tokenResult struct {
	Token string `json:"token"`
}

// Register creates an account, or signs in to the address's account when
// the password is its own (LoggedInExistingUser).
func (c *Client) Register(ctx context.Context, in RegisterRequest) (RegisterResult, error) {
	return call[RegisterResult](ctx, c, http.MethodPost, "/api/v2/register/", in)
}

// Login returns a new login token.
func (c *Client) Login(ctx context.Context, in LoginRequest) (string, error) {
	out, err := call[tokenResult](ctx, c, http.MethodPost, "/api/v2/login/", in)
	return out.Token, err
}

// Logout revokes the login token of c.
func (c *Client) Logout(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/api/v2/logout/", nil, nil)
}

// ChangePassword sets a new password; every other token of the account is
// revoked.
func (c *Client) ChangePassword(ctx context.Context, current, next string) error {
	return c.do(ctx, http.MethodPost, "/api/v2/changepassword/",
		map[string]string{"password": current, "new_password": next}, nil)
}

// Profile returns the account of c's credential.
func (c *Client) Profile(ctx context.Context) (Profile, error) {
	return call[Profile](ctx, c, http.MethodGet, "/api/v2/profile/", nil)
}

// UpdateProfile changes the fields of p that are not nil.
func (c *Client) UpdateProfile(ctx context.Context, p ProfilePatch) (Profile, error) {
	return call[Profile](ctx, c, http.MethodPatch, "/api/v2/profile/", p)
}

// RequestReset asks for a password reset link to be emailed to email; it
// succeeds whether or not the address has an account.
func (c *Client) RequestReset(ctx context.Context, email, recaptcha string) error {
	return c.do(ctx, http.MethodPost, "/api/v2/resetpassword/",
		map[string]string{"email": email, "recaptcha": recaptcha}, nil)
}

// CompleteReset sets password with the reset token of an emailed link and
// returns a new login token.
func (c *Client) CompleteReset(ctx context.Context, resetToken, password, recaptcha string) (string, error) {
	out, err := call[tokenResult](ctx, c, http.MethodPost, "/api/v2/resetpassword/complete/",
		map[string]string{"password_reset_token": resetToken, "password": password, "recaptcha": recaptcha})
	return out.Token, err
}

// CheckReset reports (nil) whether a reset token is usable, consuming nothing.
func (c *Client) CheckReset(ctx context.Context, resetToken string) error {
	return c.do(ctx, http.MethodPost, "/api/v2/resetpassword/check/",
		map[string]string{"password_reset_token": resetToken}, nil)
}

// CancelReset voids a reset token ("this wasn't me").
func (c *Client) CancelReset(ctx context.Context, resetToken string) error {
	return c.do(ctx, http.MethodPost, "/api/v2/resetpassword/cancel/",
		map[string]string{"password_reset_token": resetToken}, nil)
}

// ChangeEmail asks to move the account to newEmail; a link goes there.
func (c *Client) ChangeEmail(ctx context.Context, password, newEmail string) error {
	return c.do(ctx, http.MethodPost, "/api/v2/changeemail/",
		map[string]string{"password": password, "new_email": newEmail}, nil)
}

// CompleteEmailChange moves the account with the emailed confirmation code.
func (c *Client) CompleteEmailChange(ctx context.Context, code string) error {
	return c.do(ctx, http.MethodPost, "/api/v2/changeemail/complete/",
		map[string]string{"confirmation_code": code}, nil)
}

// CheckEmailChange returns the change a confirmation code stands for.
func (c *Client) CheckEmailChange(ctx context.Context, code string) (EmailChange, error) {
	return call[EmailChange](ctx, c, http.MethodPost, "/api/v2/changeemail/check/",
		map[string]string{"confirmation_code": code})
}

// Activation returns whether the address is verified.
func (c *Client) Activation(ctx context.Context) (ActivationStatus, error) {
	return call[ActivationStatus](ctx, c, http.MethodGet, "/api/v2/activation/", nil)
}

// ResendActivation sends the activation email again.
func (c *Client) ResendActivation(ctx context.Context) (ActivationStatus, error) {
	return call[ActivationStatus](ctx, c, http.MethodPost, "/api/v2/activation/resend/", nil)
}

// CompleteActivation verifies the address with the emailed token and
// returns a new login token.
func (c *Client) CompleteActivation(ctx context.Context, activationToken string) (string, error) {
	out, err := call[tokenResult](ctx, c, http.MethodPost, "/api/v2/activation/complete/",
		map[string]string{"activation_token": activationToken})
	return out.Token, err
}

// DeleteAccount deletes the account of c's login token.
func (c *Client) DeleteAccount(ctx context.Context, password, recaptcha string) error {
	return c.do(ctx, http.MethodPost, "/api/v2/deleteaccount/",
		map[string]string{"password": password, "recaptcha": recaptcha}, nil)
}

// APIKeys returns a page of the account's API keys (0: the default).
func (c *Client) APIKeys(ctx context.Context, page, pageSize int) (Page[APIKey], error) {
	return call[Page[APIKey]](ctx, c, http.MethodGet, "/api/v2/apikey/"+pageQuery(page, pageSize), nil)
}

// CreateAPIKey creates an API key; the answer holds the full key, once.
func (c *Client) CreateAPIKey(ctx context.Context, label string) (APIKey, error) {
	return call[APIKey](ctx, c, http.MethodPost, "/api/v2/apikey/", map[string]string{"label": label})
}

// APIKey returns one API key (masked).
func (c *Client) APIKey(ctx context.Context, id int64) (APIKey, error) {
	return call[APIKey](ctx, c, http.MethodGet, idPath("/api/v2/apikey/", id, ""), nil)
}

// RenameAPIKey sets the label of an API key.
func (c *Client) RenameAPIKey(ctx context.Context, id int64, label string) (APIKey, error) {
	return call[APIKey](ctx, c, http.MethodPatch, idPath("/api/v2/apikey/", id, ""), map[string]string{"label": label})
}

// DeleteAPIKey revokes an API key.
func (c *Client) DeleteAPIKey(ctx context.Context, id int64) error {
	return c.do(ctx, http.MethodDelete, idPath("/api/v2/apikey/", id, ""), nil, nil)
}

// Sessions returns a page of the account's live login tokens, newest first.
func (c *Client) Sessions(ctx context.Context, page, pageSize int) (Page[Session], error) {
	return call[Page[Session]](ctx, c, http.MethodGet, "/api/v2/sessions/"+pageQuery(page, pageSize), nil)
}

// RevokeSession signs one session out (the current one too).
func (c *Client) RevokeSession(ctx context.Context, id int64) error {
	return c.do(ctx, http.MethodDelete, idPath("/api/v2/sessions/", id, ""), nil, nil)
}

// RevokeOtherSessions signs out every session but c's.
func (c *Client) RevokeOtherSessions(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/api/v2/sessions/revoke_others/", nil, nil)
}

// TwoFactorMethod returns the active second factor.
func (c *Client) TwoFactorMethod(ctx context.Context) (TwoFactorMethod, error) {
	return call[TwoFactorMethod](ctx, c, http.MethodGet, "/api/v2/twofactorauth/method/current/", nil)
}

// ChangeTwoFactorMethod switches to MethodEmailCode, or starts enrolling an
// authenticator app (MethodDeviceTOTP: the answer holds its secret).
func (c *Client) ChangeTwoFactorMethod(ctx context.Context, typ string) (TwoFactorMethod, error) {
	return call[TwoFactorMethod](ctx, c, http.MethodPost, "/api/v2/twofactorauth/method/", map[string]string{"type": typ})
}

// ActivateTwoFactorMethod activates an authenticator app with two
// consecutive codes; the answer holds the recovery codes, once.
func (c *Client) ActivateTwoFactorMethod(ctx context.Context, id int64, code1, code2 string) (TwoFactorMethod, error) {
	return call[TwoFactorMethod](ctx, c, http.MethodPost, idPath("/api/v2/twofactorauth/method/", id, "activate/"),
		map[string]string{"code_1": code1, "code_2": code2})
}

// CodeAuth passes the second factor of c's token with an authenticator or
// recovery code.
func (c *Client) CodeAuth(ctx context.Context, code, recaptcha string) error {
	return c.do(ctx, http.MethodPost, "/api/v2/twofactorauth/codeauth/",
		map[string]string{"code": code, "recaptcha": recaptcha}, nil)
}

// ResendTwoFactorEmail sends the emailed code again; false inside the
// cooldown.
func (c *Client) ResendTwoFactorEmail(ctx context.Context) (bool, error) {
	out, err := call[struct {
		EmailSent bool `json:"email_sent"`
	}](ctx, c, http.MethodPost, "/api/v2/twofactorauth/email/resend/", nil)
	return out.EmailSent, err
}

// NewRecoveryCodes replaces the recovery codes and returns the new ones.
func (c *Client) NewRecoveryCodes(ctx context.Context) ([]string, error) {
	out, err := call[struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}](ctx, c, http.MethodPost, "/api/v2/twofactorauth/recoverycodes/", nil)
	return out.RecoveryCodes, err
}
