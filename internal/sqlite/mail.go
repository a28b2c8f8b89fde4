package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"sort"
	"time"

	"github.com/accountd/accountd/internal/account"
)

const mailColumns = `id, kind, recipient, locale, data, message_id, status, attempts, last_error,
	created_at, next_at, sent_at`

func scanMail(row interface{ Scan(...any) error }) (account.Mail, error) {
	var m account.Mail
	var data, status string
	var created, next, sent sql.NullInt64
	err := row.Scan(&m.ID, &m.Kind, &m.To, &m.Locale, &data, &m.MessageID, &status, &m.Attempts,
		&m.LastError, &created, &next, &sent)
	if err != nil {
		return m, mapErr(err)
	}
	if err := json.Unmarshal([]byte(data), &m.Data); err != nil {
		return m, err
	}
	m.Status = account.MailStatus(status)
	m.CreatedAt, m.NextAt, m.SentAt = fromMicros(created), fromMicros(next), fromMicros(sent)
	return m, nil
}

func encodeData(d map[string]string) (string, error) {
	if d == nil {
		return "{}", nil
	}
	b, err := json.Marshal(d)
	return string(b), err
}

// EnqueueMail inserts a mail into the outbox and sets its ID. Outside a
// transaction it goes through the batcher, which commits concurrent
// enqueues together.
func (s *Store) EnqueueMail(ctx context.Context, m *account.Mail) error {
	if !s.inTx {
		return s.db.batch.Do(ctx, m)
	}
	id, err := insertMail(ctx, s.write, m)
	if err == nil {
		m.ID = id
	}
	return err
}

// mailInsert begins an INSERT of outbox rows; VALUES follow.
const mailInsert = `INSERT INTO mail_outbox (kind, recipient, locale, data,
	message_id, status, attempts, last_error, created_at, next_at, sent_at) VALUES `

// insertMail inserts one outbox row and returns its id.
func insertMail(ctx context.Context, c conn, m *account.Mail) (int64, error) {
	ids, err := insertMails(ctx, c, []*account.Mail{m}, nil)
	if err != nil {
		return 0, err
	}
	return ids[0], nil
}

// ClaimMail leases due mails: one statement on the single writer connection,
// so two workers never claim the same row.
func (s *Store) ClaimMail(ctx context.Context, now, leaseUntil time.Time, limit int) ([]account.Mail, error) {
	rows, err := s.write.QueryContext(ctx, `UPDATE mail_outbox SET attempts = attempts + 1, next_at = ?
		WHERE id IN (SELECT id FROM mail_outbox WHERE status = 'queued' AND next_at <= ?
		ORDER BY next_at, id LIMIT ?) RETURNING `+mailColumns, micros(leaseUntil), micros(now), limit)
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := collectMail(rows)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	for i := range out {
		out[i].Lease = out[i].NextAt
	}
	return out, err
}

