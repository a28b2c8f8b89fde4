package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"sync"

	"modernc.org/sqlite"
)

// maxCachedStmts bounds the statements one connection keeps. The store's
// queries are constants, a few dozen in all; the bound only stops a query
// built at run time (RevokeTokens' IN list) from growing the cache forever.
const maxCachedStmts = 128

// cachingConnector opens modernc.org/sqlite connections that keep their
// prepared statements. The driver otherwise parses and plans every query
// anew, which under load was about a seventh of accountd's CPU, most of it
// on the one writer connection every write waits for (docs/benchmarks.md).
type cachingConnector struct{ driver.Connector }

func newCachingConnector(dsn string) (driver.Connector, error) {
	c, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return cachingConnector{c}, nil
}

func (c cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	dc, ok := conn.(driverConn)
	if !ok {
		conn.Close()
		return nil, errors.New("sqlite: driver connection lacks the expected methods")
	}
	return &cachingConn{conn: dc, stmts: map[string]*cachedStmt{}}, nil
}

// driverConn is what every connection modernc.org/sqlite opens implements,
// less ExecerContext and QueryerContext: without those database/sql prepares
// each query through PrepareContext, which is where the cache sits.
type driverConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// cachingConn is one connection and its prepared statements. database/sql
// uses a connection from one goroutine at a time; the mutex makes the cache
// safe even so, at the cost of an uncontended lock.
type cachingConn struct {
	conn  driverConn
	mu    sync.Mutex
	stmts map[string]*cachedStmt
}

// cachedStmt is a prepared statement the cache owns; busy while a caller
// holds it, so two uses that overlap on one connection (rows still open
// when the same query runs again) never share it.
type cachedStmt struct {
	driver.Stmt
	busy bool
}

// Unwrap returns the driver's own connection, as modernc.org/sqlite asks of
// wrappers.
func (c *cachingConn) Unwrap() driver.Conn { return c.conn }

// PrepareContext returns the cached statement for query, preparing it the
// first time; a statement already in use is prepared afresh and not cached.
func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	c.mu.Lock()
	if s, ok := c.stmts[query]; ok && !s.busy {
		s.busy = true
		c.mu.Unlock()
		return &lentStmt{s: s, conn: c}, nil
	}
	full := len(c.stmts) >= maxCachedStmts
	_, taken := c.stmts[query]
	c.mu.Unlock()
	st, err := c.conn.PrepareContext(ctx, query)
	if err != nil || full || taken || !withContext(st) {
		return st, err
	}
	s := &cachedStmt{Stmt: st, busy: true}
	c.mu.Lock()
	c.stmts[query] = s
	c.mu.Unlock()
	return &lentStmt{s: s, conn: c}, nil
}

// withContext says whether st takes a context, as the driver's statements
// do; the lent statement passes the context on.
func withContext(st driver.Stmt) bool {
	_, e := st.(driver.StmtExecContext)
	_, q := st.(driver.StmtQueryContext)
	return e && q
}

func (c *cachingConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

// Close finalizes the cached statements, then closes the connection.
func (c *cachingConn) Close() error {
	c.mu.Lock()
	var errs []error
	for q, s := range c.stmts {
		errs = append(errs, s.Stmt.Close())
		delete(c.stmts, q)
	}
	c.mu.Unlock()
	return errors.Join(append(errs, c.conn.Close())...)
}

func (c *cachingConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.conn.BeginTx(ctx, opts)
}

func (c *cachingConn) Ping(ctx context.Context) error { return c.conn.Ping(ctx) }

func (c *cachingConn) ResetSession(ctx context.Context) error { return c.conn.ResetSession(ctx) }

func (c *cachingConn) IsValid() bool { return c.conn.IsValid() }

// lentStmt is a cached statement in a caller's hands; closing it gives it
// back to the cache instead of finalizing it.
type lentStmt struct {
	s    *cachedStmt
	conn *cachingConn
	once sync.Once
}

func (l *lentStmt) Close() error {
	l.once.Do(func() {
		l.conn.mu.Lock()
		l.s.busy = false
		l.conn.mu.Unlock()
	})
	return nil
}

func (l *lentStmt) NumInput() int { return l.s.NumInput() }

func (l *lentStmt) Exec(args []driver.Value) (driver.Result, error) {
	return l.s.Exec(args) //nolint:staticcheck // the interface requires it; database/sql calls ExecContext
}

func (l *lentStmt) Query(args []driver.Value) (driver.Rows, error) {
	return l.s.Query(args) //nolint:staticcheck // as Exec
}

func (l *lentStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	return l.s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (l *lentStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	return l.s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
}
