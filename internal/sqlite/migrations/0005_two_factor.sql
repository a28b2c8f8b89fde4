-- Two-factor authentication (docs/api.md#two-factor-authentication). No column holds a secret in usable
-- form: the TOTP secret is sealed (AES-GCM under ACCOUNTD_SECRET_KEY),
-- recovery codes are SHA-256. An account without an active row uses the
-- implicit email_code method.
CREATE TABLE twofa_methods (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id        INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    type           TEXT    NOT NULL,
    active         INTEGER NOT NULL DEFAULT 0,
    secret_sealed  BLOB,
    last_used_step INTEGER NOT NULL DEFAULT -1,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX twofa_methods_user ON twofa_methods(user_id);
CREATE UNIQUE INDEX twofa_methods_one_active ON twofa_methods(user_id) WHERE active = 1;

CREATE TABLE recovery_codes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash  BLOB    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX recovery_codes_user ON recovery_codes(user_id);

-- A login token is pending until its second factor; API keys never are.
ALTER TABLE tokens ADD COLUMN twofa_pending INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tokens ADD COLUMN twofa_failures INTEGER NOT NULL DEFAULT 0;

-- The per-account budget of wrong codes, whatever the token and IP.
ALTER TABLE users ADD COLUMN twofa_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN twofa_failed_at INTEGER;
