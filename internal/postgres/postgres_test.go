package postgres_test

import (
	"errors"
	"flag"
	"fmt"
	"maps"
	neturl "net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/postgres"
	"github.com/accountd/accountd/internal/storetest"
	"github.com/accountd/accountd/internal/testdb"
	"github.com/accountd/accountd/internal/testenv"
)

// TestMain lets up to 8 tests run in parallel unless -test.parallel is
// given. The time of this package's tests goes on waiting for CREATE
// DATABASE, which fsyncs a copy of template1 (one to two seconds each on a
// slow disk), not on the CPU, so the default of GOMAXPROCS leaves the
// machine idle. With pools of testPoolSize connections, 8 tests stay far
// below PostgreSQL's default max_connections of 100.
func TestMain(m *testing.M) {
	flag.Parse()
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given {
		flag.Set("test.parallel", "8")
	}
	os.Exit(testenv.Main(m))
}

// testPoolSize is the pool size of the stores under test.
const testPoolSize = 4

// open opens the database at url, closed when the test ends.
func open(t *testing.T, url string) *postgres.DB {
	t.Helper()
	url = withPoolSize(t, url, testPoolSize)
	db, err := postgres.Open(t.Context(), url)
	if err != nil {
		t.Fatalf("Open(test database) error = %v, want nil", err)
	}
	t.Cleanup(db.Close)
	return db
}

// withPoolSize sets pool_max_conns in a connection string of either form.
func withPoolSize(t *testing.T, conn string, n int) string {
	t.Helper()
	if !strings.HasPrefix(conn, "postgres://") && !strings.HasPrefix(conn, "postgresql://") {
		return conn + " pool_max_conns=" + strconv.Itoa(n)
	}
	u, err := neturl.Parse(conn)
	if err != nil {
		t.Fatal("TestDatabase() returned a URL that does not parse")
	}
	q := u.Query()
	q.Set("pool_max_conns", strconv.Itoa(n))
	u.RawQuery = q.Encode()
	return u.String()
}

// migrate applies every migration and returns their names.
func migrate(t *testing.T, db *postgres.DB) []string {
	t.Helper()
	applied, err := db.Migrate(t.Context())
	if err != nil {
		t.Fatalf("Migrate() error = %v, want nil", err)
	}
	return applied
}

// migrated returns a store on a fresh, migrated database.
func migrated(t *testing.T) *postgres.Store {
	t.Helper()
	db := open(t, testdb.PostgresDatabase(t))
	migrate(t, db)
	return db.Store()
}

func TestStore(t *testing.T) {
	t.Parallel()
	testdb.PostgresDatabase(t) // skip or fail once here rather than in every subtest
	storetest.Run(t, func(t *testing.T) account.Store {
		// Each subtest has a database of its own, so they can run side by
		// side; see TestMain.
		t.Parallel()
		return migrated(t)
	})
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	db := open(t, testdb.PostgresDatabase(t))
	first := migrate(t, db)
	if len(first) == 0 {
		t.Fatalf("Migrate() on a new database = %q, want every migration applied", first)
	}
	if again := migrate(t, db); len(again) != 0 {
		t.Errorf("Migrate() again = %q, want nothing applied", again)
	}
}

// TestConcurrentMigrate starts two nodes on one new database at once: both
// must succeed and between them apply each migration once.
func TestConcurrentMigrate(t *testing.T) {
	t.Parallel()
	url := testdb.PostgresDatabase(t)
	dbs := []*postgres.DB{open(t, url), open(t, url)}
	want, err := dbs[0].Pending(t.Context())
	if err != nil {
		t.Fatalf("Pending() error = %v, want nil", err)
	}
	applied := make([][]string, len(dbs))
	errs := make([]error, len(dbs))
	var wg sync.WaitGroup
	for i, db := range dbs {
		wg.Go(func() { applied[i], errs[i] = db.Migrate(t.Context()) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate() on node %d error = %v, want nil", i, err)
		}
	}
	got := slices.Concat(applied...)
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("migrations applied by both nodes differ from those pending (-pending +applied):\n%s", diff)
	}
	for i, db := range dbs {
		if err := db.Store().Ping(t.Context()); err != nil {
			t.Errorf("Ping() on node %d after Migrate() = %v, want nil", i, err)
		}
	}
}

