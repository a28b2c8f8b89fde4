package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/accountd/accountd/internal/account"
)

const mailColumns = `id, kind, recipient, locale, data, message_id, status, attempts, last_error,
	created_at, next_at, sent_at`

func scanMail(row interface{ Scan(...any) error }) (account.Mail, error) {
	var m account.Mail
	var data []byte
	var status string
	var created, next, sent pgtype.Timestamptz
	err := row.Scan(&m.ID, &m.Kind, &m.To, &m.Locale, &data, &m.MessageID, &status, &m.Attempts,
		&m.LastError, &created, &next, &sent)
	if err != nil {
		return account.Mail{}, mapErr(err)
	}
	if err := json.Unmarshal(data, &m.Data); err != nil {
		return account.Mail{}, err
	}
	m.Status = account.MailStatus(status)
	m.CreatedAt, m.NextAt, m.SentAt = fromTstz(created), fromTstz(next), fromTstz(sent)
	return m, nil
}

// encodeData encodes mail data as JSON text for a jsonb column (pgx sends a
// string given for jsonb as the JSON itself); nil is the empty object.
func encodeData(d map[string]string) (string, error) {
	if d == nil {
		return "{}", nil
	}
	b, err := json.Marshal(d)
	return string(b), err
}

const insertMailSQL = `INSERT INTO mail_outbox (kind, recipient, locale, data,
	message_id, status, attempts, last_error, created_at, next_at, sent_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`

func insertMailArgs(m *account.Mail) ([]any, error) {
	data, err := encodeData(m.Data)
	if err != nil {
		return nil, err
	}
	return []any{m.Kind, m.To, m.Locale, data, m.MessageID, string(m.Status), m.Attempts, m.LastError,
		tstz(m.CreatedAt), tstz(m.NextAt), tstz(m.SentAt)}, nil
}

// EnqueueMail inserts a mail into the outbox and sets its ID. Outside a
// transaction it goes through the batcher, which commits concurrent
// enqueues together.
func (s *Store) EnqueueMail(ctx context.Context, m *account.Mail) error {
	if !s.inTx {
		return s.db.batch.Do(ctx, m)
	}
	args, err := insertMailArgs(m)
	if err != nil {
		return err
	}
	return mapErr(s.q.QueryRow(ctx, insertMailSQL, args...).Scan(&m.ID))
}

// batchTimeout bounds one batch of inserts; the batch runs on no caller's
// context (groupcommit.Batcher.Do), and a database that stopped answering
// must not hold every later enqueue.
const batchTimeout = 5 * time.Second

// insertMails inserts mails, all or none, in one round trip: a pipeline of
// inserts with one Sync, which PostgreSQL runs as one implicit transaction.
// It sets their ids once that has committed.
func (db *DB) insertMails(ctx context.Context, ms []*account.Mail) error {
	ctx, cancel := context.WithTimeout(ctx, batchTimeout)
	defer cancel()
	b := &pgx.Batch{}
	for _, m := range ms {
		args, err := insertMailArgs(m)
		if err != nil {
			return err
		}
		b.Queue(insertMailSQL, args...)
	}
	res := db.pool.SendBatch(ctx, b)
	ids := make([]int64, len(ms))
	for i := range ms {
		if err := res.QueryRow().Scan(&ids[i]); err != nil {
			res.Close()
			return mapErr(err)
		}
	}
	if err := res.Close(); err != nil {
		return mapErr(err)
	}
	for i, m := range ms {
		m.ID = ids[i]
	}
	return nil
}

// ClaimMail leases due mails. FOR UPDATE SKIP LOCKED lets several nodes'
// workers claim at once: each locks the rows it picks and passes over rows
// another has locked, so no row is claimed twice and nobody waits. A row
// claimed and committed meanwhile is re-checked after the lock and dropped
// (its next_at is the other lease). The CTE is MATERIALIZED so the locking
// subquery runs exactly once whatever plan the UPDATE gets.
func (s *Store) ClaimMail(ctx context.Context, now, leaseUntil time.Time, n int) ([]account.Mail, error) {
	rows, err := s.q.Query(ctx, `WITH due AS MATERIALIZED (
			SELECT id FROM mail_outbox WHERE status = 'queued' AND next_at <= $2
			ORDER BY next_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
		UPDATE mail_outbox SET attempts = attempts + 1, next_at = $1
		WHERE id IN (SELECT id FROM due) RETURNING `+mailColumns,
		tstz(leaseUntil), tstz(now), limit(n))
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := collectMail(rows)
	slices.SortFunc(out, func(a, b account.Mail) int { return cmp.Compare(a.ID, b.ID) })
	for i := range out {
		out[i].Lease = out[i].NextAt
	}
	return out, err
}

func collectMail(rows pgx.Rows) ([]account.Mail, error) {
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
	err = s.exec(ctx, true, `UPDATE mail_outbox SET kind = $1, recipient = $2, data = $3, status = $4,
		attempts = $5, last_error = $6, next_at = $7, sent_at = $8
		WHERE id = $9 AND ($10::timestamptz IS NULL OR (status = 'queued' AND next_at = $10))`,
		m.Kind, m.To, data, string(m.Status), m.Attempts, m.LastError, tstz(m.NextAt),
		tstz(m.SentAt), m.ID, tstz(m.Lease))
	if errors.Is(err, account.ErrNotFound) && !m.Lease.IsZero() {
		return account.ErrLeaseLost
	}
	return err
}

