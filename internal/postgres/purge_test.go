package postgres_test

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/testdb"
)

// The purges delete in chunks of 10,000: more old rows than two chunks all
// go; queued and dead mail, a sent mail and events of the last day stay.
func TestPurgeInChunks(t *testing.T) {
	t.Parallel()
	url := testdb.PostgresDatabase(t)
	db := open(t, url)
	migrate(t, db)
	s := db.Store()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	now := time.Now().UTC().Truncate(time.Microsecond)
	old := now.Add(-72 * time.Hour)
	const n = 20500
	for _, q := range []string{
		`INSERT INTO mail_outbox (kind, recipient, message_id, status, created_at, next_at)
			SELECT 'reset_request', 'a@example.com', '<' || i || '@example.com>',
				CASE WHEN i % 2 = 0 THEN 'sent' ELSE 'suppressed' END, $1, $1
			FROM generate_series(1, $2) i`,
		`INSERT INTO events (time, type) SELECT $1, 'login' FROM generate_series(1, $2)`,
	} {
		if _, err := conn.Exec(t.Context(), q, old, n); err != nil {
			t.Fatal(err)
		}
	}
	var keep []int64
	for i, m := range []account.Mail{
		{Status: account.MailQueued, CreatedAt: old}, {Status: account.MailDead, CreatedAt: old},
		{Status: account.MailSent, CreatedAt: now.Add(-time.Hour)},
	} {
		m.Kind, m.To, m.MessageID, m.NextAt = "reset_request", "b@example.com", "<kept"+string(rune('a'+i))+">", old
		if err := s.EnqueueMail(t.Context(), &m); err != nil {
			t.Fatal(err)
		}
		keep = append(keep, m.ID)
	}
	for i := range 3 {
		e := account.Event{Time: now.Add(-time.Duration(i) * time.Hour), Type: "login"}
		if err := s.AddEvent(t.Context(), &e); err != nil {
			t.Fatal(err)
		}
	}

	cutoff := now.Add(-24 * time.Hour)
	if got, err := s.PurgeMail(t.Context(), cutoff); err != nil || got != n {
		t.Errorf("PurgeMail = %d, %v; want %d", got, err, n)
	}
	left, err := s.Mails(t.Context(), "", 10)
	var ids []int64
	for _, m := range left {
		ids = append(ids, m.ID)
	}
	if err != nil || len(ids) != 3 || ids[0] != keep[2] || ids[1] != keep[1] || ids[2] != keep[0] {
		t.Errorf("mails left %v, %v; want %v (the queued, the dead and the recent sent one)", ids, err, keep)
	}
	if got, err := s.PurgeEvents(t.Context(), cutoff); err != nil || got != n {
		t.Errorf("PurgeEvents = %d, %v; want %d", got, err, n)
	}
	if got, err := s.CountEvents(t.Context(), account.EventFilter{}); err != nil || got != 3 {
		t.Errorf("%d events left, %v; want the 3 of the last day", got, err)
	}
}
