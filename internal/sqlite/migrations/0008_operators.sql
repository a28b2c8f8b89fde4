-- Operators (docs/api.md#suspension-staff-and-federated-access to docs/api.md#admin-api): suspension, staff, profile preferences.
-- A suspended account keeps its tokens (unsuspending restores them); the
-- state is read with the user on every authenticated request.
ALTER TABLE users ADD COLUMN suspended_at INTEGER;
ALTER TABLE users ADD COLUMN suspension_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN staff INTEGER NOT NULL DEFAULT 0;

CREATE TABLE user_preferences (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id                INTEGER NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE,
    survey_dismissed_at    INTEGER,
    survey_completed_at    INTEGER,
    onboarding_viewed_at   INTEGER,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL
);

-- The admin API's audit trail filters by type.
CREATE INDEX events_type_time ON events(type, time);
