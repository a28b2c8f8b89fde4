package sqlite

import (
	"testing"
	"testing/fstest"
)

func TestLoadMigrationsRefusesTwoFilesWithOneNumber(t *testing.T) {
	fsys := fstest.MapFS{
		"migrations/0001_init.sql":  {Data: []byte("CREATE TABLE a (x INTEGER);")},
		"migrations/0002_one.sql":   {Data: []byte("CREATE TABLE b (x INTEGER);")},
		"migrations/0002_other.sql": {Data: []byte("CREATE TABLE c (x INTEGER);")},
	}
	if ms, err := loadMigrations(fsys); err == nil {
		t.Errorf("loadMigrations(0001, 0002_one, 0002_other) = %d migrations, nil; want an error", len(ms))
	}
	delete(fsys, "migrations/0002_other.sql")
	ms, err := loadMigrations(fsys)
	if err != nil || len(ms) != 2 {
		t.Errorf("loadMigrations(0001, 0002) = %d migrations, %v; want 2, nil", len(ms), err)
	}
}

// The embedded migrations themselves load.
func TestEmbeddedMigrationsLoad(t *testing.T) {
	if _, err := migrations(); err != nil {
		t.Fatalf("migrations() error = %v, want nil", err)
	}
}
