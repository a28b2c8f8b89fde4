package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite" // the "sqlite" driver of database/sql, for the bulk insert

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/password"
	"github.com/accountd/accountd/internal/postgres"
	"github.com/accountd/accountd/internal/sqlite"
)

// seedEmail is the address of the i-th seeded account. Zero-padded to seven
// digits so the addresses sort in the order they are made, up to 10^7.
func seedEmail(i int) string { return fmt.Sprintf("bench-seed-%07d@bench.example.org", i) }

// maxSeedUsers bounds -users: seedEmail's padding, and what a bench needs.
const maxSeedUsers = 10_000_000

// seedBatchSize is how many accounts one INSERT writes. SQLite binds at most
// 32,766 parameters, PostgreSQL 65,535; a row takes two.
const seedBatchSize = 2000

const seedUsage = `accountd-bench seed writes accounts straight into a database, in bulk, for
benchmarks at scale (docs/benchmarks.md#a-million-accounts-issue-21).

Usage:
  accountd-bench seed -database-url URL -users N [-password P]

URL is a SQLite file or a postgres:// URL, as ACCOUNTD_DATABASE_URL; the
database is migrated first (through accountd's own stores). The accounts are
bench-seed-0000000@bench.example.org … bench-seed-<N-1>@…, verified, with one
argon2id hash of P (accountd's parameters) computed once and shared by all.
Accounts that exist already are kept, so a second run with a larger N adds
the rest. Run accountd-bench with -seeded N to use them.

Flags:
`

// runSeed is the seed subcommand.
func runSeed(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("accountd-bench seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, seedUsage); fs.PrintDefaults() }
	dbURL := fs.String("database-url", "", "the database: a SQLite file or a postgres:// URL")
	users := fs.Int("users", 0, "accounts to have, numbered from 0")
	pw := fs.String("password", defaultBenchPassword, "password of every seeded account")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("seed: unexpected argument %q", fs.Arg(0))
	case *dbURL == "":
		return errors.New("seed: -database-url is required")
	case *users < 1 || *users > maxSeedUsers:
		return fmt.Errorf("seed: -users %d: want 1 to %d", *users, maxSeedUsers)
	case *pw == "":
		return errors.New("seed: -password must not be empty")
	}
	start := time.Now()
	// One hash for every account: argon2id is slow on purpose, and a million
	// of them would take hours. Each account still verifies like a real one.
	hash, err := (&password.Hasher{Params: password.DefaultParams()}).Hash(*pw)
	if err != nil {
		return err
	}
	t, err := openSeedTarget(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer t.close()
	added, err := seedUsers(ctx, t, *users, hash, start)
	if err != nil {
		return fmt.Errorf("seed: %w (%d accounts added before)", err, added)
	}
	if err := t.analyze(ctx); err != nil {
		return err
	}
	size, err := t.size(ctx)
	if err != nil {
		return err
	}
	d := time.Since(start)
	fmt.Fprintf(stdout, "%d accounts (%d added) in %v, %.0f accounts/s added; database %.1f MiB\n",
		*users, added, d.Round(time.Millisecond), float64(added)/d.Seconds(), float64(size)/(1<<20))
	return ctx.Err()
}

// seedTarget is a migrated database open for the bulk insert.
type seedTarget struct {
	// insert runs one statement with args and returns the rows it wrote.
	insert func(ctx context.Context, query string, args ...any) (int64, error)
	// analyze brings the planner's statistics up to date after the insert.
	analyze func(ctx context.Context) error
	size    func(ctx context.Context) (int64, error)
	close   func()
	// param is the n-th (from 1) placeholder; now is a time as the
	// store's columns hold it.
	param func(n int) string
	now   func(t time.Time) any
}

// isPostgresURL reports whether url names PostgreSQL, as accountd reads
// ACCOUNTD_DATABASE_URL.
func isPostgresURL(url string) bool {
	return strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
}

// openSeedTarget migrates the database through accountd's own store, so the
// schema is the real one, then opens a plain connection for the insert.
func openSeedTarget(ctx context.Context, url string) (*seedTarget, error) {
	if isPostgresURL(url) {
		return openSeedPostgres(ctx, url)
	}
	return openSeedSQLite(ctx, url)
}

func openSeedPostgres(ctx context.Context, url string) (*seedTarget, error) {
	db, err := postgres.Open(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("-database-url: %w", err)
	}
	_, err = db.Migrate(ctx)
	db.Close()
	if err != nil {
		return nil, err
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("-database-url: %w", err)
	}
	return &seedTarget{
		insert: func(ctx context.Context, q string, args ...any) (int64, error) {
			tag, err := conn.Exec(ctx, q, args...)
			return tag.RowsAffected(), err
		},
		// What autovacuum would do a moment later; the plans of the first
		// runs after a bulk insert should not depend on its timing.
		analyze: func(ctx context.Context) error {
			_, err := conn.Exec(ctx, `ANALYZE users`)
			return err
		},
		size: func(ctx context.Context) (n int64, err error) {
			err = conn.QueryRow(ctx, `SELECT pg_database_size(current_database())`).Scan(&n)
			return n, err
		},
		close: func() { conn.Close(context.Background()) },
		param: func(n int) string { return "$" + strconv.Itoa(n) },
		now:   func(t time.Time) any { return t },
	}, nil
}

func openSeedSQLite(ctx context.Context, path string) (*seedTarget, error) {
	db, err := sqlite.Open(path)
	if err != nil {
		return nil, err
	}
	_, err = db.Migrate(ctx)
	db.Close()
	if err != nil {
		return nil, err
	}
	// The file exists now, in WAL mode; one connection does the insert.
	conn, err := sql.Open("sqlite", path)
	if err != nil {
		return nil, err
	}
	conn.SetMaxOpenConns(1)
	if _, err := conn.ExecContext(ctx, `PRAGMA busy_timeout = 10000`); err != nil {
		conn.Close()
		return nil, err
	}
	return &seedTarget{
		insert: func(ctx context.Context, q string, args ...any) (int64, error) {
			res, err := conn.ExecContext(ctx, q, args...)
			if err != nil {
				return 0, err
			}
			return res.RowsAffected()
		},
		// accountd never runs ANALYZE on SQLite: its planner works without
		// statistics (sqlite_stat1), and so must the seeded database.
		analyze: func(context.Context) error { return nil },
		size: func(ctx context.Context) (int64, error) {
			// The checkpoint moves the WAL into the file, so its size is
			// the database's.
			if _, err := conn.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
				return 0, err
			}
			st, err := os.Stat(path)
			if err != nil {
				return 0, err
			}
			return st.Size(), nil
		},
		close: func() { conn.Close() },
		param: func(n int) string { return "?" + strconv.Itoa(n) },
		now:   func(t time.Time) any { return t.UnixMicro() },
	}, nil
}

