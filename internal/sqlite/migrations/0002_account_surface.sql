-- Change of address, activation, deleted accounts and API keys (docs/api.md#change-of-address to docs/api.md#api-keys).
ALTER TABLE users ADD COLUMN activation_sent_at INTEGER;
CREATE INDEX users_deleted ON users(deleted_at) WHERE deleted_at IS NOT NULL;

ALTER TABLE tokens ADD COLUMN prefix TEXT NOT NULL DEFAULT '';
ALTER TABLE tokens ADD COLUMN updated_at INTEGER;
CREATE INDEX tokens_user_kind ON tokens(user_id, kind, id);

CREATE TABLE email_changes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    hash       BLOB    NOT NULL UNIQUE,
    new_email  TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    voided_at  INTEGER
);
CREATE INDEX email_changes_user ON email_changes(user_id);

CREATE TABLE activations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    hash       BLOB    NOT NULL UNIQUE,
    email      TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX activations_user ON activations(user_id);
