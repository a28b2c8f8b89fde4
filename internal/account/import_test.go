package account_test

import (
	"context"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/crypto/bcrypt"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/password"
	"github.com/accountd/accountd/internal/postgres"
	"github.com/accountd/accountd/internal/secretbox"
	"github.com/accountd/accountd/internal/testdb"
)

// Tests of the user import (docs/operations.md#importing-users) on
// SQLite and, with ACCOUNTD_TEST_POSTGRES_URL set, PostgreSQL.

// importNow is the fixed clock of these tests.
var importNow = time.Date(2026, 11, 27, 13, 58, 10, 246406000, time.UTC)

var importParams = password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

// onEachStore runs f as a subtest on a SQLite file and on a PostgreSQL
// schema (skipped without ACCOUNTD_TEST_POSTGRES_URL); open gives a fresh,
// migrated store each call.
func onEachStore(t *testing.T, f func(t *testing.T, open func() account.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		f(t, func() account.Store { return testdb.SQLiteStore(t) })
	})
	t.Run("postgres", func(t *testing.T) {
		testdb.PostgresSchema(t) // skips without the server
		f(t, func() account.Store {
			db, err := postgres.Open(t.Context(), testdb.PostgresSchema(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(db.Close)
			if _, err := db.Migrate(t.Context()); err != nil {
				t.Fatal(err)
			}
			return db.Store()
		})
	})
}

func importService(st account.Store) *account.Service {
	return account.NewService(st, password.NewHasher(importParams), account.Config{
		DashboardURL: "https://dash.example.com", Secrets: secretbox.NewRandom()},
		func() time.Time { return importNow }, nil)
}

// badReport is one line OnBadLine was told of.
type badReport struct {
	Line   int
	Reason string
}

// runImport imports text and returns the summary, the bad lines reported
// and the error.
func runImport(t *testing.T, svc *account.Service, text string, batch int) (account.ImportSummary, []badReport, error) {
	t.Helper()
	var bad []badReport
	sum, err := svc.ImportUsers(t.Context(), strings.NewReader(text), account.ImportOptions{BatchSize: batch,
		OnBadLine: func(line int, err error) { bad = append(bad, badReport{line, err.Error()}) }})
	return sum, bad, err
}

// bcryptHash returns a bcrypt hash of pw at the lowest cost.
func bcryptHash(t *testing.T, pw string) string {
	t.Helper()
	b, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// djangoHash returns a hash of pw as Django's PBKDF2PasswordHasher makes it.
func djangoHash(t *testing.T, pw string) string {
	t.Helper()
	key, err := pbkdf2.Key(sha256.New, pw, []byte("seasalt"), 1000, sha256.Size)
	if err != nil {
		t.Fatal(err)
	}
	return "pbkdf2_sha256$1000$seasalt$" + base64.StdEncoding.EncodeToString(key)
}

// argonHash returns an argon2id hash of pw with the tests' parameters.
func argonHash(t *testing.T, pw string) string {
	t.Helper()
	h, err := password.NewHasher(importParams).Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// importLine is one line of an import file.
func importLine(fields map[string]any) string {
	var b strings.Builder
	b.WriteString("{")
	first := true
	for _, k := range []string{"email", "password_hash", "first_name", "last_name", "created_at", "email_verified"} {
		v, ok := fields[k]
		if !ok {
			continue
		}
		if !first {
			b.WriteString(",")
		}
		first = false
		fmt.Fprintf(&b, "%q:", k)
		j, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		b.Write(j)
	}
	return b.String() + "}\n"
}

// storedUser returns the account with the address, or fails.
func storedUser(t *testing.T, st account.Store, email string) account.User {
	t.Helper()
	u, err := st.UserByEmailKey(t.Context(), account.EmailKey(email))
	if err != nil {
		t.Fatalf("UserByEmailKey(%s) = %v", email, err)
	}
	return u
}

// TestImportFormats: each accepted hash format is stored as it is, the
// line's fields land on the account, and the old password signs in and is
// replaced with argon2id then.
func TestImportFormats(t *testing.T) {
	onEachStore(t, func(t *testing.T, open func() account.Store) {
		st := open()
		svc := importService(st)
		hashes := map[string]string{"bcrypt@example.com": bcryptHash(t, "Bcrypt-Pass-1"),
			"django@example.com": djangoHash(t, "Django-Pass-2"), "argon@example.com": argonHash(t, "Argon-Pass-3")}
		file := importLine(map[string]any{"email": " Bcrypt@Example.com ", "password_hash": hashes["bcrypt@example.com"],
			"first_name": "Ada", "last_name": "Lovelace", "created_at": "2019-05-01T12:00:00.123456789+02:00",
			"email_verified": true}) +
			importLine(map[string]any{"email": "django@example.com", "password_hash": hashes["django@example.com"],
				"first_name": nil, "created_at": nil, "email_verified": nil}) +
			importLine(map[string]any{"email": "argon@example.com", "password_hash": hashes["argon@example.com"],
				"email_verified": false})
		sum, bad, err := runImport(t, svc, file, 0)
		if want := (account.ImportSummary{Read: 3, Imported: 3}); err != nil || sum != want || len(bad) != 0 {
			t.Fatalf("ImportUsers = %+v, bad %v, %v; want %+v", sum, bad, err, want)
		}
		ada := storedUser(t, st, "bcrypt@example.com")
		want := account.User{ID: ada.ID, Email: "Bcrypt@Example.com", EmailKey: "bcrypt@example.com",
			PasswordHash: hashes["bcrypt@example.com"], FirstName: "Ada", LastName: "Lovelace", Timezone: "UTC",
			EmailVerified: true, CreatedAt: time.Date(2019, 5, 1, 10, 0, 0, 123456000, time.UTC),
			UpdatedAt: importNow, PasswordChangedAt: importNow, EmailChangedAt: importNow}
		if d := cmp.Diff(want, ada); d != "" {
			t.Errorf("imported account (-want +got):\n%s", d)
		}
		if dj := storedUser(t, st, "django@example.com"); !dj.CreatedAt.Equal(importNow) || dj.EmailVerified || dj.FirstName != "" {
			t.Errorf("account of a line without optional fields = %+v, want created now, unverified, no name", dj)
		}
		ev, err := st.Events(t.Context(), account.EventFilter{Type: "user_imported", Limit: 10})
		if err != nil || len(ev) != 3 {
			t.Fatalf("user_imported events = %d, %v; want 3", len(ev), err)
		}
		formats := map[string]string{}
		for _, e := range ev {
			formats[e.Email] = e.Detail
		}
		if d := cmp.Diff(map[string]string{"Bcrypt@Example.com": "bcrypt", "django@example.com": "pbkdf2_sha256",
			"argon@example.com": "argon2id"}, formats); d != "" {
			t.Errorf("the events' hash formats (-want +got):\n%s", d)
		}
		if ms, err := st.MailStats(t.Context()); err != nil || ms.Queued != 0 {
			t.Errorf("mail queued by the import = %+v, %v; want none", ms, err)
		}
		for email, pw := range map[string]string{"bcrypt@example.com": "Bcrypt-Pass-1",
			"django@example.com": "Django-Pass-2", "argon@example.com": "Argon-Pass-3"} {
			u := storedUser(t, st, email)
			if _, n, err := st.LoginTokens(t.Context(), u.ID, time.Time{}, time.Time{}, 0, 10); err != nil || n != 0 {
				t.Errorf("%s has %d login tokens after the import (%v), want none", email, n, err)
			}
			if _, err := svc.Login(t.Context(), email, "wrong-"+pw, account.Client{IP: "192.0.2.1"}); err == nil {
				t.Errorf("Login(%s) with a wrong password succeeded", email)
			}
			if _, err := svc.Login(t.Context(), email, pw, account.Client{IP: "192.0.2.1"}); err != nil {
				t.Errorf("Login(%s) with the old password = %v", email, err)
			}
			after := storedUser(t, st, email).PasswordHash
			if email == "argon@example.com" {
				if after != hashes[email] {
					t.Errorf("%s: an argon2id hash with our parameters was replaced", email)
				}
			} else if !strings.HasPrefix(after, "$argon2id$") {
				t.Errorf("%s: hash after the first sign-in starts %.10q, want $argon2id$", email, after)
			}
			if _, err := svc.Login(t.Context(), email, pw, account.Client{IP: "192.0.2.1"}); err != nil {
				t.Errorf("Login(%s) after the rehash = %v", email, err)
			}
		}
	})
}

// TestImportDuplicates: an address already present, from a real account
// or an earlier run, is skipped and counted; a second line of one address
// is reported with both numbers; a re-run changes nothing. Batches of 2
// put the repeats in later batches than their first lines.
func TestImportDuplicates(t *testing.T) {
	onEachStore(t, func(t *testing.T, open func() account.Store) {
		for _, batch := range []int{0, 2} {
			t.Run(fmt.Sprintf("batch=%d", batch), func(t *testing.T) {
				st := open()
				svc := importService(st)
				if _, _, err := svc.Register(t.Context(), account.RegisterInput{Email: "Real@example.com",
					Password: "Correct-Horse-7391", TOSAccepted: true}, account.Client{IP: "192.0.2.1"}); err != nil {
					t.Fatal(err)
				}
				existing := storedUser(t, st, "real@example.com")
				h := bcryptHash(t, "Old-Pass-1")
				file := importLine(map[string]any{"email": "ada@example.com", "password_hash": h, "first_name": "First"}) +
					importLine(map[string]any{"email": "REAL@example.com", "password_hash": h}) +
					importLine(map[string]any{"email": "Ada@Example.com", "password_hash": h, "first_name": "Second"}) +
					importLine(map[string]any{"email": "bob@example.com", "password_hash": h}) +
					"\n" +
					"not json\n" +
					importLine(map[string]any{"email": "ADA@example.com", "password_hash": h, "first_name": "Third"})
				sum, bad, err := runImport(t, svc, file, batch)
				wantBad := []badReport{{3, "email: the address of line 1 again (the first line of an address wins)"},
					{6, "not a JSON object"}, {7, "email: the address of line 1 again (the first line of an address wins)"}}
				if want := (account.ImportSummary{Read: 6, Imported: 2, Existing: 1, Bad: 3}); err != nil || sum != want {
					t.Errorf("ImportUsers = %+v, %v; want %+v", sum, err, want)
				}
				if d := cmp.Diff(wantBad, bad); d != "" {
					t.Errorf("bad lines (-want +got):\n%s", d)
				}
				if got := storedUser(t, st, "ada@example.com"); got.FirstName != "First" {
					t.Errorf("ada's first name = %q, want the first line's", got.FirstName)
				}
				if d := cmp.Diff(existing, storedUser(t, st, "real@example.com")); d != "" {
					t.Errorf("the real account after an import of its address (-before +after):\n%s", d)
				}
				before := snapshot(t, st)
				sum, bad, err = runImport(t, svc, file, batch)
				if want := (account.ImportSummary{Read: 6, Existing: 3, Bad: 3}); err != nil || sum != want {
					t.Errorf("ImportUsers again = %+v, %v; want %+v", sum, err, want)
				}
				if d := cmp.Diff(wantBad, bad); d != "" {
					t.Errorf("bad lines again (-want +got):\n%s", d)
				}
				if d := cmp.Diff(before, snapshot(t, st)); d != "" {
					t.Errorf("the database after a second run (-first +second):\n%s", d)
				}
			})
		}
	})
}

// TestImportBadLines: each malformed or invalid line is reported with its
// number and a reason that never quotes the hash, and skipped; the lines
// around it are imported.
func TestImportBadLines(t *testing.T) {
	good := bcryptHash(t, "Good-Pass-1")
	line := func(f map[string]any) string {
		if f == nil {
			f = map[string]any{}
		}
		if _, ok := f["password_hash"]; !ok {
			f["password_hash"] = good
		}
		if _, ok := f["email"]; !ok {
			f["email"] = "x@example.com"
		}
		return strings.TrimSuffix(importLine(f), "\n")
	}
	cases := []struct{ line, want string }{
		{"not json", "not a JSON object"},
		{"[1, 2]", "not a JSON object"},
		{`{"email": "a@example.com",`, "not valid JSON"},
		{line(nil) + " {}", "something follows the object"},
		{"{\"email\": \"a\xff@example.com\"}", "not valid UTF-8"},
		{`{"email": "a@example.com"}`, "password_hash: required"},
		{`{"password_hash": "` + good + `"}`, "email: required"},
		{line(map[string]any{"email": nil}), "email: may not be null"},
		{line(map[string]any{"email": 7}), "email: want a string"},
		{line(map[string]any{"email": ""}), "email: This field may not be blank."},
		{line(map[string]any{"email": "not-an-address"}), "email: Enter a valid email address."},
		{line(map[string]any{"email": "a\u200b@example.com"}), "email: Enter a valid email address."},
		{line(map[string]any{"password_hash": "md5$abc$def"}), "password_hash: unrecognised hash format"},
		{line(map[string]any{"password_hash": good[:59]}), "password_hash: malformed bcrypt hash"},
		{line(map[string]any{"password_hash": "!unusable-django-password"}), "password_hash: unrecognised hash format"},
		{line(map[string]any{"password_hash": "pbkdf2_sha256$0$salt$V9DfCAVoweeLwxC/L2mb+7swhzF0XYdyQMqmusZqiTc="}),
			"password_hash: pbkdf2_sha256 iterations not in"},
		{line(map[string]any{"first_name": strings.Repeat("é", 151)}), "first_name: longer than 150 characters"},
		{line(map[string]any{"last_name": "a\u0000b"}), "last_name: holds a NUL character"},
		{line(map[string]any{"created_at": "2019-05-01"}), "created_at: want an RFC 3339 time"},
		{line(map[string]any{"created_at": "2027-01-01T00:00:00Z"}), "created_at: in the future"},
		{line(map[string]any{"created_at": "0001-01-01T00:00:00Z"}), "created_at: before 1970"}, // a store keeps the zero time as NULL
		{line(map[string]any{"created_at": "1969-12-31T23:59:59Z"}), "created_at: before 1970"},
		{line(map[string]any{"password_hash": "pbkdf2_sha256$24000$sea\u0000salt$V9DfCAVoweeLwxC/L2mb+7swhzF0XYdyQMqmusZqiTc="}),
			"password_hash: hash holds a character outside printable ASCII"}, // PostgreSQL's text refuses NUL
		{line(map[string]any{"email_verified": "yes"}), "email_verified: want true or false"},
		{`{"email": "a@example.com", "password_hash": "` + good + `", "verified": true}`, `unknown field "verified"`},
		{`{"EMAIL": "a@example.com", "password_hash": "` + good + `"}`, `unknown field "EMAIL"`},
		{`{"email": "a@example.com", "email": "b@example.com", "password_hash": "` + good + `"}`, "email: given more than once"},
		{`{"email": "a@example.com", "password_hash": "` + strings.Repeat("x", account.MaxImportLine) + `"}`,
			fmt.Sprintf("longer than %d bytes", account.MaxImportLine)},
	}
	onEachStore(t, func(t *testing.T, open func() account.Store) {
		st := open()
		var file strings.Builder
		var want []badReport
		n := 0
		for i, c := range cases {
			fmt.Fprintf(&file, "%s\r\n%s", c.line, importLine(map[string]any{"email": fmt.Sprintf("ok%d@example.com", i),
				"password_hash": good}))
			n += 2
			want = append(want, badReport{n - 1, c.want})
		}
		sum, bad, err := runImport(t, importService(st), file.String(), 7)
		if want := (account.ImportSummary{Read: n, Imported: len(cases), Bad: len(cases)}); err != nil || sum != want {
			t.Errorf("ImportUsers = %+v, %v; want %+v", sum, err, want)
		}
		if len(bad) != len(want) {
			t.Fatalf("bad lines = %v, want %d", bad, len(want))
		}
		for i, b := range bad {
			if b.Line != want[i].Line || !strings.HasPrefix(b.Reason, want[i].Reason) {
				t.Errorf("bad line %d = %d %q, want %d %q…", i, b.Line, b.Reason, want[i].Line, want[i].Reason)
			}
			if strings.Contains(b.Reason, good[7:]) {
				t.Errorf("bad line %d quotes the password hash: %q", b.Line, b.Reason)
			}
		}
		if _, err := st.UserByEmailKey(t.Context(), "a@example.com"); !errors.Is(err, account.ErrNotFound) {
			t.Errorf("a bad line's address was imported (%v)", err)
		}
	})
}

// imported is what a test compares of an imported account: all but its ID.
type imported struct {
	User  account.User
	Event string // its user_imported event's detail
}

// snapshot returns every account and the detail of each one's
// user_imported event; it fails on an account with more than one.
func snapshot(t *testing.T, st account.Store) map[string]imported {
	t.Helper()
	users, _, err := st.SearchUsers(t.Context(), "", 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := st.Events(t.Context(), account.EventFilter{Type: "user_imported", Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int64]string{}
	for _, e := range ev {
		if _, twice := byID[e.UserID]; twice {
			t.Errorf("account %d has two user_imported events", e.UserID)
		}
		byID[e.UserID] = e.Detail
	}
	out := map[string]imported{}
	for _, u := range users {
		id := u.ID
		u.ID = 0
		out[u.EmailKey] = imported{u, byID[id]}
	}
	if len(byID) > len(out) {
		t.Errorf("%d user_imported events for %d accounts", len(byID), len(out))
	}
	return out
}

// crashFile is 10 good lines and a bad one.
func crashFile(t *testing.T) string {
	var b strings.Builder
	h := djangoHash(t, "Crash-Pass-1")
	for i := range 11 {
		if i == 5 {
			b.WriteString("{broken\n")
			continue
		}
		b.WriteString(importLine(map[string]any{"email": fmt.Sprintf("user%02d@example.com", i), "password_hash": h,
			"first_name": fmt.Sprint("User ", i), "email_verified": i%2 == 0}))
	}
	return b.String()
}

// eventFailingStore fails AddEvents on its nth call (counted across
// transactions), after the same transaction created its accounts.
type eventFailingStore struct {
	account.Store
	calls *int
	nth   int
}

var errInjected = errors.New("injected store failure")

func (s eventFailingStore) InTx(ctx context.Context, fn func(tx account.Store) error) error {
	return s.Store.InTx(ctx, func(tx account.Store) error { return fn(eventFailingStore{tx, s.calls, s.nth}) })
}

func (s eventFailingStore) AddEvents(ctx context.Context, ev []account.Event) error {
	*s.calls++
	if *s.calls == s.nth {
		return errInjected
	}
	return s.Store.AddEvents(ctx, ev)
}

// cancelAfter is a reader that cancels a context once it has given n
// bytes, one byte a read so that the cancel falls mid-batch.
type cancelAfter struct {
	r      io.Reader
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	if c.n <= 0 {
		c.cancel()
	}
	c.n--
	return c.r.Read(p[:1])
}

// TestImportInterrupted: a store failure in the middle of a batch, or a
// cancel in the middle of the file, leaves whole accounts (each with its
// event) or none; a second run then leaves the database as one clean run
// does.
func TestImportInterrupted(t *testing.T) {
	onEachStore(t, func(t *testing.T, open func() account.Store) {
		file := crashFile(t)
		clean := open()
		if _, _, err := runImport(t, importService(clean), file, 3); err != nil {
			t.Fatal(err)
		}
		want := snapshot(t, clean)
		if len(want) != 10 {
			t.Fatalf("a clean run imported %d accounts, want 10", len(want))
		}
		t.Run("store failure", func(t *testing.T) {
			st := open()
			calls := 0
			sum, _, err := runImport(t, importService(eventFailingStore{st, &calls, 2}), file, 3)
			if !errors.Is(err, errInjected) || !strings.Contains(err.Error(), "lines 4 to 6 not written") ||
				sum.Imported != 3 {
				t.Errorf("ImportUsers failing in the second batch = %+v, %v; want 3 imported, lines 4 to 6 not written", sum, err)
			}
			if got := snapshot(t, st); len(got) != 3 || got["user03@example.com"].Event != "" {
				t.Errorf("after the failure: %d accounts (user03: %+v), want the first batch's 3 only", len(got), got["user03@example.com"])
			}
			sum, _, err = runImport(t, importService(st), file, 3)
			if want := (account.ImportSummary{Read: 11, Imported: 7, Existing: 3, Bad: 1}); err != nil || sum != want {
				t.Errorf("the second run = %+v, %v; want %+v", sum, err, want)
			}
			if d := cmp.Diff(want, snapshot(t, st)); d != "" {
				t.Errorf("after a failure and a second run vs one clean run (-clean +got):\n%s", d)
			}
		})
		t.Run("cancelled", func(t *testing.T) {
			st := open()
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			// Cancelled within line 5, in the second batch of 3.
			at := strings.Index(file, "user04@")
			r := &cancelAfter{r: strings.NewReader(file), n: at, cancel: cancel}
			sum, err := importService(st).ImportUsers(ctx, r, account.ImportOptions{BatchSize: 3})
			if !errors.Is(err, context.Canceled) || sum.Imported != 3 {
				t.Errorf("ImportUsers cancelled in the second batch = %+v, %v; want 3 imported, context.Canceled", sum, err)
			}
			if got := snapshot(t, st); len(got) != 3 {
				t.Errorf("after the cancel: %d accounts, want the first batch's 3", len(got))
			}
			if _, _, err := runImport(t, importService(st), file, 3); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, snapshot(t, st), cmpopts.EquateEmpty()); d != "" {
				t.Errorf("after a cancel and a second run vs one clean run (-clean +got):\n%s", d)
			}
		})
	})
}

// TestImportReadsStreams: a file without a final newline, a byte-order
// mark and a reader that fails.
func TestImportReadsStreams(t *testing.T) {
	st := testdb.SQLiteStore(t)
	svc := importService(st)
	h := bcryptHash(t, "Stream-Pass-1")
	text := "\uFEFF" + importLine(map[string]any{"email": "a@example.com", "password_hash": h}) +
		strings.TrimSuffix(importLine(map[string]any{"email": "b@example.com", "password_hash": h}), "\n")
	if sum, bad, err := runImport(t, svc, text, 0); err != nil || sum.Imported != 2 || len(bad) != 0 {
		t.Errorf("ImportUsers(BOM, no final newline) = %+v, %v, %v; want 2 imported", sum, bad, err)
	}
	broken := io.MultiReader(strings.NewReader(importLine(map[string]any{"email": "c@example.com", "password_hash": h})),
		errReader{})
	sum, err := svc.ImportUsers(t.Context(), broken, account.ImportOptions{})
	if !errors.Is(err, errInjected) || sum.Imported != 0 {
		t.Errorf("ImportUsers(a failing reader) = %+v, %v; want the read error and nothing written", sum, err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errInjected }

// FuzzImportLine: the line decoder and the rules never panic; what they
// accept is an account registration would accept: its address valid and
// keyed as registration keys it, a hash the verifier reads, names within
// the profile's limits, a creation time not after now.
func FuzzImportLine(f *testing.F) {
	for _, s := range []string{
		`{"email":"ada@example.com","password_hash":"pbkdf2_sha256$24000$seasalt$V9DfCAVoweeLwxC/L2mb+7swhzF0XYdyQMqmusZqiTc=","first_name":"Ada","last_name":"Lovelace","created_at":"2019-05-01T12:00:00Z","email_verified":true}`,
		`{"email":"b@example.com","password_hash":"$2b$04$` + strings.Repeat("a", 53) + `"}`,
		`{"email":"c@example.com","password_hash":"$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$c29tZWhhc2hzb21laGFzaA","created_at":null}`,
		`{"email":"Ｄ@ｅxample.com","password_hash":"x","email":"e@example.com"}`,
		`{"EMAIL":1}`, `[]`, `{}`, `{"email":"a@b.c","password_hash":""} x`, "{\"email\":\"\\u0000@a.b\"}",
		`{"email":"a@b.co","password_hash":"pbkdf2_sha256$1$s$V9DfCAVoweeLwxC/L2mb+7swhzF0XYdyQMqmusZqiTc=","created_at":"0000-01-01T00:00:00Z"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		l, err := account.DecodeImportLine(line)
		if err != nil {
			var le *account.ImportLineError
			if !errors.As(err, &le) {
				t.Errorf("DecodeImportLine(%q) error %T, want *ImportLineError", line, err)
			}
			return
		}
		u, err := l.User(importNow)
		if err != nil {
			if l.PasswordHash != "" && len(l.PasswordHash) > 8 && strings.Contains(err.Error(), l.PasswordHash) {
				t.Errorf("User() error %q quotes the hash", err)
			}
			return
		}
		if email, err := account.ValidateEmail("email", u.Email); err != nil || email != u.Email ||
			u.EmailKey != account.EmailKey(u.Email) {
			t.Errorf("accepted %q with address %q, key %q", line, u.Email, u.EmailKey)
		}
		if format, err := password.HashFormat(u.PasswordHash); err != nil || format != u.HashFormat {
			t.Errorf("accepted %q with a hash HashFormat gives %q, %v", line, format, err)
		}
		if len([]rune(u.FirstName)) > 150 || len([]rune(u.LastName)) > 150 ||
			strings.ContainsRune(u.FirstName+u.LastName, 0) || u.CreatedAt.After(importNow) ||
			u.CreatedAt.Location() != time.UTC {
			t.Errorf("accepted %q as %+v", line, u.User)
		}
	})
}
