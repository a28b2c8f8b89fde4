// Package testenv skips the tests that need something from outside the Go
// toolchain (PostgreSQL, Redis, Chromium, shell tools) when it is absent, and
// says so: a plain `go test ./...` shows nothing of a passing package but its
// "ok" line, so without Main a skipped PostgreSQL suite would look like a
// passed one. It imports testing, so only _test.go files (and the test-only
// package testdb) import it.
package testenv

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Need is something outside Go that some tests need.
type Need struct {
	Name   string // what a person calls it: "PostgreSQL"
	Key    string // its word in ACCOUNTD_TEST_REQUIRE: "postgres"
	Enable string // how to have it: "set ACCOUNTD_TEST_POSTGRES_URL=…"
}

// The needs of accountd's tests. ACCOUNTD_TEST_REQUIRE=all (as in .ci/run),
// or a list of their keys, turns their skips into failures.
var (
	Postgres = Need{"PostgreSQL", "postgres", "set ACCOUNTD_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable"}
	Redis    = Need{"Redis", "redis", "set ACCOUNTD_TEST_REDIS_URL=redis://127.0.0.1:6379/0"}
	Chromium = Need{"Chromium", "chromium", "apt-get install chromium"}
	Shell    = Need{"the shell tools (bash, curl, python3, go)", "shell", "apt-get install bash curl python3; go on PATH"}
	Nginx    = Need{"nginx", "nginx", "apt-get install nginx"}
	Axe      = Need{"axe-core", "axe", "npm ci --prefix .ci/axe (the version pinned in .ci/axe/package-lock.json)"}
)

// skipped counts the tests of this test binary skipped per need.
var skipped = struct {
	sync.Mutex
	n map[Need]int
}{n: map[Need]int{}}

// Skip skips tb for want of n, with why as the message, or fails it when
// ACCOUNTD_TEST_REQUIRE is "all" or names n.Key: then CI cannot pass by
// skipping. Skipped tests are counted for the summary of Main.
func Skip(tb testing.TB, n Need, why string) {
	tb.Helper()
	if Required(n) {
		tb.Fatalf("%s, and ACCOUNTD_TEST_REQUIRE=%q requires %s: %s", why, os.Getenv("ACCOUNTD_TEST_REQUIRE"), n.Name, n.Enable)
	}
	skipped.Lock()
	skipped.n[n]++
	skipped.Unlock()
	tb.Skipf("%s: skipping; to run it: %s", why, n.Enable)
}

// Required reports whether ACCOUNTD_TEST_REQUIRE asks for n: "all", or a
// list of keys separated by commas or spaces.
func Required(n Need) bool {
	req := os.Getenv("ACCOUNTD_TEST_REQUIRE")
	return req == "all" || slices.Contains(strings.FieldsFunc(req, func(r rune) bool { return r == ',' || r == ' ' }), n.Key)
}

// Main runs the tests of m and then, if any was skipped, prints one line
// saying how many, for want of what, and how to run them. It returns the
// exit code for os.Exit. Call it from TestMain.
func Main(m *testing.M) int {
	code := m.Run()
	if line := Summary(packageName()); line != "" {
		w, done := summaryOutput()
		fmt.Fprintln(w, line)
		done()
	}
	return code
}

// Summary returns the line Main prints for pkg, or "" when nothing was
// skipped.
func Summary(pkg string) string {
	skipped.Lock()
	defer skipped.Unlock()
	total := 0
	var what []string
	for _, n := range []Need{Postgres, Redis, Chromium, Shell, Nginx, Axe} {
		if c := skipped.n[n]; c > 0 {
			total += c
			what = append(what, fmt.Sprintf("%d for %s (%s)", c, n.Name, n.Enable))
		}
	}
	if total == 0 {
		return ""
	}
	tests := "tests"
	if total == 1 {
		tests = "test"
	}
	return fmt.Sprintf("accountd: %s: %d %s skipped: %s", pkg, total, tests, strings.Join(what, "; "))
}

// summaryOutput is where the summary goes. go test keeps a passing
// package's output to itself unless -v is given, so the line goes to the
// terminal the person is looking at when there is one; else (CI, -v, -json,
// where stderr is shown or kept) to stderr.
func summaryOutput() (io.Writer, func()) {
	if !testing.Verbose() {
		if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
			return tty, func() { tty.Close() }
		}
	}
	return os.Stderr, func() {}
}

// packageName returns the directory of the package under test relative to
// the module root (go test runs a test binary in its package's directory),
// such as "internal/web".
func packageName() string {
	wd, err := os.Getwd()
	if err != nil {
		return "?"
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if rel, err := filepath.Rel(dir, wd); err == nil && rel != "." {
				return filepath.ToSlash(rel)
			}
			return filepath.Base(wd)
		}
		if filepath.Dir(dir) == dir {
			return filepath.Base(wd)
		}
	}
}
