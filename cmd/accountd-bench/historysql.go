package main

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// historySQL is what accountd-bench history runs beside the store, per
// store. The fill statements take (first row, last row, start of the month
// in µs, µs between rows, users): row i happens at start + i·step, so the
// rows come in time order as a month of traffic would add them.
type historySQL struct {
	fillMail, fillEvents string
	afterFill            []string // once the month is in: what autovacuum or a checkpoint would have done by then
	afterPurge           []string // what autovacuum would do after the purge, so that the next day reuses the space
	span                 string   // the start of the history in µs, for a run with -fill=false
	claimPlan            string   // (now µs, batch)
	statsPlan            string
	purgeMailPlan        string // (cutoff µs)
	purgeEventsPlan      string // (cutoff µs)
	sizes                []string
}

// The rows: mostly sent mail, one in 997 suppressed, one in 10,007 dead
// (given up after ten attempts); kinds and event types in fixed
// proportions; users and addresses spread by a multiplicative hash.
var sqliteHistorySQL = historySQL{
	fillMail: `WITH RECURSIVE s(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM s WHERE i < ?2),
		m(i, u, st, t) AS (SELECT i, (i * 7919) % ?5 + 1,
			CASE WHEN i % 10007 = 5 THEN 'dead' WHEN i % 997 = 3 THEN 'suppressed' ELSE 'sent' END,
			?3 + i * ?4 FROM s)
		INSERT INTO mail_outbox (kind, recipient, locale, data, message_id, status, attempts,
			last_error, created_at, next_at, sent_at)
		SELECT CASE i % 4 WHEN 0 THEN 'reset_request' WHEN 1 THEN 'two_factor_code'
				WHEN 2 THEN 'new_sign_in' ELSE 'password_changed' END,
			'user' || u || '@example.com', 'en', '{}',
			printf('<%d.%x@accountd.example>', i, (i * 2654435761) % 4294967296), st,
			CASE st WHEN 'dead' THEN 10 ELSE 1 END,
			CASE st WHEN 'dead' THEN '550 5.1.1 mailbox unavailable' ELSE '' END,
			t, t, CASE st WHEN 'sent' THEN t + 2000000 END
		FROM m`,
	fillEvents: `WITH RECURSIVE s(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM s WHERE i < ?2),
		e(i, u, t) AS (SELECT i, (i * 7919) % ?5 + 1, ?3 + i * ?4 FROM s)
		INSERT INTO events (time, type, user_id, email, email_key, ip, user_agent, detail)
		SELECT t, CASE i % 10 WHEN 0 THEN 'login_failed' WHEN 1 THEN 'reset_requested'
				WHEN 2 THEN 'reset_sent' WHEN 3 THEN 'signin_notice_queued'
				WHEN 4 THEN 'password_changed' ELSE 'login' END,
			u, 'user' || u || '@example.com', 'user' || u || '@example.com', '198.51.100.' || (i % 250),
			'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
			CASE i % 10 WHEN 0 THEN 'wrong password' ELSE '' END
		FROM e`,
	afterFill: []string{"PRAGMA wal_checkpoint(TRUNCATE)"},
	span:      `SELECT min(created_at) FROM mail_outbox WHERE status = 'sent'`,
	claimPlan: `EXPLAIN QUERY PLAN UPDATE mail_outbox SET attempts = attempts + 1, next_at = ?1
		WHERE id IN (SELECT id FROM mail_outbox WHERE status = 'queued' AND next_at <= ?1
		ORDER BY next_at, id LIMIT ?2) RETURNING id`,
	statsPlan: `EXPLAIN QUERY PLAN SELECT
		(SELECT count(*) FROM mail_outbox WHERE status = 'queued'),
		(SELECT count(*) FROM mail_outbox WHERE status = 'dead'),
		(SELECT created_at FROM mail_outbox WHERE id =
			(SELECT min(id) FROM mail_outbox WHERE status = 'queued'))`,
	purgeMailPlan: `EXPLAIN QUERY PLAN DELETE FROM mail_outbox WHERE id IN (SELECT id FROM mail_outbox
		INDEXED BY mail_outbox_purge WHERE status IN ('sent', 'suppressed') AND created_at < ? ORDER BY created_at LIMIT 1000)`,
	purgeEventsPlan: `EXPLAIN QUERY PLAN DELETE FROM events WHERE id IN
		(SELECT id FROM events WHERE time < ? ORDER BY time LIMIT 1000)`,
	sizes: []string{
		historyRowCounts,
		`SELECT 'pages ' || p.page_count || ' of ' || s.page_size || ' B = ' ||
			printf('%.1f MiB', p.page_count * s.page_size / 1048576.0) || ', of which free (reusable) ' ||
			printf('%.1f MiB', f.freelist_count * s.page_size / 1048576.0)
			FROM pragma_page_count() p, pragma_page_size() s, pragma_freelist_count() f`,
		`SELECT name, printf('%.1f MiB', sum(pgsize) / 1048576.0) FROM dbstat
			GROUP BY name ORDER BY sum(pgsize) DESC LIMIT 10`,
	},
}

