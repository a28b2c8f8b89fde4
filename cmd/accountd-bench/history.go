package main

// accountd-bench history fills a migrated database of either store with a
// month of outbox and audit history in bulk, then measures what must stay
// fast on it: the mail worker's claim, the outbox numbers /metrics reads,
// and the retention purges, with each query's plan, the size of the
// database before and after, and how long a writer waits while a purge
// runs (docs/benchmarks.md#a-month-of-history-issue-21).

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/postgres"
	"github.com/accountd/accountd/internal/sqlite"
)

type historyConfig struct {
	databaseURL    string
	mails, events  int
	days           int
	users          int
	queued         int
	chunk          int
	fill, purge    bool
	refill         bool
	tableSizes     bool
	repeat         int
	metricsURL     string
	metricsScrapes int
}

const historyUsage = `accountd-bench history fills a database with a month of sent mail and
audit events, then measures the mail worker's claim, the outbox numbers
/metrics reads, the retention purges and the database's size.

Usage:
  accountd-bench history -database-url U [-mails N] [-events M] [-days D] [flags]

U is a postgres:// URL or a SQLite file path; it is migrated first. Run it
with -fill=false to measure an already filled database again.

Flags:
`

func runHistory(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c historyConfig
	fs := flag.NewFlagSet("accountd-bench history", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, historyUsage); fs.PrintDefaults() }
	fs.StringVar(&c.databaseURL, "database-url", "", "postgres:// URL or SQLite file path (required)")
	fs.IntVar(&c.mails, "mails", 10_000_000, "sent mails to insert, spread over -days")
	fs.IntVar(&c.events, "events", 30_000_000, "audit events to insert, spread over -days")
	fs.IntVar(&c.days, "days", 30, "days the history spans, ending now")
	fs.IntVar(&c.users, "users", 50_000, "distinct addresses and user ids the rows name")
	fs.IntVar(&c.queued, "queued", 20, "queued mails (due now) among the sent ones")
	fs.IntVar(&c.chunk, "chunk", 1_000_000, "rows per insert statement")
	fs.BoolVar(&c.fill, "fill", true, "insert the history first (false: measure the database as it is)")
	fs.BoolVar(&c.purge, "purge", true, "purge the oldest day and measure it")
	fs.BoolVar(&c.refill, "refill", true, "after the purge, add a day of history to show whether the freed space is reused")
	fs.BoolVar(&c.tableSizes, "table-sizes", true, "report each table's and index's size (on SQLite this reads every page)")
	fs.IntVar(&c.repeat, "n", 200, "calls per timed operation")
	fs.StringVar(&c.metricsURL, "metrics-url", "", "also time scrapes of this /metrics (an accountd serve on the same database)")
	fs.IntVar(&c.metricsScrapes, "metrics-n", 50, "scrapes of -metrics-url")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.databaseURL == "" {
		return errors.New("history: -database-url is required")
	}
	if c.mails < 0 || c.events < 0 || c.days < 2 || c.users < 1 || c.chunk < 1 || c.repeat < 1 || c.queued < 0 {
		return errors.New("history: -mails, -events and -queued must not be negative; -days at least 2; -users, -chunk and -n positive")
	}
	if c.metricsURL != "" {
		if err := loopbackURL(c.metricsURL); err != nil {
			return fmt.Errorf("-metrics-url: %w", err)
		}
	}
	h, err := openHistoryDB(ctx, c.databaseURL)
	if err != nil {
		return err
	}
	defer h.close()
	r := &historyRun{cfg: c, db: h, out: stdout, log: stderr}
	return r.run(ctx)
}

// historyDB is a migrated store with a plain connection beside it for the
// bulk inserts, the plans and the sizes.
type historyDB struct {
	name  string // sqlite or postgres
	path  string // SQLite file
	store account.Store
	raw   rawDB
	sql   historySQL
	close func()
	// migrated says which migrations opening it applied, and how long
	// they took (on a filled database: building a new index).
	migrated string
}

func migratedNote(applied []string, took time.Duration) string {
	if len(applied) == 0 {
		return "no migration to apply"
	}
	if len(applied) > 3 {
		applied = append(applied[:1], "…", applied[len(applied)-1])
	}
	return fmt.Sprintf("migrations %s applied in %s", strings.Join(applied, ", "), took.Round(time.Millisecond))
}

// rawDB runs statements the store has no method for.
type rawDB interface {
	exec(ctx context.Context, q string, args ...any) (int64, error)
	rows(ctx context.Context, q string, args ...any) ([][]string, error)
}

