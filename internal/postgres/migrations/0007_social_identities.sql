-- Social sign-in (docs/api.md#social-login): an identity at an OpenID Connect provider,
-- keyed by (issuer, subject), never by the email (ASVS 6.8.1). An account
-- made this way has no password: users.password_hash is '' (it matches
-- nothing, and costs a dummy hash like a wrong password).
CREATE TABLE social_identities (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       bigint  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    provider      text    NOT NULL,
    issuer        text    NOT NULL,
    subject       text    NOT NULL,
    email         text    NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL,
    last_login_at timestamptz,
    UNIQUE (issuer, subject)
);
CREATE INDEX social_identities_user ON social_identities(user_id);
