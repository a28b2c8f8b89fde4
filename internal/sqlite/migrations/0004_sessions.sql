-- Sessions (docs/api.md#sessions): a login token records its last use (written at
-- most once a minute; NULL for tokens minted before, which then count from
-- their creation) and the client that signed in, for the list of sessions.
ALTER TABLE tokens ADD COLUMN last_used_at INTEGER;
ALTER TABLE tokens ADD COLUMN ip TEXT NOT NULL DEFAULT '';
ALTER TABLE tokens ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