func openHistoryDB(ctx context.Context, url string) (*historyDB, error) {
	if strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://") {
		db, err := postgres.Open(ctx, url)
		if err != nil {
			return nil, err
		}
		t0 := time.Now()
		applied, err := db.Migrate(ctx)
		if err != nil {
			db.Close()
			return nil, err
		}
		migrated := migratedNote(applied, time.Since(t0))
		raw, err := openPgRaw(ctx, url)
		if err != nil {
			db.Close()
			return nil, err
		}
		return &historyDB{name: "postgres", store: db.Store(), raw: raw, sql: postgresHistorySQL, migrated: migrated,
			close: func() { raw.close(); db.Close() }}, nil
	}
	db, err := sqlite.Open(url)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	applied, err := db.Migrate(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	migrated := migratedNote(applied, time.Since(t0))
	raw, err := openSQLiteRaw(url)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &historyDB{name: "sqlite", path: url, store: db.Store(), raw: raw, sql: sqliteHistorySQL, migrated: migrated,
		close: func() { raw.close(); db.Close() }}, nil
}

type historyRun struct {
	cfg        historyConfig
	db         *historyDB
	out, log   io.Writer
	start, end time.Time
}

func (r *historyRun) printf(format string, args ...any) { fmt.Fprintf(r.out, format, args...) }

func (r *historyRun) run(ctx context.Context) error {
	c := r.cfg
	m := machine()
	r.printf("# accountd-bench history on %s: %d mails and %d events a month, over %d days\n", r.db.name, c.mails, c.events, c.days)
	r.printf("machine: %s, %d CPUs, %d MiB, %s; load average at start %s\n", m.CPUModel, m.CPUs, m.MemoryMiB, m.GoVersion, m.LoadStart)
	r.printf("%s\n", r.db.migrated)
	// Whole seconds, so that a second run with -fill=false finds the
	// same month from the rows themselves.
	if c.fill {
		r.end = time.Now().UTC().Truncate(time.Second)
		r.start = r.end.Add(-time.Duration(c.days) * 24 * time.Hour)
		if err := r.fillAll(ctx); err != nil {
			return err
		}
	} else {
		if err := r.findMonth(ctx); err != nil {
			return err
		}
		// A fill stopped before its end left no queued mail to claim.
		if st, err := r.db.store.MailStats(ctx); err != nil {
			return err
		} else if st.Queued == 0 {
			if err := r.enqueue(ctx); err != nil {
				return err
			}
		}
	}
	r.sizes(ctx, "after the fill")
	if err := r.claims(ctx); err != nil {
		return err
	}
	if err := r.stats(ctx); err != nil {
		return err
	}
	if c.purge {
		if err := r.purges(ctx); err != nil {
			return err
		}
		r.sizes(ctx, "after purging a day")
		if len(r.db.sql.afterPurge) > 0 {
			t0 := time.Now()
			for _, q := range r.db.sql.afterPurge {
				if _, err := r.db.raw.exec(ctx, q); err != nil {
					return fmt.Errorf("%s: %w", q, err)
				}
			}
			r.printf("\n%s: %s; load average %s\n", strings.Join(r.db.sql.afterPurge, "; "),
				time.Since(t0).Round(time.Millisecond), loadAverage())
			r.sizes(ctx, "after "+strings.Join(r.db.sql.afterPurge, "; "))
		}
		if c.refill {
			if err := r.fillDay(ctx); err != nil {
				return err
			}
			r.sizes(ctx, "after adding a day again")
		}
	}
	r.printf("load average at end %s\n", loadAverage())
	return nil
}

// findMonth reads the span of an already filled database.
func (r *historyRun) findMonth(ctx context.Context) error {
	rows, err := r.db.raw.rows(ctx, r.db.sql.span)
	if err != nil {
		return err
	}
	var lo int64
	if _, err := fmt.Sscan(rows[0][0], &lo); err != nil {
		return fmt.Errorf("history: the database holds no sent mail to measure (%v)", err)
	}
	r.start = time.UnixMicro(lo).UTC()
	r.end = r.start.Add(time.Duration(r.cfg.days) * 24 * time.Hour)
	r.printf("history found: %s to %s\n", r.start.Format(time.RFC3339), r.end.Format(time.RFC3339))
	return nil
}

// step is the time between two consecutive rows of n over the month.
func (r *historyRun) step(n int) int64 {
	return (r.end.Sub(r.start)).Microseconds() / int64(max(n, 1))
}