func collectMail(rows *sql.Rows) ([]account.Mail, error) {
	defer rows.Close()
	var out []account.Mail
	for rows.Next() {
		m, err := scanMail(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, mapErr(rows.Err())
}

// UpdateMail stores a mail's kind, recipient, data, status and delivery
// state; a claimed mail only while its claim holds.
func (s *Store) UpdateMail(ctx context.Context, m account.Mail) error {
	data, err := encodeData(m.Data)
	if err != nil {
		return err
	}
	err = s.exec(ctx, true, `UPDATE mail_outbox SET kind = ?, recipient = ?, data = ?, status = ?,
		attempts = ?, last_error = ?, next_at = ?, sent_at = ?
		WHERE id = ? AND (?10 IS NULL OR (status = 'queued' AND next_at = ?10))`,
		m.Kind, m.To, data, string(m.Status), m.Attempts, m.LastError, micros(m.NextAt),
		micros(m.SentAt), m.ID, micros(m.Lease))
	if errors.Is(err, account.ErrNotFound) && !m.Lease.IsZero() {
		return account.ErrLeaseLost
	}
	return err
}

// MailByID returns one outbox row.
func (s *Store) MailByID(ctx context.Context, id int64) (account.Mail, error) {
	return scanMail(s.read.QueryRowContext(ctx, `SELECT `+mailColumns+` FROM mail_outbox WHERE id = ?`, id))
}

// Mails lists outbox rows with the given status ("" for all), newest first.
func (s *Store) Mails(ctx context.Context, status account.MailStatus, limit int) ([]account.Mail, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+mailColumns+` FROM mail_outbox
		WHERE ? = '' OR status = ? ORDER BY id DESC LIMIT ?`, string(status), string(status), limit)
	if err != nil {
		return nil, mapErr(err)
	}
	return collectMail(rows)
}

// SaveDevMail keeps a mail for the development inbox and sets its ID.
func (s *Store) SaveDevMail(ctx context.Context, m *account.DevMail) error {
	err := s.write.QueryRowContext(ctx, `INSERT INTO dev_mail (message_id, recipient, subject,
		text_body, html_body, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		m.MessageID, m.To, m.Subject, m.Text, m.HTML, micros(m.CreatedAt)).Scan(&m.ID)
	return mapErr(err)
}

const devMailColumns = `id, message_id, recipient, subject, text_body, html_body, created_at`

func scanDevMail(row interface{ Scan(...any) error }) (account.DevMail, error) {
	var m account.DevMail
	var created sql.NullInt64
	err := row.Scan(&m.ID, &m.MessageID, &m.To, &m.Subject, &m.Text, &m.HTML, &created)
	m.CreatedAt = fromMicros(created)
	return m, mapErr(err)
}

// DevMails lists the development inbox, newest first.
func (s *Store) DevMails(ctx context.Context, limit int) ([]account.DevMail, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+devMailColumns+` FROM dev_mail ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []account.DevMail
	for rows.Next() {
		m, err := scanDevMail(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, mapErr(rows.Err())
}

// DevMailByID returns one mail of the development inbox.
func (s *Store) DevMailByID(ctx context.Context, id int64) (account.DevMail, error) {
	return scanDevMail(s.read.QueryRowContext(ctx, `SELECT `+devMailColumns+` FROM dev_mail WHERE id = ?`, id))
}

// MailStats counts queued and dead mail and finds the oldest queued one.
func (s *Store) MailStats(ctx context.Context) (account.MailStats, error) {
	var st account.MailStats
	var oldest sql.NullInt64
	// Sent rows pile up, so they are counted by the worker's metrics
	// instead. Everything here reads only the (status, next_at) index, whose
	// entries carry the id: ids grow with created_at, so the queued mail with
	// the lowest id is the oldest, found without visiting every queued row
	// (with 100,000 queued a /metrics scrape took 46 ms that way, 18 ms this
	// way: BenchmarkStore/MailStatsBacklog).
	err := s.read.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM mail_outbox WHERE status = 'queued'),
		(SELECT count(*) FROM mail_outbox WHERE status = 'dead'),
		(SELECT created_at FROM mail_outbox WHERE id =
			(SELECT min(id) FROM mail_outbox WHERE status = 'queued'))`).
		Scan(&st.Queued, &st.Dead, &oldest)
	st.OldestQueued = fromMicros(oldest)
	return st, mapErr(err)
}

// CountMail counts the mails of a kind to an address created since t.
func (s *Store) CountMail(ctx context.Context, kind, to string, since time.Time) (int, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM mail_outbox
		WHERE kind = ? AND recipient = ? AND created_at >= ?`, kind, to, since.UnixMicro()).Scan(&n)
	return n, mapErr(err)
}

// purgeChunk is how many mails one purge transaction deletes, and
// eventPurgeChunk how many events: an event's row sits in four indexes, one
// of them by address (events_email), so a chunk of old events dirties pages
// all over it, and a chunk of 1,000 held the writer for about 230 ms at a
// load average of 20 (docs/benchmarks.md#a-month-of-history-issue-21).
const (
	purgeChunk      = 1000
	eventPurgeChunk = 250
)

// PurgeMail deletes the sent and suppressed mails created before t, a
// chunk per transaction, found through the partial index
// mail_outbox_purge: the one writer is held for one chunk at a time, never
// for the whole purge, and nothing scans the outbox (docs/decisions.md#outbox-retention).
// INDEXED BY, because without statistics (accountd runs no ANALYZE) SQLite
// prefers mail_outbox_due for the status and sorts every sent row.
func (s *Store) PurgeMail(ctx context.Context, before time.Time) (int, error) {
	return s.purgeChunks(ctx, `DELETE FROM mail_outbox WHERE id IN (SELECT id FROM mail_outbox
		INDEXED BY mail_outbox_purge WHERE status IN ('sent', 'suppressed') AND created_at < ? ORDER BY created_at LIMIT ?)`, before, purgeChunk)
}

// purgeChunks runs a purge statement, which takes the cutoff and a chunk
// size and deletes at most a chunk, until a chunk comes back short, and
// returns how many rows it deleted in all.
func (s *Store) purgeChunks(ctx context.Context, query string, before time.Time, chunk int64) (int, error) {
	total := 0
	for {
		res, err := s.write.ExecContext(ctx, query, before.UnixMicro(), chunk)
		if err != nil {
			return total, mapErr(err)
		}
		n, err := res.RowsAffected()
		total += int(n)
		if err != nil || n < chunk {
			return total, err
		}
	}
}
