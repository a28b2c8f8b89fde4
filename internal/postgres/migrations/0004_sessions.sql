-- Sessions (docs/api.md#sessions): a login token records its last use (written at
-- most once a minute; NULL for tokens minted before, which then count from
-- their creation) and the client that signed in, for the list of sessions.
ALTER TABLE tokens ADD COLUMN last_used_at timestamptz;
ALTER TABLE tokens ADD COLUMN ip text NOT NULL DEFAULT '';
ALTER TABLE tokens ADD COLUMN user_agent text NOT NULL DEFAULT '';
