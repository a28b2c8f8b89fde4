// Package postgres implements account.Store on PostgreSQL (github.com/jackc/pgx/v5
// with a pgxpool pool), with its schema in embedded, numbered migrations. It is
// the backend for running several accountd nodes on one database. It imports
// only the account and groupcommit packages of this project.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/groupcommit"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// codeUniqueViolation is the SQLSTATE of a unique or primary key violation.
const codeUniqueViolation = "23505"

// migrationLock is the key of the advisory lock every migration transaction
// takes, so that nodes starting together apply each migration once. It is
// "accountd" read as a big-endian int64.
const migrationLock int64 = 7017561974736057444

// Pool defaults, used when the URL does not set them.
const (
	defaultMaxConns       = 10
	defaultConnectTimeout = 5 * time.Second
	// rollbackTimeout bounds the rollback of a failed transaction, which
	// runs even when the caller's context is done.
	rollbackTimeout = 5 * time.Second
)

// DB is an open PostgreSQL database: a pool of connections.
type DB struct {
	pool  *pgxpool.Pool
	batch *groupcommit.Batcher[*account.Mail]
}

// maxBatch bounds how many queued mails share one transaction.
const maxBatch = 128

// refused says whether PostgreSQL answered a batch with an error, so the
// batch's implicit transaction rolled back and nothing of it was written. A
// timeout or a lost connection may come after the commit: writing the
// batch again could queue every mail twice.
func refused(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe)
}

// Open connects to the database at url (postgres://… or key=value form) and
// checks that it answers. The URL may set pool_max_conns and connect_timeout;
// otherwise the pool holds up to 10 connections and a connection attempt
// gives up after 5 seconds.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err // pgconn redacts the password from its parse errors
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open %s:%d/%s: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port,
			cfg.ConnConfig.Database, err)
	}
	db := &DB{pool: pool}
	db.batch = groupcommit.New(maxBatch, db.insertMails, refused)
	return db, nil
}

// Close closes every connection of the pool, waiting for those in use to be
// released.
func (db *DB) Close() {
	db.batch.Close()
	db.pool.Close()
}

// Store returns the account.Store on this database.
func (db *DB) Store() *Store { return &Store{db: db, q: db.pool} }

type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) { return loadMigrations(migrationFS) }

// loadMigrations reads migrations/NNNN_name.sql from fsys in the order of
// their numbers. Two files with one number are refused: the runner records
// applied migrations by number, so the second would never run on a database
// that has the first, and would run on a fresh one.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	seen := map[int]string{}
	for _, n := range names {
		base := strings.TrimPrefix(n, "migrations/")
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number", base)
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s have the same number", other, base)
		}
		seen[v] = base
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{v, base, string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// Migrate applies every migration not yet applied, each in its own
// transaction, and returns the names it applied. Nodes may call it at the
// same time: each migration transaction holds an advisory lock and checks
// again, under it, whether another node applied the migration meanwhile.
func (db *DB) Migrate(ctx context.Context) ([]string, error) {
	ms, err := migrations()
	if err != nil {
		return nil, err
	}
	var applied []string
	for _, m := range ms {
		done, err := db.apply(ctx, m)
		if err != nil {
			return applied, fmt.Errorf("migration %s: %w", m.name, err)
		}
		if done {
			applied = append(applied, m.name)
		}
	}
	return applied, nil
}

func (db *DB) apply(ctx context.Context, m migration) (bool, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return false, err
	}
	defer rollback(ctx, tx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
		return false, err
	}
	// Created under the lock: two concurrent CREATE TABLE IF NOT EXISTS can
	// both pass the check and one then fails on pg_type's unique index.
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)`); err != nil {
		return false, err
	}
	var done bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`,
		m.version).Scan(&done); err != nil {
		return false, err
	}
	if done {
		return false, nil
	}
	// No arguments: pgx sends it over the simple protocol, which allows
	// several statements in one string.
	if _, err := tx.Exec(ctx, m.sql); err != nil {
		return false, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
		m.version, m.name, time.Now().UTC()); err != nil {
		return false, err
	}
	return true, tx.Commit(ctx)
}

