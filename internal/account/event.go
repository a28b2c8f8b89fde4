package account

import (
	"context"
	"fmt"
	"time"
)

// Event is one audit event.
type Event struct {
	ID        int64
	Time      time.Time
	Type      string
	UserID    int64 // 0 when unknown
	Email     string
	EmailKey  string // EmailKey(Email), for filtering
	IP        string
	UserAgent string
	Detail    string
}

// EventFilter selects audit events.
type EventFilter struct {
	EmailKey string    // "" for any
	Since    time.Time // zero for any
	Limit    int

	// UserID selects an account's events (0 for any); with EmailKey too,
	// an event matching either is selected.
	UserID int64

	// Type selects events of one type ("" for any); Offset skips that many
	// of the newest (a page of the admin API).
	Type   string
	Offset int
}

// MinAuditRetention is the shortest time audit events may be kept, as for
// sent mail: a day's history is the least an operator answering "what
// happened to my account yesterday?" needs.
const MinAuditRetention = 24 * time.Hour

// PurgeEvents deletes the audit events older than keep and returns how
// many; keep below MinAuditRetention is refused. Without it the audit log
// grows by every sign-in for ever (docs/decisions.md#audit-retention-issue-21).
func (s *Service) PurgeEvents(ctx context.Context, keep time.Duration) (int, error) {
	if keep < MinAuditRetention {
		return 0, fmt.Errorf("audit retention %s is below the minimum of %s", keep, MinAuditRetention)
	}
	n, err := s.store.PurgeEvents(ctx, s.clock().Add(-keep))
	return n, wrapStore(err)
}
