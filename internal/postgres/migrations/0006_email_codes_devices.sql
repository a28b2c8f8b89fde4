-- Email codes as a second factor (docs/api.md#two-factor-authentication) and the sign-in devices behind
-- ACCOUNTD_EMAIL_2FA=new_device and the "new sign-in" notice (docs/api.md#sessions).

-- One code per pending login token, stored only as an HMAC-SHA256 under a
-- key derived from ACCOUNTD_SECRET_KEY, bound to the token's id. Deleted
-- when used (single use) or replaced by a resend.
CREATE TABLE twofa_email_codes (
    token_id   bigint PRIMARY KEY REFERENCES tokens(id) ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hmac  bytea  NOT NULL,
    sent_at    timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX twofa_email_codes_user ON twofa_email_codes(user_id);

-- A client network and browser family of an account: when it last signed
-- in and last passed a second factor. last_at is the later of the two, for
-- pruning (90 days, at most 50 rows an account).
CREATE TABLE signin_devices (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    network      text   NOT NULL,
    browser      text   NOT NULL,
    signed_in_at timestamptz,
    passed_at    timestamptz,
    last_at      timestamptz NOT NULL,
    UNIQUE (user_id, network, browser)
);
CREATE INDEX signin_devices_user_last ON signin_devices(user_id, last_at);
