package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"modernc.org/sqlite"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/groupcommit"
)

// maxBatch bounds how many queued mails share one transaction.
const maxBatch = 128

// newBatcher gives concurrent EnqueueMail calls one transaction between
// them (a commit costs ~150 µs here, an insert ~25 µs).
func newBatcher(w *sql.DB) *groupcommit.Batcher[*account.Mail] {
	return groupcommit.New(maxBatch, func(ctx context.Context, ms []*account.Mail) error {
		return insertAll(ctx, w, ms)
	}, notBusy)
}

// notBusy says whether a batch's error is the database refusing a row
// rather than the file being busy or locked (by an `accountd purge` in
// another process, say): only then is each row worth trying alone, since
// each try could wait out busy_timeout again. SQLite in this process
// always knows whether a transaction committed.
func notBusy(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqliteBusy, sqliteLocked:
			return false
		}
	}
	return true
}

// insertAll inserts mails in one transaction and sets their ids once it
// has committed.
func insertAll(ctx context.Context, w *sql.DB, ms []*account.Mail) error {
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(err)
	}
	defer tx.Rollback()
	ids := make([]int64, len(ms))
	for i, m := range ms {
		if ids[i], err = insertMail(ctx, tx, m); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return mapErr(err)
	}
	for i, m := range ms {
		m.ID = ids[i]
	}
	return nil
}