func TestPending(t *testing.T) {
	t.Parallel()
	db := open(t, testdb.PostgresDatabase(t))
	before, err := db.Pending(t.Context())
	if err != nil {
		t.Fatalf("Pending() on a new database error = %v, want nil", err)
	}
	applied := migrate(t, db)
	if diff := cmp.Diff(applied, before); diff != "" {
		t.Errorf("Pending() on a new database differs from what Migrate() applied (-applied +pending):\n%s", diff)
	}
	after, err := db.Pending(t.Context())
	if err != nil || len(after) != 0 {
		t.Errorf("Pending() after Migrate() = %q, %v, want none, nil", after, err)
	}
}

func TestPingNeedsMigrate(t *testing.T) {
	t.Parallel()
	db := open(t, testdb.PostgresDatabase(t))
	if err := db.Store().Ping(t.Context()); err == nil {
		t.Errorf("Ping() before Migrate() = nil, want an error")
	}
	migrate(t, db)
	if err := db.Store().Ping(t.Context()); err != nil {
		t.Errorf("Ping() after Migrate() = %v, want nil", err)
	}
}

func TestOpenFails(t *testing.T) {
	t.Parallel()
	testdb.PostgresDatabase(t)
	for _, url := range []string{
		"postgres://postgres:hunter2@127.0.0.1:1/none?sslmode=disable&connect_timeout=2",
		"postgres://postgres:hunter2@127.0.0.1:5432/none?pool_max_conns=zero",
	} {
		db, err := postgres.Open(t.Context(), url)
		if err == nil {
			db.Close()
			t.Errorf("Open(%q) = nil error, want one", url)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, "hunter2") {
			t.Errorf("Open(%q) error = %q, want one that does not show the password", url, msg)
		}
	}
}

// TestClaimAcrossNodes has two nodes, each its own pool with several
// workers, claim from 200 due mails until none is left: no mail may be
// leased twice, and none may be missed.
func TestClaimAcrossNodes(t *testing.T) {
	t.Parallel()
	url := testdb.PostgresDatabase(t)
	nodes := []*postgres.DB{open(t, url), open(t, url)}
	migrate(t, nodes[0])
	const n, workersPerNode = 200, 4
	now := time.Date(2026, 11, 27, 13, 0, 0, 0, time.UTC)
	var want []int64
	s := nodes[0].Store()
	for i := range n {
		m := account.Mail{Kind: account.MailResetLink, To: fmt.Sprintf("user.%d@example.com", i),
			Data: map[string]string{"token": "t"}, MessageID: fmt.Sprintf("<%d@x>", i),
			Status: account.MailQueued, CreatedAt: now, NextAt: now.Add(-time.Duration(i%7) * time.Second)}
		if err := s.EnqueueMail(t.Context(), &m); err != nil {
			t.Fatalf("EnqueueMail(%d) error = %v, want nil", i, err)
		}
		want = append(want, m.ID)
	}

	type worker struct {
		node int
		ids  []int64
		err  error
	}
	workers := make([]worker, 2*workersPerNode)
	var wg sync.WaitGroup
	for w := range workers {
		workers[w].node = w % 2
		st := nodes[w%2].Store()
		wg.Go(func() {
			for {
				ms, err := st.ClaimMail(t.Context(), now, now.Add(time.Hour), 5)
				if err != nil || len(ms) == 0 {
					workers[w].err = err
					return
				}
				for _, m := range ms {
					workers[w].ids = append(workers[w].ids, m.ID)
				}
			}
		})
	}
	wg.Wait()

	seen := map[int64]int{}
	perNode := make([]int, 2)
	for w, wk := range workers {
		if wk.err != nil {
			t.Errorf("ClaimMail by worker %d error = %v, want nil", w, wk.err)
		}
		perNode[wk.node] += len(wk.ids)
		for _, id := range wk.ids {
			if prev, ok := seen[id]; ok {
				t.Errorf("mail %d claimed by worker %d and by worker %d, want once", id, prev, w)
			}
			seen[id] = w
		}
	}
	if diff := cmp.Diff(want, slices.Sorted(maps.Keys(seen))); diff != "" {
		t.Errorf("mails claimed by both nodes (-want +got):\n%s", diff)
	}
	t.Logf("claimed per node: %v", perNode)
	for _, id := range want {
		m, err := s.MailByID(t.Context(), id)
		if err != nil || m.Attempts != 1 {
			t.Errorf("MailByID(%d) = Attempts %d, %v, want 1, nil", id, m.Attempts, err)
		}
	}
}

