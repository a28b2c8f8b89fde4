package sqlite_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/sqlite"
	"github.com/accountd/accountd/internal/storetest"
)

// open opens the database file at path, closed when the test ends.
func open(t *testing.T, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatalf("Open(%q) error = %v, want nil", path, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// migrate applies every migration and returns their names.
func migrate(t *testing.T, db *sqlite.DB) []string {
	t.Helper()
	applied, err := db.Migrate(t.Context())
	if err != nil {
		t.Fatalf("Migrate() error = %v, want nil", err)
	}
	return applied
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) account.Store {
		db := open(t, filepath.Join(t.TempDir(), "a.db"))
		migrate(t, db)
		return db.Store()
	})
}

func TestMigrateIsIdempotent(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "a.db"))
	first := migrate(t, db)
	if len(first) == 0 {
		t.Fatalf("Migrate() on a new file = %q, want every migration applied", first)
	}
	if again := migrate(t, db); len(again) != 0 {
		t.Errorf("Migrate() again = %q, want nothing applied", again)
	}
}

func TestPending(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "a.db"))
	before, err := db.Pending(t.Context())
	if err != nil {
		t.Fatalf("Pending() on a new file error = %v, want nil", err)
	}
	applied := migrate(t, db)
	if diff := cmp.Diff(applied, before); diff != "" {
		t.Errorf("Pending() on a new file differs from what Migrate() applied (-applied +pending):\n%s", diff)
	}
	after, err := db.Pending(t.Context())
	if err != nil || len(after) != 0 {
		t.Errorf("Pending() after Migrate() = %q, %v, want none, nil", after, err)
	}
}

func TestPingNeedsMigrate(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "a.db"))
	if err := db.Store().Ping(t.Context()); err == nil {
		t.Errorf("Ping() before Migrate() = nil, want an error")
	}
	migrate(t, db)
	if err := db.Store().Ping(t.Context()); err != nil {
		t.Errorf("Ping() after Migrate() = %v, want nil", err)
	}
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.db")
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatalf("Open(%q) error = %v, want nil", path, err)
	}
	migrate(t, db)
	now := time.Date(2026, 11, 27, 13, 58, 10, 246406000, time.UTC)
	u := account.User{Email: "a@example.com", EmailKey: "a@example.com", PasswordHash: "h",
		Timezone: "UTC", CreatedAt: now, UpdatedAt: now, PasswordChangedAt: now, EmailChangedAt: now}
	if err := db.Store().CreateUser(t.Context(), &u); err != nil {
		t.Fatalf("CreateUser() error = %v, want nil", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close() = %v, want nil", err)
	}

	db = open(t, path)
	if pending, err := db.Pending(t.Context()); err != nil || len(pending) != 0 {
		t.Errorf("Pending() after reopening = %q, %v, want none, nil", pending, err)
	}
	got, err := db.Store().UserByID(t.Context(), u.ID)
	if err != nil {
		t.Fatalf("UserByID(%d) after reopening error = %v, want nil", u.ID, err)
	}
	if diff := cmp.Diff(u, got); diff != "" {
		t.Errorf("UserByID(%d) after reopening mismatch (-want +got):\n%s", u.ID, diff)
	}
}

// TestOpenPathIsAFileName checks that Open treats its argument as a file
// name, not as part of a URI. Such names are not far-fetched: t.TempDir keeps
// '#' and '%' in the directory names it makes from test names, and the
// subtest names here are plain so that a misplaced file stays in the test's
// own directory.
func TestOpenPathIsAFileName(t *testing.T) {
	for _, c := range []struct{ name, file string }{
		{"Hash", "a#1.db"},
		{"Percent", "a%231.db"},
		{"Question", "a?mode=ro.db"},
		{"Space", "a b.db"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), c.file)
			db, err := sqlite.Open(path)
			if err != nil {
				t.Fatalf("Open(%q) error = %v, want nil", path, err)
			}
			t.Cleanup(func() { db.Close() })
			if _, err := db.Migrate(t.Context()); err != nil {
				t.Fatalf("Migrate() of %q error = %v, want nil", path, err)
			}
			if _, err := os.Stat(path); err != nil {
				entries, _ := os.ReadDir(filepath.Dir(path))
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				t.Errorf("Open(%q) made no file at that path (%v); the directory holds %q", path, err, names)
			}
		})
	}
}
