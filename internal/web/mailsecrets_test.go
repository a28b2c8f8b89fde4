package web_test

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/mail"
	"github.com/accountd/accountd/internal/password"
	"github.com/accountd/accountd/internal/postgres"
	"github.com/accountd/accountd/internal/secretbox"
	"github.com/accountd/accountd/internal/sqlite"
	"github.com/accountd/accountd/internal/testdb"
)

// Issue 12 A8: a copy of the database of a running instance (SQLite's file
// and its WAL; every text column on PostgreSQL) must not yield a live
// token, before or after the email carrying it is sent.

// msSecret is what every token, code and link secret looks like.
var msSecret = regexp.MustCompile(`[0-9a-f]{64}`)

// msRawDB reads the database as someone with a copy of it would.
type msRawDB interface {
	dump(t *testing.T) string
}

// msSQLiteFiles is a SQLite database as files: the database, its WAL and
// the WAL index, whatever a checkpoint did or did not move yet.
type msSQLiteFiles struct{ path string }

func (f msSQLiteFiles) dump(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, p := range []string{f.path, f.path + "-wal", f.path + "-shm"} {
		data, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		b.Write(data)
	}
	return b.String()
}

// msPostgresColumns is every text-like column of every table of the
// test's schema.
type msPostgresColumns struct{ conn *pgx.Conn }

