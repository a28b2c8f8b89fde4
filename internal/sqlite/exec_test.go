package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"github.com/accountd/accountd/internal/account"
)

// countFails is a connection whose writes succeed but cannot say how many
// rows they changed.
type countFails struct{ conn }

var errCount = errors.New("rows affected: the count is unavailable")

func (countFails) ExecContext(context.Context, string, ...any) (sql.Result, error) {
	return failedCount{}, nil
}

type failedCount struct{}

func (failedCount) LastInsertId() (int64, error) { return 0, errCount }
func (failedCount) RowsAffected() (int64, error) { return 0, errCount }

// A write whose row count cannot be read fails with that error; it is not
// "not found", which callers turn into "invalid token" or "no such account".
func TestExecReportsARowsAffectedError(t *testing.T) {
	s := &Store{write: countFails{}}
	err := s.exec(t.Context(), true, `UPDATE users SET first_name = '' WHERE id = ?`, 1)
	if !errors.Is(err, errCount) || errors.Is(err, account.ErrNotFound) {
		t.Errorf("exec(mustChange) with a failing RowsAffected = %v, want %v", err, errCount)
	}
}
