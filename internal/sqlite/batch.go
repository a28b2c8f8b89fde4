package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

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
// has committed. The rows go in by multi-row INSERTs of insertChunks rows
// (64 rows in one statement rather than 64 statements: a statement's fixed
// cost, through database/sql and the driver, is most of a small row's); a
// few sizes only, so the statement cache holds few texts.
func insertAll(ctx context.Context, w *sql.DB, ms []*account.Mail) error {
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(err)
	}
	defer tx.Rollback()
	ids := make([]int64, 0, len(ms))
	for rest := ms; len(rest) > 0; {
		n := chunkSize(len(rest))
		if ids, err = insertMails(ctx, tx, rest[:n], ids); err != nil {
			return err
		}
		rest = rest[n:]
	}
	if err := tx.Commit(); err != nil {
		return mapErr(err)
	}
	for i, m := range ms {
		m.ID = ids[i]
	}
	return nil
}

// insertChunks are the row counts of the multi-row INSERTs, largest first.
var insertChunks = [...]int{64, 16, 4, 1}

// chunkSize is the largest of insertChunks not above n (n > 0).
func chunkSize(n int) int {
	for _, c := range insertChunks {
		if c <= n {
			return c
		}
	}
	return 1
}

// insertStmts holds the multi-row INSERT of each size of insertChunks.
var insertStmts = func() map[int]string {
	out := map[int]string{}
	row := "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	for _, n := range insertChunks {
		out[n] = mailInsert + strings.Repeat(row+", ", n-1) + row + " RETURNING id"
	}
	return out
}()

// insertMails inserts ms with one statement and appends their ids to ids,
// in the order of ms. A new row's id is the largest id plus one (no
// AUTOINCREMENT: migration 0009) and the rows go in in the order of VALUES,
// on the one writer, so the ids, sorted, are those of ms in order; RETURNING
// itself promises no order.
func insertMails(ctx context.Context, c conn, ms []*account.Mail, ids []int64) ([]int64, error) {
	args := make([]any, 0, len(ms)*11)
	for _, m := range ms {
		data, err := encodeData(m.Data)
		if err != nil {
			return ids, err
		}
		args = append(args, m.Kind, m.To, m.Locale, data, m.MessageID, string(m.Status), m.Attempts,
			m.LastError, micros(m.CreatedAt), micros(m.NextAt), micros(m.SentAt))
	}
	rows, err := c.QueryContext(ctx, insertStmts[len(ms)], args...)
	if err != nil {
		return ids, mapErr(err)
	}
	defer rows.Close()
	start := len(ids)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return ids, mapErr(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return ids, mapErr(err)
	}
	if len(ids)-start != len(ms) {
		return ids, fmt.Errorf("sqlite: %d mails inserted, %d ids returned", len(ms), len(ids)-start)
	}
	slices.Sort(ids[start:])
	return ids, nil
}
