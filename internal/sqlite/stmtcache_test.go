package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
)

func openCaching(t *testing.T) *sql.DB {
	t.Helper()
	c, err := newCachingConnector("file:" + filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE n (v INTEGER)`); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if _, err := db.Exec(`INSERT INTO n (v) VALUES (?)`, i); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

func sum(t *testing.T, q interface {
	QueryRow(string, ...any) *sql.Row
}, min int) int {
	t.Helper()
	var s int
	if err := q.QueryRow(`SELECT coalesce(sum(v), 0) FROM n WHERE v >= ?`, min).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// The same query, run again while its rows are still open on the same
// connection, gets a statement of its own and both give their own answers.
func TestCachedStatementsNeverShared(t *testing.T) {
	db := openCaching(t)
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	const q = `SELECT v FROM n WHERE v >= ? ORDER BY v`
	outer, err := tx.Query(q, 1)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for outer.Next() {
		var v int
		if err := outer.Scan(&v); err != nil {
			t.Fatal(err)
		}
		inner, err := tx.Query(q, v)
		if err != nil {
			t.Fatal(err)
		}
		var vs []int
		for inner.Next() {
			var w int
			if err := inner.Scan(&w); err != nil {
				t.Fatal(err)
			}
			vs = append(vs, w)
		}
		inner.Close()
		got = append(got, fmt.Sprint(v, vs))
	}
	if err := outer.Err(); err != nil {
		t.Fatal(err)
	}
	if want := "[1 [1 2 3] 2 [2 3] 3 [3]]"; fmt.Sprint(got) != want {
		t.Errorf("nested queries = %v, want %v", got, want)
	}
}

// A reused statement sees new arguments and new rows, inside and outside a
// transaction, and after a failed execution.
func TestCachedStatementsReused(t *testing.T) {
	db := openCaching(t)
	if got := sum(t, db, 2); got != 5 {
		t.Errorf("sum(v >= 2) = %d, want 5", got)
	}
	if got := sum(t, db, 3); got != 3 {
		t.Errorf("sum(v >= 3) = %d, want 3", got)
	}
	if _, err := db.Exec(`INSERT INTO n (v) VALUES (?)`, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO missing (v) VALUES (?)`, 1); err == nil {
		t.Error("insert into a missing table succeeded")
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if got := sum(t, tx, 3); got != 13 {
		t.Errorf("sum(v >= 3) in a transaction = %d, want 13", got)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	conn := cachedConn(t, db)
	if n := len(conn.stmts); n != 3 { // create, insert and sum; the failed insert is not kept
		t.Errorf("%d statements cached, want 3", n)
	}
}

// More distinct queries than the cache holds all run; the cache stays
// bounded.
func TestCachedStatementsBounded(t *testing.T) {
	db := openCaching(t)
	for i := range maxCachedStmts + 20 {
		var v int
		if err := db.QueryRow(fmt.Sprintf(`SELECT %d + ?`, i), 1).Scan(&v); err != nil || v != i+1 {
			t.Fatalf("query %d = %d, %v; want %d", i, v, err, i+1)
		}
	}
	if n := len(cachedConn(t, db).stmts); n != maxCachedStmts {
		t.Errorf("%d statements cached, want %d", n, maxCachedStmts)
	}
}

// cachedConn returns the one connection of db.
func cachedConn(t *testing.T, db *sql.DB) *cachingConn {
	t.Helper()
	c, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var cc *cachingConn
	if err := c.Raw(func(dc any) error { cc = dc.(*cachingConn); return nil }); err != nil {
		t.Fatal(err)
	}
	return cc
}
