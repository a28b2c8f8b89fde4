package account_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestDependenciesPointInward keeps the rule of docs/architecture.md#the-shape-of-the-program: the domain and the
// packages around it import only what the picture allows.
func TestDependenciesPointInward(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	const mod = "github.com/accountd/accountd/internal/"
	allowed := map[string][]string{
		"account":     {"account", "password", "twofactor"},
		"password":    {"password"},
		"captcha":     {"captcha"},
		"postgres":    {"postgres", "account", "password", "groupcommit", "twofactor"},
		"sqlite":      {"sqlite", "account", "password", "groupcommit", "twofactor"},
		"groupcommit": {"groupcommit"},
		"mail":        {"mail", "account", "password", "groupcommit", "twofactor"},
		"web":         {"web", "account", "password", "captcha", "ratelimit", "twofactor"},
		"ratelimit":   {"ratelimit"},
		"pwned":       {"pwned"},
		"secretbox":   {"secretbox"},
		"twofactor":   {"twofactor"},
		"social":      {"social", "account", "password", "twofactor"},
	}
	for pkg, ok := range allowed {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "../"+pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			name, ours := strings.CutPrefix(dep, mod)
			if !ours || slices.Contains(ok, strings.SplitN(name, "/", 2)[0]) {
				continue
			}
			t.Errorf("internal/%s imports %s; docs/architecture.md#the-shape-of-the-program allows only %v", pkg, dep, ok)
		}
	}
}

// TestBinaryLinksNoTestCode keeps test helpers out of the production binary:
// package testing (and with it every test-only package of ours, such as
// internal/testdb, storetest and smtptest) must not be among the
// dependencies of cmd/accountd.
func TestBinaryLinksNoTestCode(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "../../cmd/accountd").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps cmd/accountd: %v\n%s", err, out)
	}
	testOnly := []string{"testing", "github.com/accountd/accountd/internal/testdb",
		"github.com/accountd/accountd/internal/storetest", "github.com/accountd/accountd/internal/smtptest"}
	for _, dep := range strings.Fields(string(out)) {
		if slices.Contains(testOnly, dep) {
			t.Errorf("cmd/accountd depends on %s, a package for tests only", dep)
		}
	}
}
