package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/accountd/accountd/internal/account"
)

// AddEvent stores an audit event and sets its ID.
func (s *Store) AddEvent(ctx context.Context, e *account.Event) error {
	var uid any
	if e.UserID != 0 {
		uid = e.UserID
	}
	err := s.write.QueryRowContext(ctx, `INSERT INTO events (time, type, user_id, email, email_key,
		ip, user_agent, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		micros(e.Time), e.Type, uid, e.Email, e.EmailKey, e.IP, e.UserAgent, e.Detail).Scan(&e.ID)
	return mapErr(err)
}

// AddEvents stores the events in one transaction, importChunk rows a
// statement (as CreateUsersIfAbsent).
func (s *Store) AddEvents(ctx context.Context, events []account.Event) error {
	return s.InTx(ctx, func(tx account.Store) error {
		w := tx.(*Store).write
		return inChunks(len(events), func(from, to int) error {
			args := make([]any, 0, (to-from)*8)
			for _, e := range events[from:to] {
				var uid any
				if e.UserID != 0 {
					uid = e.UserID
				}
				args = append(args, micros(e.Time), e.Type, uid, e.Email, e.EmailKey, e.IP, e.UserAgent, e.Detail)
			}
			_, err := w.ExecContext(ctx, `INSERT INTO events (time, type, user_id, email, email_key, ip, user_agent, detail)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`+strings.Repeat(`, (?, ?, ?, ?, ?, ?, ?, ?)`, to-from-1), args...)
			return mapErr(err)
		})
	})
}

// eventMatch is the WHERE clause of a filter, with its arguments.
func eventMatch(f account.EventFilter) (string, []any) {
	return ` WHERE ((? = '' AND ? = 0) OR (? <> '' AND email_key = ?) OR (? <> 0 AND user_id = ?)) AND time >= ?
		AND (? = '' OR type = ?)`, []any{f.EmailKey, f.UserID, f.EmailKey, f.EmailKey, f.UserID, f.UserID,
			f.Since.UnixMicro(), f.Type, f.Type}
}

// CountEvents counts the audit events matching f.
func (s *Store) CountEvents(ctx context.Context, f account.EventFilter) (int, error) {
	where, args := eventMatch(f)
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM events`+where, args...).Scan(&n)
	return n, mapErr(err)
}

// Events lists audit events matching f, newest first.
func (s *Store) Events(ctx context.Context, f account.EventFilter) ([]account.Event, error) {
	where, args := eventMatch(f)
	rows, err := s.read.QueryContext(ctx, `SELECT id, time, type, user_id, email, email_key, ip,
		user_agent, detail FROM events`+where+` ORDER BY time DESC, id DESC LIMIT ? OFFSET ?`,
		append(args, f.Limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []account.Event
	for rows.Next() {
		var e account.Event
		var t, uid sql.NullInt64
		if err := rows.Scan(&e.ID, &t, &e.Type, &uid, &e.Email, &e.EmailKey, &e.IP, &e.UserAgent, &e.Detail); err != nil {
			return nil, mapErr(err)
		}
		e.Time, e.UserID = fromMicros(t), uid.Int64
		out = append(out, e)
	}
	return out, mapErr(rows.Err())
}

// PurgeEvents deletes the events older than t, a chunk per transaction
// through the events_time index: the one writer is held for one chunk,
// never for a day's worth of events (docs/benchmarks.md#a-month-of-history-issue-21).
func (s *Store) PurgeEvents(ctx context.Context, before time.Time) (int, error) {
	return s.purgeChunks(ctx, `DELETE FROM events WHERE id IN
		(SELECT id FROM events WHERE time < ? ORDER BY time LIMIT ?)`, before, eventPurgeChunk)
}
