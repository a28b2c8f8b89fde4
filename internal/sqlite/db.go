// Package sqlite implements account.Store on SQLite (modernc.org/sqlite, no
// cgo), with its schema in embedded, numbered migrations. It imports only
// the account and groupcommit packages of this project.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/groupcommit"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// SQLite extended result codes for constraint violations (sqlite3.h).
const (
	codeConstraintUnique     = 2067
	codeConstraintPrimaryKey = 1555
	sqliteBusy               = 5 // primary result codes
	sqliteLocked             = 6
)

// DB is an open SQLite database: one writer connection, so writers queue in
// Go rather than spin on SQLITE_BUSY, and a pool of readers (WAL lets them
// read while the writer writes).
type DB struct {
	w, r  *sql.DB
	batch *groupcommit.Batcher[*account.Mail]
}

// Open opens (creating if needed) the database file at path.
func Open(path string) (*DB, error) {
	// The writer first: its first connection creates the file and turns WAL
	// on, which the readers rely on.
	w, err := openPool(path, "immediate", 1)
	if err != nil {
		return nil, err
	}
	r, err := openPool(path, "deferred", 8)
	if err != nil {
		w.Close() // its connection is open by now
		return nil, err
	}
	return &DB{w: w, r: r, batch: newBatcher(w)}, nil
}

// openPool opens a pool of up to n connections to the file at path whose
// transactions begin with txlock, and checks that one connects.
func openPool(path, txlock string, n int) (*sql.DB, error) {
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", txlock)
	// SQLite decodes %HH in URI filenames and starts the query at the first
	// "?": escape those so any file name means itself.
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	c, err := newCachingConnector("file:" + esc + "?" + q.Encode())
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(c)
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n) // keep their prepared statements (the default keeps 2)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// Close closes the database.
func (db *DB) Close() error {
	db.batch.Close()
	return errors.Join(db.r.Close(), db.w.Close())
}

// Store returns the account.Store on this database.
func (db *DB) Store() *Store { return &Store{db: db, read: db.r, write: db.w} }

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
// transaction, and returns the names it applied.
func (db *DB) Migrate(ctx context.Context) ([]string, error) {
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		return nil, err
	}
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
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.version, m.name, time.Now().UnixMicro()); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// Pending returns the names of the migrations not yet applied.
func (db *DB) Pending(ctx context.Context) ([]string, error) {
	ms, err := migrations()
	if err != nil {
		return nil, err
	}
	var exists int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master
		WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&exists); err != nil {
		return nil, err
	}
	applied := map[int]bool{}
	if exists > 0 {
		rows, err := db.r.QueryContext(ctx, `SELECT version FROM schema_migrations`)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				return nil, err
			}
			applied[v] = true
		}
		if err := rows.Err(); err != nil {
			return nil, err
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

// conn is what both *sql.DB and *sql.Tx offer.
type conn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Store implements account.Store. Outside a transaction it reads through the
// reader pool and writes through the writer; inside, both go to the tx.
type Store struct {
	db          *DB
	read, write conn
	inTx        bool
}

var _ account.Store = (*Store)(nil)

// InTx runs fn in one immediate (write-locking) transaction.
func (s *Store) InTx(ctx context.Context, fn func(tx account.Store) error) error {
	if s.inTx {
		return fn(s)
	}
	tx, err := s.db.w.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(err)
	}
	defer tx.Rollback()
	if err := fn(&Store{db: s.db, read: tx, write: tx, inTx: true}); err != nil {
		return err
	}
	return mapErr(tx.Commit())
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
// error code.
func mapErr(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return account.ErrNotFound
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case codeConstraintUnique, codeConstraintPrimaryKey:
			return fmt.Errorf("%w: %v", account.ErrConflict, err)
		}
	}
	return err
}

// exec runs a write and maps its error; it returns ErrNotFound when the
// statement changed no row and mustChange is set.
func (s *Store) exec(ctx context.Context, mustChange bool, query string, args ...any) error {
	res, err := s.write.ExecContext(ctx, query, args...)
	if err != nil {
		return mapErr(err)
	}
	if !mustChange {
		return nil
	}
	// A failed count is a failure, not "no such row": that would tell a
	// caller a token or account is gone when the database is.
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return account.ErrNotFound
	}
	return nil
}

// micros stores a time as Unix microseconds, the zero time as NULL.
func micros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// fromMicros reads what micros stored.
func fromMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMicro(v.Int64).UTC()
}
