-- Times are timestamptz (microseconds, read back in UTC); NULL means "never".
-- The tables and columns are those of the SQLite schema, in native types.
CREATE TABLE users (
    id                  bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email               text        NOT NULL,
    email_key           text        NOT NULL UNIQUE,
    password_hash       text        NOT NULL,
    first_name          text        NOT NULL DEFAULT '',
    last_name           text        NOT NULL DEFAULT '',
    timezone            text        NOT NULL DEFAULT 'UTC',
    email_verified      boolean     NOT NULL DEFAULT false,
    marketing_accepted  boolean     NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    last_login          timestamptz,
    password_changed_at timestamptz NOT NULL,
    email_changed_at    timestamptz NOT NULL,
    deleted_at          timestamptz
);

CREATE TABLE tokens (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind       text        NOT NULL,
    hash       bytea       NOT NULL UNIQUE,
    label      text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX tokens_user ON tokens(user_id);

CREATE TABLE reset_tokens (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    hash       bytea       NOT NULL UNIQUE,
    email      text        NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    voided_at  timestamptz
);
CREATE INDEX reset_tokens_user ON reset_tokens(user_id, created_at);

CREATE TABLE mail_outbox (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind       text        NOT NULL,
    recipient  text        NOT NULL,
    locale     text        NOT NULL DEFAULT '',
    data       jsonb       NOT NULL DEFAULT '{}',
    message_id text        NOT NULL,
    status     text        NOT NULL,
    attempts   integer     NOT NULL DEFAULT 0,
    last_error text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    next_at    timestamptz NOT NULL,
    sent_at    timestamptz
);
CREATE INDEX mail_outbox_due ON mail_outbox(status, next_at);
-- ClaimMail scans only queued rows in (next_at, id) order; sent rows pile up
-- and stay out of this index.
CREATE INDEX mail_outbox_queued ON mail_outbox(next_at, id) WHERE status = 'queued';

CREATE TABLE dev_mail (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id text        NOT NULL,
    recipient  text        NOT NULL,
    subject    text        NOT NULL,
    text_body  text        NOT NULL,
    html_body  text        NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE events (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    time       timestamptz NOT NULL,
    type       text        NOT NULL,
    user_id    bigint,
    email      text        NOT NULL DEFAULT '',
    email_key  text        NOT NULL DEFAULT '',
    ip         text        NOT NULL DEFAULT '',
    user_agent text        NOT NULL DEFAULT '',
    detail     text        NOT NULL DEFAULT ''
);
CREATE INDEX events_time ON events(time);
CREATE INDEX events_email ON events(email_key, time);