// MailByID returns one outbox row.
func (s *Store) MailByID(ctx context.Context, id int64) (account.Mail, error) {
	return scanMail(s.q.QueryRow(ctx, `SELECT `+mailColumns+` FROM mail_outbox WHERE id = $1`, id))
}

// Mails lists outbox rows with the given status ("" for all), newest first.
func (s *Store) Mails(ctx context.Context, status account.MailStatus, n int) ([]account.Mail, error) {
	rows, err := s.q.Query(ctx, `SELECT `+mailColumns+` FROM mail_outbox
		WHERE $1::text = '' OR status = $1 ORDER BY id DESC LIMIT $2`, string(status), limit(n))
	if err != nil {
		return nil, mapErr(err)
	}
	return collectMail(rows)
}

// SaveDevMail keeps a mail for the development inbox and sets its ID.
func (s *Store) SaveDevMail(ctx context.Context, m *account.DevMail) error {
	err := s.q.QueryRow(ctx, `INSERT INTO dev_mail (message_id, recipient, subject,
		text_body, html_body, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		m.MessageID, m.To, m.Subject, m.Text, m.HTML, tstz(m.CreatedAt)).Scan(&m.ID)
	return mapErr(err)
}

const devMailColumns = `id, message_id, recipient, subject, text_body, html_body, created_at`

func scanDevMail(row interface{ Scan(...any) error }) (account.DevMail, error) {
	var m account.DevMail
	var created pgtype.Timestamptz
	if err := row.Scan(&m.ID, &m.MessageID, &m.To, &m.Subject, &m.Text, &m.HTML, &created); err != nil {
		return account.DevMail{}, mapErr(err)
	}
	m.CreatedAt = fromTstz(created)
	return m, nil
}

// DevMails lists the development inbox, newest first.
func (s *Store) DevMails(ctx context.Context, n int) ([]account.DevMail, error) {
	rows, err := s.q.Query(ctx, `SELECT `+devMailColumns+` FROM dev_mail ORDER BY id DESC LIMIT $1`, limit(n))
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
	return scanDevMail(s.q.QueryRow(ctx, `SELECT `+devMailColumns+` FROM dev_mail WHERE id = $1`, id))
}

// MailStats counts queued and dead mail and finds the oldest queued one.
func (s *Store) MailStats(ctx context.Context) (account.MailStats, error) {
	var st account.MailStats
	var oldest pgtype.Timestamptz
	// Queued and dead rows are few and indexed by status; sent rows pile up,
	// so they are counted by the worker's metrics instead.
	err := s.q.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM mail_outbox WHERE status = 'queued'),
		(SELECT count(*) FROM mail_outbox WHERE status = 'dead'),
		(SELECT min(created_at) FROM mail_outbox WHERE status = 'queued')`).
		Scan(&st.Queued, &st.Dead, &oldest)
	st.OldestQueued = fromTstz(oldest)
	return st, mapErr(err)
}

// CountMail counts the mails of a kind to an address created since t.
func (s *Store) CountMail(ctx context.Context, kind, to string, since time.Time) (int, error) {
	var n int
	err := s.q.QueryRow(ctx, `SELECT count(*) FROM mail_outbox
		WHERE kind = $1 AND recipient = $2 AND created_at >= $3`, kind, to, since.UTC()).Scan(&n)
	return n, mapErr(err)
}

// purgeChunk is how many rows one purge transaction deletes: each
// transaction stays short (a day of a busy month is a million events), so
// autovacuum and replicas keep up and a cancelled purge loses little.
const purgeChunk = 10000

// PurgeMail deletes the sent and suppressed mails created before t, a
// chunk per transaction, found through the partial index mail_outbox_purge
// rather than by reading the whole outbox (docs/decisions.md#outbox-retention).
func (s *Store) PurgeMail(ctx context.Context, before time.Time) (int, error) {
	return s.purgeChunks(ctx, `DELETE FROM mail_outbox WHERE id = ANY(ARRAY(SELECT id FROM mail_outbox
		WHERE status IN ('sent', 'suppressed') AND created_at < $1 ORDER BY created_at LIMIT $2))`, before)
}

// purgeChunks runs a purge statement, which takes the cutoff and a chunk
// size and deletes at most a chunk, until a chunk comes back short, and
// returns how many rows it deleted in all. The statements delete
// id = ANY(ARRAY(…)), not id IN (…): the planner turned IN into a hash
// join over a scan of the whole table, for every chunk.
func (s *Store) purgeChunks(ctx context.Context, query string, before time.Time) (int, error) {
	total := 0
	for {
		tag, err := s.q.Exec(ctx, query, before.UTC(), purgeChunk)
		if err != nil {
			return total, mapErr(err)
		}
		n := int(tag.RowsAffected())
		total += n
		if n < purgeChunk {
			return total, nil
		}
	}
}
