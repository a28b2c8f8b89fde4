-- Change of address, activation, deleted accounts and API keys (docs/api.md#change-of-address to docs/api.md#api-keys).
ALTER TABLE users ADD COLUMN activation_sent_at timestamptz;
CREATE INDEX users_deleted ON users(deleted_at) WHERE deleted_at IS NOT NULL;

ALTER TABLE tokens ADD COLUMN prefix text NOT NULL DEFAULT '';
ALTER TABLE tokens ADD COLUMN updated_at timestamptz;
CREATE INDEX tokens_user_kind ON tokens(user_id, kind, id);

CREATE TABLE email_changes (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    hash       bytea       NOT NULL UNIQUE,
    new_email  text        NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    voided_at  timestamptz
);
CREATE INDEX email_changes_user ON email_changes(user_id);

CREATE TABLE activations (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    hash       bytea       NOT NULL UNIQUE,
    email      text        NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX activations_user ON activations(user_id);
