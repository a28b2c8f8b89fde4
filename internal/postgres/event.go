package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/accountd/accountd/internal/account"
)

// AddEvent stores an audit event and sets its ID.
func (s *Store) AddEvent(ctx context.Context, e *account.Event) error {
	uid := pgtype.Int8{Int64: e.UserID, Valid: e.UserID != 0}
	err := s.q.QueryRow(ctx, `INSERT INTO events (time, type, user_id, email, email_key,
		ip, user_agent, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		tstz(e.Time), e.Type, uid, e.Email, e.EmailKey, e.IP, e.UserAgent, e.Detail).Scan(&e.ID)
	return mapErr(err)
}

// AddEvents stores the events with one statement, each column one array
// parameter (as CreateUsersIfAbsent does).
func (s *Store) AddEvents(ctx context.Context, events []account.Event) error {
	if len(events) == 0 {
		return nil
	}
	n := len(events)
	times, uids := make([]pgtype.Timestamptz, n), make([]pgtype.Int8, n)
	typ, email, key, ip, ua, detail := make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n)
	for i, e := range events {
		times[i], uids[i] = tstz(e.Time), pgtype.Int8{Int64: e.UserID, Valid: e.UserID != 0}
		typ[i], email[i], key[i], ip[i], ua[i], detail[i] = e.Type, e.Email, e.EmailKey, e.IP, e.UserAgent, e.Detail
	}
	_, err := s.q.Exec(ctx, `INSERT INTO events (time, type, user_id, email, email_key, ip, user_agent, detail)
		SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::bigint[], $4::text[], $5::text[],
			$6::text[], $7::text[], $8::text[])`, times, typ, uids, email, key, ip, ua, detail)
	return mapErr(err)
}

// eventMatch is the WHERE clause of a filter; its arguments are $1..$4.
const eventMatch = ` WHERE (($1::text = '' AND $2::bigint = 0) OR ($1 <> '' AND email_key = $1) OR ($2 <> 0 AND user_id = $2))
		AND ($3::timestamptz IS NULL OR time >= $3) AND ($4::text = '' OR type = $4)`

// CountEvents counts the audit events matching f.
func (s *Store) CountEvents(ctx context.Context, f account.EventFilter) (int, error) {
	var n int
	err := s.q.QueryRow(ctx, `SELECT count(*) FROM events`+eventMatch, f.EmailKey, f.UserID, tstz(f.Since), f.Type).Scan(&n)
	return n, mapErr(err)
}

// Events lists audit events matching f, newest first.
func (s *Store) Events(ctx context.Context, f account.EventFilter) ([]account.Event, error) {
	rows, err := s.q.Query(ctx, `SELECT id, time, type, user_id, email, email_key, ip,
		user_agent, detail FROM events`+eventMatch+` ORDER BY time DESC, id DESC LIMIT $5 OFFSET $6`,
		f.EmailKey, f.UserID, tstz(f.Since), f.Type, limit(f.Limit), max(f.Offset, 0))
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []account.Event
	for rows.Next() {
		var e account.Event
		var t pgtype.Timestamptz
		var uid pgtype.Int8
		if err := rows.Scan(&e.ID, &t, &e.Type, &uid, &e.Email, &e.EmailKey, &e.IP, &e.UserAgent, &e.Detail); err != nil {
			return nil, mapErr(err)
		}
		e.Time, e.UserID = fromTstz(t), uid.Int64
		out = append(out, e)
	}
	return out, mapErr(rows.Err())
}

// PurgeEvents deletes the events older than t, a chunk per transaction
// through the events_time index.
func (s *Store) PurgeEvents(ctx context.Context, before time.Time) (int, error) {
	return s.purgeChunks(ctx, `DELETE FROM events WHERE id = ANY(ARRAY(
		SELECT id FROM events WHERE time < $1 ORDER BY time LIMIT $2))`, before)
}