// fillAll inserts the month in chunks, then the queued mails.
func (r *historyRun) fillAll(ctx context.Context) error {
	c := r.cfg
	t0 := time.Now()
	if err := r.insert(ctx, "mails", r.db.sql.fillMail, 0, c.mails, r.step(c.mails)); err != nil {
		return err
	}
	t1 := time.Now()
	if err := r.insert(ctx, "events", r.db.sql.fillEvents, 0, c.events, r.step(c.events)); err != nil {
		return err
	}
	t2 := time.Now()
	if err := r.enqueue(ctx); err != nil {
		return err
	}
	for _, q := range r.db.sql.afterFill {
		if _, err := r.db.raw.exec(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	t3 := time.Now()
	r.printf("fill: %d mails in %s (%.0f rows/s), %d events in %s (%.0f rows/s), %d queued mails and %s in %s; load average %s\n",
		c.mails, t1.Sub(t0).Round(time.Second), float64(c.mails)/t1.Sub(t0).Seconds(),
		c.events, t2.Sub(t1).Round(time.Second), float64(c.events)/t2.Sub(t1).Seconds(),
		c.queued, strings.Join(r.db.sql.afterFill, "; "), t3.Sub(t2).Round(time.Millisecond), loadAverage())
	return nil
}

// insert runs a fill statement over rows [lo, hi) a chunk at a time.
func (r *historyRun) insert(ctx context.Context, what, q string, lo, hi int, step int64) error {
	t0 := time.Now()
	for from := lo; from < hi; from += r.cfg.chunk {
		to := min(from+r.cfg.chunk, hi) - 1
		if _, err := r.db.raw.exec(ctx, q, from, to, r.start.UnixMicro(), step, r.cfg.users); err != nil {
			return fmt.Errorf("inserting %s %d–%d: %w", what, from, to, err)
		}
		done := to + 1 - lo
		fmt.Fprintf(r.log, "%s: %d/%d (%.0f rows/s, load %s)\n", what, done, hi-lo,
			float64(done)/time.Since(t0).Seconds(), loadAverage())
	}
	return nil
}

// enqueue queues mails due now through the store, as requests would.
func (r *historyRun) enqueue(ctx context.Context) error {
	for i := range r.cfg.queued {
		at := r.end.Add(-time.Duration(r.cfg.queued-i) * time.Second)
		m := account.Mail{Kind: account.MailResetRequest, To: fmt.Sprintf("queued%d@example.com", i),
			Locale: "en", MessageID: fmt.Sprintf("<queued-%d@bench.example>", i),
			Status: account.MailQueued, CreatedAt: at, NextAt: at}
		if err := r.db.store.EnqueueMail(ctx, &m); err != nil {
			return err
		}
	}
	return nil
}

// fillDay adds the day after the month: the rows a day of traffic adds
// while the purge takes a day away.
func (r *historyRun) fillDay(ctx context.Context) error {
	c := r.cfg
	t0 := time.Now()
	if err := r.insert(ctx, "mails", r.db.sql.fillMail, c.mails, c.mails+c.mails/c.days, r.step(c.mails)); err != nil {
		return err
	}
	if err := r.insert(ctx, "events", r.db.sql.fillEvents, c.events, c.events+c.events/c.days, r.step(c.events)); err != nil {
		return err
	}
	r.printf("\nadded a day: %d mails and %d events in %s\n", c.mails/c.days, c.events/c.days, time.Since(t0).Round(time.Second))
	return nil
}

// timed calls fn n times and summarises the durations.
func timed(n int, fn func() error) (Latency, error) {
	ds := make([]time.Duration, 0, n)
	for range n {
		t0 := time.Now()
		if err := fn(); err != nil {
			return Latency{}, err
		}
		ds = append(ds, time.Since(t0))
	}
	return latencyOf(ds), nil
}

func (l Latency) String() string {
	return fmt.Sprintf("p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms", l.P50, l.P90, l.P99, l.Max)
}

// claims times the worker's claim with nothing due (its idle poll) and with
// the queued mails due (each call claims them again: the lease ends at now).
func (r *historyRun) claims(ctx context.Context) error {
	const batch = 12 // the worker's default
	idleAt := r.start.Add(time.Hour)
	idle, err := timed(r.cfg.repeat, func() error {
		_, err := r.db.store.ClaimMail(ctx, idleAt, idleAt.Add(time.Minute), batch)
		return err
	})
	if err != nil {
		return err
	}
	now, got := r.end, 0
	due, err := timed(r.cfg.repeat, func() error {
		ms, err := r.db.store.ClaimMail(ctx, now, now, batch)
		got = len(ms)
		return err
	})
	if err != nil {
		return err
	}
	r.printf("\n## ClaimMail (batch %d)\nnothing due: %s\n%d due: %s\nload average %s\n", batch, idle, got, due, loadAverage())
	r.plan(ctx, "claim", r.db.sql.claimPlan, micros(now), batch)
	return nil
}

func micros(t time.Time) any { return t.UnixMicro() }

// stats times MailStats, what /metrics reads from the database, and
// scrapes a running accountd's /metrics when given one.
func (r *historyRun) stats(ctx context.Context) error {
	var st account.MailStats
	l, err := timed(r.cfg.repeat, func() error {
		var err error
		st, err = r.db.store.MailStats(ctx)
		return err
	})
	if err != nil {
		return err
	}
	r.printf("\n## MailStats (/metrics)\nqueued %d, dead %d, oldest queued %s: %s; load average %s\n",
		st.Queued, st.Dead, st.OldestQueued.Format(time.RFC3339), l, loadAverage())
	r.plan(ctx, "MailStats", r.db.sql.statsPlan)
	if r.cfg.metricsURL == "" {
		return nil
	}
	client := &http.Client{Timeout: 10 * time.Second}
	l, err = timed(r.cfg.metricsScrapes, func() error {
		resp, err := client.Get(r.cfg.metricsURL)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: %s", r.cfg.metricsURL, resp.Status)
		}
		return nil
	})
	if err != nil {
		return err
	}
	r.printf("GET %s, %d scrapes: %s; load average %s\n", r.cfg.metricsURL, r.cfg.metricsScrapes, l, loadAverage())
	return nil
}

// purges deletes the oldest day of mail and of events, as the hourly purge
// does the first time it runs after a day's retention is over, while a
// writer adds an event every 10 ms; then purges again with nothing left to
// delete, as every later hour does.
func (r *historyRun) purges(ctx context.Context) error {
	cutoff := r.start.Add(24 * time.Hour)
	r.printf("\n## Purges of the oldest day (before %s)\n", cutoff.Format(time.RFC3339))
	r.plan(ctx, "PurgeMail", r.db.sql.purgeMailPlan, micros(cutoff))
	r.plan(ctx, "PurgeEvents", r.db.sql.purgeEventsPlan, micros(cutoff))
	quiet := r.probeWhile(ctx, func() error {
		select {
		case <-time.After(2 * time.Second):
		case <-ctx.Done():
		}
		return ctx.Err()
	})
	r.printf("a writer adding an event every 10 ms, no purge (2 s): %s\n", quiet.lat)
	for _, p := range []struct {
		name string
		fn   func(context.Context, time.Time) (int, error)
	}{{"PurgeMail", r.db.store.PurgeMail}, {"PurgeEvents", r.db.store.PurgeEvents}} {
		for _, again := range []string{"", " again (nothing left)"} {
			var n int
			pr := r.probeWhile(ctx, func() error {
				var err error
				n, err = p.fn(ctx, cutoff)
				return err
			})
			if pr.err != nil {
				return pr.err
			}
			r.printf("%s%s: %d rows in %s; the writer meanwhile: %s; load average %s\n",
				p.name, again, n, pr.took.Round(time.Millisecond), pr.lat, loadAverage())
		}
	}
	return nil
}

type probeResult struct {
	took time.Duration
	lat  Latency
	err  error
}

// probeWhile runs fn while another goroutine adds an audit event every
// 10 ms, the write a request makes, and reports how long those took.
func (r *historyRun) probeWhile(ctx context.Context, fn func() error) probeResult {
	pctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var ds []time.Duration
	wg.Go(func() {
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-pctx.Done():
				return
			case <-t.C:
			}
			e := account.Event{Time: time.Now(), Type: "login", Email: "probe@example.com",
				EmailKey: "probe@example.com", IP: "127.0.0.1"}
			t0 := time.Now()
			if err := r.db.store.AddEvent(ctx, &e); err != nil {
				continue
			}
			ds = append(ds, time.Since(t0))
		}
	})
	t0 := time.Now()
	err := fn()
	took := time.Since(t0)
	stop()
	wg.Wait()
	return probeResult{took: took, lat: latencyOf(ds), err: err}
}

// plan prints the query plan of q.
func (r *historyRun) plan(ctx context.Context, name, q string, args ...any) {
	rows, err := r.db.raw.rows(ctx, q, args...)
	if err != nil {
		r.printf("plan of %s: %v\n", name, err)
		return
	}
	r.printf("plan of %s:\n", name)
	for _, row := range rows {
		r.printf("    %s\n", row[len(row)-1])
	}
}

// sizes prints the database's size and each table's.
func (r *historyRun) sizes(ctx context.Context, when string) {
	r.printf("\n## Size %s\n", when)
	if r.db.path != "" {
		var total int64
		for _, suffix := range []string{"", "-wal"} {
			if fi, err := os.Stat(r.db.path + suffix); err == nil {
				r.printf("file %s%s: %s\n", r.db.path, suffix, mib(fi.Size()))
				total += fi.Size()
			}
		}
	}
	qs := r.db.sql.sizes
	if !r.cfg.tableSizes {
		qs = qs[:2]
	}
	for _, q := range qs {
		rows, err := r.db.raw.rows(ctx, q)
		if err != nil {
			r.printf("%s: %v\n", q, err)
			continue
		}
		for _, row := range rows {
			r.printf("    %s\n", strings.Join(row, "  "))
		}
	}
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