var postgresHistorySQL = historySQL{
	fillMail: `INSERT INTO mail_outbox (kind, recipient, locale, data, message_id, status, attempts,
			last_error, created_at, next_at, sent_at)
		SELECT CASE i % 4 WHEN 0 THEN 'reset_request' WHEN 1 THEN 'two_factor_code'
				WHEN 2 THEN 'new_sign_in' ELSE 'password_changed' END,
			'user' || u || '@example.com', 'en', '{}',
			format('<%s.%s@accountd.example>', i, to_hex((i * 2654435761) % 4294967296)), st,
			CASE st WHEN 'dead' THEN 10 ELSE 1 END,
			CASE st WHEN 'dead' THEN '550 5.1.1 mailbox unavailable' ELSE '' END,
			t, t, CASE st WHEN 'sent' THEN t + interval '2 seconds' END
		FROM (SELECT i, (i * 7919) % $5 + 1 AS u,
			CASE WHEN i % 10007 = 5 THEN 'dead' WHEN i % 997 = 3 THEN 'suppressed' ELSE 'sent' END AS st,
			to_timestamp(($3::bigint + i * $4::bigint) / 1e6) AS t
			FROM generate_series($1::bigint, $2::bigint) i) g`,
	fillEvents: `INSERT INTO events (time, type, user_id, email, email_key, ip, user_agent, detail)
		SELECT t, CASE i % 10 WHEN 0 THEN 'login_failed' WHEN 1 THEN 'reset_requested'
				WHEN 2 THEN 'reset_sent' WHEN 3 THEN 'signin_notice_queued'
				WHEN 4 THEN 'password_changed' ELSE 'login' END,
			u, 'user' || u || '@example.com', 'user' || u || '@example.com', '198.51.100.' || (i % 250),
			'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
			CASE i % 10 WHEN 0 THEN 'wrong password' ELSE '' END
		FROM (SELECT i, (i * 7919) % $5 + 1 AS u, to_timestamp(($3::bigint + i * $4::bigint) / 1e6) AS t
			FROM generate_series($1::bigint, $2::bigint) i) g`,
	afterFill:  []string{"VACUUM ANALYZE mail_outbox", "VACUUM ANALYZE events"},
	afterPurge: []string{"VACUUM mail_outbox", "VACUUM events"},
	span:       `SELECT (extract(epoch FROM min(created_at)) * 1e6)::bigint FROM mail_outbox WHERE status = 'sent'`,
	claimPlan: `EXPLAIN (ANALYZE, BUFFERS) WITH due AS MATERIALIZED (
			SELECT id FROM mail_outbox WHERE status = 'queued' AND next_at <= to_timestamp($1::bigint / 1e6)
			ORDER BY next_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
		UPDATE mail_outbox SET attempts = attempts + 1, next_at = to_timestamp($1::bigint / 1e6)
		WHERE id IN (SELECT id FROM due) RETURNING id`,
	statsPlan: `EXPLAIN (ANALYZE, BUFFERS) SELECT
		(SELECT count(*) FROM mail_outbox WHERE status = 'queued'),
		(SELECT count(*) FROM mail_outbox WHERE status = 'dead'),
		(SELECT min(created_at) FROM mail_outbox WHERE status = 'queued')`,
	purgeMailPlan: `EXPLAIN DELETE FROM mail_outbox WHERE id = ANY(ARRAY(SELECT id FROM mail_outbox
		WHERE status IN ('sent', 'suppressed') AND created_at < to_timestamp($1::bigint / 1e6)
		ORDER BY created_at LIMIT 10000))`,
	purgeEventsPlan: `EXPLAIN DELETE FROM events WHERE id = ANY(ARRAY(
		SELECT id FROM events WHERE time < to_timestamp($1::bigint / 1e6) ORDER BY time LIMIT 10000))`,
	sizes: []string{
		historyRowCounts,
		`SELECT 'database ' || pg_size_pretty(pg_database_size(current_database()))`,
		`SELECT relname, 'total ' || pg_size_pretty(pg_total_relation_size(relid)),
			'heap ' || pg_size_pretty(pg_relation_size(relid)),
			'indexes ' || pg_size_pretty(pg_indexes_size(relid)),
			'live ' || n_live_tup, 'dead ' || n_dead_tup,
			'autovacuumed ' || coalesce(last_autovacuum::text, 'never')
			FROM pg_stat_user_tables WHERE relname IN ('mail_outbox', 'events') ORDER BY relname`,
		`SELECT indexrelname, pg_size_pretty(pg_relation_size(indexrelid)) FROM pg_stat_user_indexes
			WHERE relname IN ('mail_outbox', 'events') ORDER BY indexrelname`,
	},
}