func (p msPostgresColumns) dump(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	rows, err := p.conn.Query(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND data_type IN ('text', 'character varying', 'json', 'jsonb')`)
	if err != nil {
		t.Fatal(err)
	}
	cols, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct{ Table, Column string }])
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, c := range cols {
		var v *string
		q := "SELECT string_agg(" + pgx.Identifier{c.Column}.Sanitize() + "::text, ' ') FROM " + pgx.Identifier{c.Table}.Sanitize()
		if err := p.conn.QueryRow(ctx, q).Scan(&v); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if v != nil {
			b.WriteString(*v + "\n")
		}
	}
	return b.String()
}

// msOpenRawStore opens a migrated store and a raw view of its database:
// PostgreSQL when ACCOUNTD_TEST_POSTGRES_URL is set, else a SQLite file.
func msOpenRawStore(t *testing.T) (account.Store, msRawDB) {
	t.Helper()
	ctx := context.Background()
	if os.Getenv("ACCOUNTD_TEST_POSTGRES_URL") != "" {
		url := testdb.PostgresSchema(t)
		db, err := postgres.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(db.Close)
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close(context.Background()) })
		return db.Store(), msPostgresColumns{conn}
	}
	path := filepath.Join(t.TempDir(), "accountd.db")
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db.Store(), msSQLiteFiles{path}
}

// msSnapshotSender keeps each message it is given and, at that moment (the
// mail resolved and its token stored, not yet marked sent), a copy of the
// database.
type msSnapshotSender struct {
	t  *testing.T
	db msRawDB

	mu    sync.Mutex
	texts []string
	snaps []string
}

func (s *msSnapshotSender) Send(_ context.Context, m mail.Message) error {
	snap := s.db.dump(s.t) // the worker calls Send on the test's goroutine (deliver)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.texts = append(s.texts, m.Subject+"\n"+m.Text+"\n"+m.HTML)
	s.snaps = append(s.snaps, snap)
	return nil
}

func TestNoRawSecretInTheDatabase(t *testing.T) {
	store, db := msOpenRawStore(t)
	sender := &msSnapshotSender{t: t, db: db}
	e := newEnv(t, func(o *envOptions) { o.Store, o.Sender = store, sender })

	ada := e.register("ada@example.com", testPassword) // queues the activation email
	sfWantStatus(t, "reset request", e.do("POST", "/api/v2/resetpassword/", obj{"email": "ada@example.com", "recaptcha": "x"}, ""), 204)
	sfWantStatus(t, "change email", e.do("POST", "/api/v2/changeemail/",
		obj{"password": testPassword, "new_email": "ada@example.org"}, ada), 204)
	copies := map[string]string{"queued": db.dump(t)}
	e.deliver()
	copies["sent"] = db.dump(t)
	for i, s := range sender.snaps {
		copies["sending mail "+string(rune('1'+i))] = s
	}

	secrets := map[string]string{} // secret → the subject of its email
	for _, text := range sender.texts {
		for _, s := range msSecret.FindAllString(text, -1) {
			secrets[s], _, _ = strings.Cut(text, "\n")
		}
	}
	if len(secrets) < 3 {
		t.Fatalf("the emails carry %d distinct secrets, want at least 3 (activation, reset, change of address):\n%s",
			len(secrets), strings.Join(sender.texts, "\n---\n"))
	}
	for name, copy := range copies {
		for s, subject := range secrets {
			if strings.Contains(copy, s) {
				t.Errorf("the database (%s) holds the raw secret of the %q email", name, subject)
			}
		}
	}
	// The secrets do work: the change-of-address code moves the account.
	code := sfChangeLink.FindStringSubmatch(strings.Join(sender.texts, "\n"))
	if code == nil {
		t.Fatal("no change-of-address link was sent")
	}
	sfWantStatus(t, "complete with the sent code", sfCompleteChange(e, ada, code[1]), 204)
}

// A queued email sealed under another key (ACCOUNTD_SECRET_KEY changed, or
// a -dev restart without one) cannot be opened: it is dead, with an error
// saying why and no secret, and no email goes out with a broken link.
func TestMailSealedUnderAnotherKeyIsDead(t *testing.T) {
	e := newEnv(t)
	e.register("ada@example.com", testPassword) // the activation email, sealed under e's key

	hasher := password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16})
	restarted := account.NewService(e.Store, hasher, account.Config{DashboardURL: "https://dash.example.com",
		MailDomain: "example.com", Secrets: secretbox.NewRandom()}, e.Clock.Now, nil)
	templates, err := mail.LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(e.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	w := mail.NewWorker(e.Store, restarted, templates, mail.NewDevSender(e.Store),
		mail.WorkerConfig{From: "noreply@example.com", Now: e.Clock.Now, Logger: log})
	if n, err := w.RunOnce(context.Background()); n != 1 || err != nil {
		t.Fatalf("RunOnce = %d, %v; want 1, nil", n, err)
	}

	if got := e.allMail(); len(got) != 0 {
		t.Errorf("%d emails were sent, want none: the link could not be opened", len(got))
	}
	dead, err := e.Store.Mails(context.Background(), account.MailDead, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || !strings.Contains(dead[0].LastError, "ACCOUNTD_SECRET_KEY") {
		t.Fatalf("dead mails = %+v, want the activation email, its error naming ACCOUNTD_SECRET_KEY", dead)
	}
	for k, v := range dead[0].Data {
		if (k == "link" || k == "token") && v != "" {
			t.Errorf("the dead email keeps %s = %q, want it blanked", k, v)
		}
	}
	if s := msSecret.FindString(dead[0].LastError + e.Logs.String()); s != "" {
		t.Errorf("the error or the log holds a secret-like value %s", s)
	}
}

// A User-Agent that starts like a sealed value is not a secret and is not
// opened: the owner's "password changed" notice still goes out (a caller with
// a stolen token and password could otherwise kill it, and change the
// password unseen).
func TestSealedLookingUserAgentKeepsNoticesAlive(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", testPassword)
	e.deliver()
	before := len(e.allMail())
	r := e.request("POST", "/api/v2/changepassword/",
		`{"password":"`+testPassword+`","new_password":"Another-Horse-8813"}`, http.Header{
			"Content-Type": {"application/json"}, "Authorization": {"Token " + ada},
			"User-Agent": {"sealed:AAAA"}})
	if r.Status != 204 {
		t.Fatalf("change password = %d %s, want 204", r.Status, r.Body)
	}
	e.deliver()
	if got := len(e.allMail()) - before; got != 1 {
		t.Errorf("%d emails sent after the change, want the password-changed notice", got)
	}
	dead, err := e.Store.Mails(context.Background(), account.MailDead, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 0 {
		t.Errorf("dead mails = %d (%s), want none", len(dead), dead[0].LastError)
	}
}
