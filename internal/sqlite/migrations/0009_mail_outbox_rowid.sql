-- The outbox without AUTOINCREMENT (docs/decisions.md, "The outbox's ids on
-- SQLite"): AUTOINCREMENT reads and writes sqlite_sequence on every insert
-- and adds its page to every commit, on the hottest write there is (every
-- reset request queues a row). Without it a new row's id is the largest id
-- plus one, so ids still grow with time; only the ids of the newest rows
-- could come back, if every row above them were deleted, and the purge
-- deletes only mail sent or suppressed at least ACCOUNTD_MAIL_RETENTION
-- (24 hours or more) ago, never a queued one. SQLite cannot drop
-- AUTOINCREMENT in place: the table is rebuilt with its rows and ids.
CREATE TABLE mail_outbox_new (
    id         INTEGER PRIMARY KEY,
    kind       TEXT    NOT NULL,
    recipient  TEXT    NOT NULL,
    locale     TEXT    NOT NULL DEFAULT '',
    data       TEXT    NOT NULL DEFAULT '{}',
    message_id TEXT    NOT NULL,
    status     TEXT    NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    next_at    INTEGER NOT NULL,
    sent_at    INTEGER
);
INSERT INTO mail_outbox_new (id, kind, recipient, locale, data, message_id, status, attempts,
    last_error, created_at, next_at, sent_at)
SELECT id, kind, recipient, locale, data, message_id, status, attempts,
    last_error, created_at, next_at, sent_at FROM mail_outbox;
DROP TABLE mail_outbox;
ALTER TABLE mail_outbox_new RENAME TO mail_outbox;
CREATE INDEX mail_outbox_due ON mail_outbox(status, next_at);
