package account

import "time"

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