// TestTxStoreUsesTx checks that a Store inside InTx sees its own
// uncommitted writes and that they are invisible outside until commit.
func TestTxStoreUsesTx(t *testing.T) {
	t.Parallel()
	s := migrated(t)
	now := time.Date(2026, 11, 27, 13, 0, 0, 0, time.UTC)
	u := account.User{Email: "a@example.com", EmailKey: "a@example.com", PasswordHash: "x",
		Timezone: "UTC", CreatedAt: now, UpdatedAt: now, PasswordChangedAt: now, EmailChangedAt: now}
	err := s.InTx(t.Context(), func(tx account.Store) error {
		if err := tx.CreateUser(t.Context(), &u); err != nil {
			return err
		}
		if _, err := s.UserByID(t.Context(), u.ID); !errors.Is(err, account.ErrNotFound) {
			t.Errorf("UserByID(%d) outside the open transaction error = %v, want ErrNotFound", u.ID, err)
		}
		_, err := tx.UserByID(t.Context(), u.ID)
		return err
	})
	if err != nil {
		t.Fatalf("InTx() error = %v, want nil", err)
	}
	if _, err := s.UserByID(t.Context(), u.ID); err != nil {
		t.Errorf("UserByID(%d) after commit error = %v, want nil", u.ID, err)
	}
}

// TestNegativeLimitIsNoLimit pins the SQLite meaning of a negative limit,
// which PostgreSQL would otherwise reject.
func TestNegativeLimitIsNoLimit(t *testing.T) {
	t.Parallel()
	s := migrated(t)
	now := time.Date(2026, 11, 27, 13, 0, 0, 0, time.UTC)
	for i := range 3 {
		e := account.Event{Time: now, Type: "login"}
		if err := s.AddEvent(t.Context(), &e); err != nil {
			t.Fatalf("AddEvent(%d) error = %v, want nil", i, err)
		}
	}
	ev, err := s.Events(t.Context(), account.EventFilter{Limit: -1})
	if err != nil || len(ev) != 3 {
		t.Errorf("Events(Limit -1) = %d events, %v, want 3, nil", len(ev), err)
	}

	// APIKeys likewise, and a negative offset is none.
	u := account.User{Email: "a@example.com", EmailKey: "a@example.com", PasswordHash: "x",
		Timezone: "UTC", CreatedAt: now, UpdatedAt: now, PasswordChangedAt: now, EmailChangedAt: now}
	if err := s.CreateUser(t.Context(), &u); err != nil {
		t.Fatalf("CreateUser() error = %v, want nil", err)
	}
	for i := range 3 {
		k := account.Token{UserID: u.ID, Kind: account.TokenAPIKey, Hash: []byte{byte(i)}, CreatedAt: now}
		if err := s.CreateToken(t.Context(), &k); err != nil {
			t.Fatalf("CreateToken(%d) error = %v, want nil", i, err)
		}
	}
	keys, n, err := s.APIKeys(t.Context(), u.ID, -1, -1)
	if err != nil || len(keys) != 3 || n != 3 {
		t.Errorf("APIKeys(offset -1, limit -1) = %d keys, count %d, %v, want 3, 3, nil", len(keys), n, err)
	}
}

// An enqueue that PostgreSQL refuses (jsonb takes no NUL) fails alone: the
// enqueues batched with it are written.
func TestRefusedEnqueueFailsAlone(t *testing.T) {
	t.Parallel()
	s := migrated(t)
	var wg sync.WaitGroup
	errs := make([]error, 50)
	for i := range errs {
		wg.Go(func() {
			m := account.Mail{Kind: "reset_request", To: "a@example.com", MessageID: fmt.Sprintf("<%d@x>", i),
				Status: account.MailQueued, CreatedAt: time.Now(), NextAt: time.Now()}
			if i == 7 {
				m.Data = map[string]string{"n": "\x00"}
			}
			errs[i] = s.EnqueueMail(t.Context(), &m)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if (err != nil) != (i == 7) {
			t.Errorf("enqueue %d: %v", i, err)
		}
	}
	if n, err := s.CountMail(t.Context(), "reset_request", "a@example.com", time.Time{}); err != nil || n != 49 {
		t.Errorf("mails written = %d, %v; want 49", n, err)
	}
}
