-- Operators (docs/api.md#suspension-staff-and-federated-access to docs/api.md#admin-api): suspension, staff, profile preferences.
-- A suspended account keeps its tokens (unsuspending restores them); the
-- state is read with the user on every authenticated request.
ALTER TABLE users ADD COLUMN suspended_at timestamptz;
ALTER TABLE users ADD COLUMN suspension_reason text NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN staff boolean NOT NULL DEFAULT false;

CREATE TABLE user_preferences (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id                bigint NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE,
    survey_dismissed_at    timestamptz,
    survey_completed_at    timestamptz,
    onboarding_viewed_at   timestamptz,
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL
);

-- The admin API's audit trail filters by type.
CREATE INDEX events_type_time ON events(type, time);
