package web

import "time"

// timeLayout is ISO 8601 with microseconds and a numeric offset (docs/api.md#conventions).
const timeLayout = "2006-01-02T15:04:05.000000-07:00"

// formatTime renders t in the user's time zone; a zero time is null.
func formatTime(t time.Time, tz string) any {
	if t.IsZero() {
		return nil
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		loc = time.UTC
	}
	return t.In(loc).Format(timeLayout)
}
