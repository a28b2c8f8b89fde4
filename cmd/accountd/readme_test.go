package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accountd/accountd/internal/testenv"
)

// readmeNotRun names the sections of README.md whose shell blocks the README
// test leaves out, and why. Every other ```sh block runs.
var readmeNotRun = map[string]string{
	"Run it":  "starts the service, which the test starts itself",
	"Test it": "runs the tests, this one included",
}

// readmePrelude is the first line of the script, in place of the README's
// title: bash stops at the first failing command and names its README line,
// and curl fails on an HTTP error status (printing the body) as a person
// reading the answer would notice it. (The wrapper returns the failure
// rather than exiting in it, so the trap reports the README's line.)
const readmePrelude = `set -euo pipefail; trap 'echo "README.md line $LINENO failed" >&2' ERR; ` +
	`curl() { command curl --fail-with-body -sS "$@" || return; }`

// TestREADMEExamples runs the shell examples of README.md in order, in one
// bash, against serve -dev, as a newcomer would paste them into a terminal
// next to the one running the service. Any command that fails, any HTTP
// error status included, fails the test.
func TestREADMEExamples(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "python3", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Skip(t, testenv.Shell, tool+" is not on PATH")
		}
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	db := testDatabaseURL(t)
	// The dashboard URL -dev takes by default: the links in the mails are
	// the service's own, as the README's reader sees them.
	srv := startServe(t, map[string]string{"ACCOUNTD_DATABASE_URL": db, "ACCOUNTD_DASHBOARD_URL": ""})
	script, err := readmeScript(readme, map[string]string{
		"http://127.0.0.1:8080": srv.api,
		"http://127.0.0.1:9090": srv.admin,
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := readmeWorkdir(t, root)
	out, err := runScript(t, dir, script, map[string]string{
		// What a person running `serve -dev` in the same directory has by
		// default: the operator commands open the service's database and
		// build links on its address.
		"ACCOUNTD_DATABASE_URL": db,
		"ACCOUNTD_ADDR":         strings.TrimPrefix(srv.api, "http://"),
	})
	if err != nil {
		t.Fatalf("the README's examples failed (%v):\n%s", err, out)
	}
}

// readmeScript returns README.md's shell blocks as one bash script whose
// line n is the README's line n (other lines left blank), so bash's line
// numbers are the README's. In the blocks, each key of replace becomes its
// value: the README's addresses become the test's.
func readmeScript(readme []byte, replace map[string]string) (string, error) {
	var b strings.Builder
	section, inBlock, blocks := "", false, 0
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(readme))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case n == 1:
			line = readmePrelude
		case inBlock && line == "```":
			inBlock, line = false, ""
		case inBlock:
			for from, to := range replace {
				line = strings.ReplaceAll(line, from, to)
			}
		case line == "```sh":
			_, skip := readmeNotRun[section]
			inBlock, line = !skip, ""
			if !skip {
				blocks++
			}
		default:
			if title, ok := strings.CutPrefix(line, "## "); ok {
				section = title
				seen[title] = true
			}
			line = ""
		}
		b.WriteString(line + "\n")
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	for title := range readmeNotRun {
		if !seen[title] {
			// Renamed, its block would run: serve would never return.
			return "", fmt.Errorf("README.md has no section %q: update readmeNotRun", title)
		}
	}
	if blocks == 0 || inBlock {
		return "", fmt.Errorf("README.md: %d shell blocks to run, last one unclosed: %v", blocks, inBlock)
	}
	return b.String(), nil
}

// readmeWorkdir returns a fresh directory that looks like a clone of the
// repository to the go command (go.mod and the packages, docs/ too for the
// embedded OpenAPI document, linked), so the
// README's `go build -o accountd ./cmd/accountd` works there without
// writing into the source tree. Its path is the same on every run from
// root: the build cache keys our compiled packages by their directory, and
// a new one each run would compile them all again.
func readmeWorkdir(t *testing.T, root string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(root))
	dir := filepath.Join(os.TempDir(), "accountd-readme-"+hex.EncodeToString(sum[:6]))
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	for _, name := range []string{"go.mod", "go.sum", "cmd", "internal", "docs"} {
		if err := os.Symlink(filepath.Join(root, name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runScript runs script with bash in dir, with the test's environment minus
// any ACCOUNTD_* setting of the person running it, plus vars; it returns
// what the script printed.
func runScript(t *testing.T, dir, script string, vars map[string]string) (string, error) {
	t.Helper()
	// Building accountd cold takes a minute on a slow machine.
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir = dir
	cmd.WaitDelay = 5 * time.Second
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ACCOUNTD_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}
