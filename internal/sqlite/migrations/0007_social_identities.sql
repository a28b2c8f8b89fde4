-- Social sign-in (docs/api.md#social-login): an identity at an OpenID Connect provider,
-- keyed by (issuer, subject), never by the email (ASVS 6.8.1). An account
-- made this way has no password: users.password_hash is '' (it matches
-- nothing, and costs a dummy hash like a wrong password).
CREATE TABLE social_identities (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    provider      TEXT    NOT NULL,
    issuer        TEXT    NOT NULL,
    subject       TEXT    NOT NULL,
    email         TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    last_login_at INTEGER,
    UNIQUE (issuer, subject)
);
CREATE INDEX social_identities_user ON social_identities(user_id);