// Pending returns the names of the migrations not yet applied.
func (db *DB) Pending(ctx context.Context) ([]string, error) {
	ms, err := migrations()
	if err != nil {
		return nil, err
	}
	var exists bool
	if err := db.pool.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return nil, err
	}
	applied := map[int]bool{}
	if exists {
		rows, err := db.pool.Query(ctx, `SELECT version FROM schema_migrations`)
		if err != nil {
			return nil, err
		}
		versions, err := pgx.CollectRows(rows, pgx.RowTo[int32])
		if err != nil {
			return nil, err
		}
		for _, v := range versions {
			applied[int(v)] = true
		}
	}
	var pending []string
	for _, m := range ms {
		if !applied[m.version] {
			pending = append(pending, m.name)
		}
	}
	return pending, nil
}

// querier is what both *pgxpool.Pool and pgx.Tx offer.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Store implements account.Store. Outside a transaction each call takes a
// connection from the pool; inside, every call goes to the transaction.
type Store struct {
	db   *DB
	q    querier
	inTx bool
}

var _ account.Store = (*Store)(nil)

// InTx runs fn in one transaction (READ COMMITTED, PostgreSQL's default);
// a nested InTx joins the outer one. The transaction is rolled back when fn
// returns an error or panics.
func (s *Store) InTx(ctx context.Context, fn func(tx account.Store) error) error {
	if s.inTx {
		return fn(s)
	}
	tx, err := s.db.pool.Begin(ctx)
	if err != nil {
		return mapErr(err)
	}
	defer rollback(ctx, tx)
	if err := fn(&Store{db: s.db, q: tx, inTx: true}); err != nil {
		return err
	}
	return mapErr(tx.Commit(ctx))
}

// rollback ends tx if it is still open. It runs on a context that outlives
// the caller's, so that a cancelled request still hands its connection back
// clean instead of having it closed.
func rollback(ctx context.Context, tx pgx.Tx) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
	defer cancel()
	_ = tx.Rollback(ctx) // ErrTxClosed after a commit
}

// Ping checks that the database answers and no migration is pending.
func (s *Store) Ping(ctx context.Context) error {
	pending, err := s.db.Pending(ctx)
	if err != nil {
		return err
	}
	if len(pending) > 0 {
		return fmt.Errorf("schema is not current: %d migrations pending", len(pending))
	}
	return nil
}

// mapErr translates driver errors into the account package's errors by
// SQLSTATE, never by message text.
func mapErr(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return account.ErrNotFound
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == codeUniqueViolation {
		return fmt.Errorf("%w: %v", account.ErrConflict, err)
	}
	return err
}

// exec runs a write and maps its error; it returns ErrNotFound when the
// statement changed no row and mustChange is set.
func (s *Store) exec(ctx context.Context, mustChange bool, query string, args ...any) error {
	tag, err := s.q.Exec(ctx, query, args...)
	if err != nil {
		return mapErr(err)
	}
	if mustChange && tag.RowsAffected() == 0 {
		return account.ErrNotFound
	}
	return nil
}

// tstz stores a time in UTC, the zero time as NULL. pgx sends it in binary
// with microsecond precision, dropping the nanoseconds.
func tstz(t time.Time) pgtype.Timestamptz {
	if t.IsZero() {
		return pgtype.Timestamptz{}
	}
	return pgtype.Timestamptz{Time: t.UTC(), Valid: true}
}

// fromTstz reads what tstz stored, in UTC.
func fromTstz(v pgtype.Timestamptz) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return v.Time.UTC()
}

// limit turns a row limit into a LIMIT argument: a negative one means no
// limit (NULL), as in SQLite, where PostgreSQL would reject it.
func limit(n int) any {
	if n < 0 {
		return nil
	}
	return n
}