// historyRowCounts counts the rows of the two tables, on either store.
const historyRowCounts = `SELECT 'rows: mail_outbox ' || (SELECT count(*) FROM mail_outbox) ||
	', events ' || (SELECT count(*) FROM events)`

// sqliteRaw is a connection of its own to the SQLite file, with a large
// page cache for the bulk inserts.
type sqliteRaw struct{ db *sql.DB }

func openSQLiteRaw(path string) (*sqliteRaw, error) {
	db, err := sql.Open("sqlite", "file:"+path+
		"?_pragma=busy_timeout(60000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-1048576)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return &sqliteRaw{db: db}, db.Ping()
}

func (r *sqliteRaw) close() { r.db.Close() }

func (r *sqliteRaw) exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := r.db.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (r *sqliteRaw) rows(ctx context.Context, q string, args ...any) ([][]string, error) {
	rows, err := r.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out [][]string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		out = append(out, texts(vals))
	}
	return out, rows.Err()
}

// pgRaw is one connection of its own to PostgreSQL.
type pgRaw struct{ conn *pgx.Conn }

func openPgRaw(ctx context.Context, url string) (*pgRaw, error) {
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, err
	}
	return &pgRaw{conn: c}, nil
}

func (r *pgRaw) close() { r.conn.Close(context.Background()) }

func (r *pgRaw) exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := r.conn.Exec(ctx, q, args...)
	return tag.RowsAffected(), err
}

func (r *pgRaw) rows(ctx context.Context, q string, args ...any) ([][]string, error) {
	rows, err := r.conn.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, err
		}
		out = append(out, texts(vals))
	}
	return out, rows.Err()
}

// texts formats a row's values for printing.
func texts(vals []any) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		if b, ok := v.([]byte); ok {
			v = string(b)
		}
		out[i] = fmt.Sprint(v)
	}
	return out
}