// seedUsers inserts accounts 0 … n-1 that do not exist yet, seedBatchSize a
// statement (each its own transaction, so an interrupted run keeps what it
// wrote), and returns how many it added.
func seedUsers(ctx context.Context, t *seedTarget, n int, hash string, now time.Time) (int64, error) {
	var added int64
	var q string
	for first := 0; first < n; first += seedBatchSize {
		rows := min(seedBatchSize, n-first)
		if first == 0 || rows < seedBatchSize {
			q = seedInsert(t.param, rows)
		}
		args := make([]any, 0, 3+2*rows)
		args = append(args, hash, t.now(now), true)
		for i := first; i < first+rows; i++ {
			email := seedEmail(i)
			// The key as registration makes it, so lookups find the row.
			args = append(args, email, account.EmailKey(email))
		}
		k, err := t.insert(ctx, q, args...)
		if err != nil {
			return added, err
		}
		added += k
	}
	return added, nil
}

// seedInsert is an INSERT of rows accounts: parameter 1 is the password hash,
// 2 the time of every timestamp, 3 true (verified), then each row's address
// and email key. Rows whose key exists already are skipped.
func seedInsert(param func(int) string, rows int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO users (email, email_key, password_hash, email_verified,
		created_at, updated_at, password_changed_at, email_changed_at) VALUES `)
	for r := range rows {
		if r > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "(%s,%s,%s,%s,%s,%s,%s,%s)", param(4+2*r), param(5+2*r),
			param(1), param(3), param(2), param(2), param(2), param(2))
	}
	b.WriteString(` ON CONFLICT (email_key) DO NOTHING`)
	return b.String()
}
