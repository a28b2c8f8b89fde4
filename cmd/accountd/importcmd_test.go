package main

import (
	"bytes"
	"context"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// TestImportUsersCommand: `accountd import users FILE` reports each bad
// line on stderr with its number, prints the summary, exits non-zero for
// bad lines and zero for a clean re-run; then the imported bcrypt and
// Django users sign in through the HTTP API with their old passwords, and
// their stored hashes are argon2id from then on. On SQLite, or PostgreSQL
// when ACCOUNTD_TEST_POSTGRES_URL is set.
func TestImportUsersCommand(t *testing.T) {
	db := testDatabaseURL(t)
	vars := map[string]string{"ACCOUNTD_DATABASE_URL": db, "ACCOUNTD_SECRET_KEY": testSecretKey}
	if _, _, err := runCmd(t, vars, "migrate"); err != nil {
		t.Fatal(err)
	}
	bc, err := bcrypt.GenerateFromPassword([]byte("Bcrypt-Old-Pass-1"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	key, err := pbkdf2.Key(sha256.New, "Django-Old-Pass-2", []byte("seasalt"), 1000, sha256.Size)
	if err != nil {
		t.Fatal(err)
	}
	django := "pbkdf2_sha256$1000$seasalt$" + base64.StdEncoding.EncodeToString(key)
	file := `{"email": "ada@example.com", "password_hash": "` + string(bc) + `", "first_name": "Ada", "email_verified": true}
{"email": "bob@example.com", "password_hash": "` + django + `", "created_at": "2019-05-01T12:00:00Z"}
{"email": "carol@example.com", "password_hash": "` + string(bc[:50]) + `"}

{"email": "ADA@example.com", "password_hash": "` + django + `"}
not json
`
	path := filepath.Join(t.TempDir(), "users.jsonl")
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}

	out, errs, err := runCmd(t, vars, "import", "users", path)
	if err == nil || !strings.Contains(err.Error(), "3 lines not imported") {
		t.Errorf("import with bad lines = %v, want an error counting 3 lines (exit status 1)", err)
	}
	if want := "read 5 lines: 2 imported, 0 skipped (an account has the address), 3 bad\n"; out != want {
		t.Errorf("stdout = %q, want %q", out, want)
	}
	wantErrs := "line 3: password_hash: malformed bcrypt hash\n" +
		"line 5: email: the address of line 1 again (the first line of an address wins)\n" +
		"line 6: not a JSON object\n"
	if errs != wantErrs {
		t.Errorf("stderr =\n%s\nwant\n%s", errs, wantErrs)
	}
	if strings.Contains(out+errs+err.Error(), string(bc[7:50])) || strings.Contains(out+errs, django[27:]) {
		t.Error("the output quotes a password hash")
	}

	// Again, from the standard input, in batches of one with the counts
	// every two lines: nothing new, the same bad lines.
	var stdout, stderr bytes.Buffer
	err = importUsers(strings.NewReader(file))(context.Background(), []string{"-batch", "1", "-progress", "2", "-"},
		env(vars), &stdout, &stderr)
	if want := "read 5 lines: 0 imported, 2 skipped (an account has the address), 3 bad\n"; err == nil || stdout.String() != want {
		t.Errorf("import again from stdin = %v, stdout %q; want an error and %q", err, stdout.String(), want)
	}
	if n := strings.Count(stderr.String(), "progress: "); n != 2 || !strings.Contains(stderr.String(), "progress: 2 lines read: 0 imported, 2 skipped, 0 bad (") {
		t.Errorf("stderr with -progress 2 has %d progress lines, want 2 (at lines 2 and 4):\n%s", n, stderr.String())
	}

	// A clean file exits 0.
	clean := filepath.Join(t.TempDir(), "clean.jsonl")
	if err := os.WriteFile(clean, []byte(strings.Join(strings.Split(file, "\n")[:2], "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, errs, err := runCmd(t, vars, "import", "users", "-progress", "0", clean); err != nil || errs != "" ||
		out != "read 2 lines: 0 imported, 2 skipped (an account has the address), 0 bad\n" {
		t.Errorf("import of a clean file again = %v, stdout %q, stderr %q; want success", err, out, errs)
	}
	for _, args := range [][]string{{"import", "users"}, {"import", "users", "a", "b"}, {"import", "users", "-batch", "0", path}} {
		if _, _, err := runCmd(t, vars, args...); err == nil || !strings.Contains(err.Error(), "usage: accountd import users") {
			t.Errorf("accountd %s = %v, want a usage error", strings.Join(args, " "), err)
		}
	}
	if _, _, err := runCmd(t, vars, "import", "users", filepath.Join(t.TempDir(), "missing.jsonl")); err == nil ||
		!strings.Contains(err.Error(), "no such file") {
		t.Errorf("import of a missing file = %v, want it named as missing", err)
	}

	app := startServe(t, map[string]string{"ACCOUNTD_DATABASE_URL": db})
	app.login("ada@example.com", "Bcrypt-Old-Pass-1")
	app.login("BOB@example.com", "Django-Old-Pass-2")
	a, err := openDB(context.Background(), &config{DatabaseURL: db})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for _, email := range []string{"ada@example.com", "bob@example.com"} {
		u, err := a.store.UserByEmailKey(context.Background(), email)
		if err != nil || !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
			t.Errorf("%s's stored hash after the first sign-in starts %.12q (%v), want $argon2id$", email, u.PasswordHash, err)
		}
	}
	app.login("ada@example.com", "Bcrypt-Old-Pass-1") // and the new hash works
}
