-- Two-factor authentication (docs/api.md#two-factor-authentication). No column holds a secret in usable
-- form: the TOTP secret is sealed (AES-GCM under ACCOUNTD_SECRET_KEY),
-- recovery codes are SHA-256. An account without an active row uses the
-- implicit email_code method.
CREATE TABLE twofa_methods (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id        bigint  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    type           text    NOT NULL,
    active         boolean NOT NULL DEFAULT false,
    secret_sealed  bytea,
    last_used_step bigint  NOT NULL DEFAULT -1,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);
CREATE INDEX twofa_methods_user ON twofa_methods(user_id);
CREATE UNIQUE INDEX twofa_methods_one_active ON twofa_methods(user_id) WHERE active;

CREATE TABLE recovery_codes (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash  bytea    NOT NULL UNIQUE,
    created_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX recovery_codes_user ON recovery_codes(user_id);

-- A login token is pending until its second factor; API keys never are.
ALTER TABLE tokens ADD COLUMN twofa_pending boolean NOT NULL DEFAULT false;
ALTER TABLE tokens ADD COLUMN twofa_failures integer NOT NULL DEFAULT 0;

-- The per-account budget of wrong codes, whatever the token and IP.
ALTER TABLE users ADD COLUMN twofa_failures integer NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN twofa_failed_at timestamptz;
