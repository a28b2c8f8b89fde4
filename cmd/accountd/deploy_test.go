package main

import (
	"bufio"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// unitFile is a systemd unit: each key's values, in order, across sections.
type unitFile map[string][]string

// readUnit parses the systemd unit at name (comments, sections and
// key=value lines; the shipped files use no line continuations).
func readUnit(t *testing.T, name string) unitFile {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u := unitFile{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";") || strings.HasPrefix(line, "[") {
			continue
		}
		if strings.HasSuffix(line, `\`) {
			t.Fatalf("%s: line continuations are not supported here: %q", name, line)
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: not key=value: %q", name, line)
		}
		u[strings.TrimSpace(k)] = append(u[strings.TrimSpace(k)], strings.TrimSpace(v))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return u
}

// one returns the single value of key, failing the test without exactly one.
func (u unitFile) one(t *testing.T, key string) string {
	t.Helper()
	if len(u[key]) != 1 {
		t.Fatalf("deploy/accountd.service: %s= set %d times, want once", key, len(u[key]))
	}
	return u[key][0]
}

// TestSystemdUnitCanWriteItsState: the shipped unit runs accountd where it
// may write. DynamicUser= and ProtectSystem=strict leave the file system
// read-only, so the SQLite file must be in the state directory, the working
// directory too (a relative path lands there).
func TestSystemdUnitCanWriteItsState(t *testing.T) {
	u := readUnit(t, "../../deploy/accountd.service")
	state := u.one(t, "StateDirectory")
	if strings.ContainsAny(state, " /") {
		t.Fatalf("StateDirectory=%s, want one directory name", state)
	}
	stateDir := "/var/lib/" + state
	if wd := u.one(t, "WorkingDirectory"); wd != stateDir {
		t.Errorf("WorkingDirectory=%s, want the state directory %s", wd, stateDir)
	}
	var db string
	for _, env := range u["Environment"] {
		if v, ok := strings.CutPrefix(env, "ACCOUNTD_DATABASE_URL="); ok {
			db = v
		}
	}
	if path.Dir(db) != stateDir {
		t.Errorf("Environment=ACCOUNTD_DATABASE_URL=%s, want a file in %s", db, stateDir)
	}
	if ef := strings.TrimPrefix(u.one(t, "EnvironmentFile"), "-"); !path.IsAbs(ef) {
		t.Errorf("EnvironmentFile=%s, want an absolute path", ef)
	}
	for key, want := range map[string]string{"DynamicUser": "yes", "ProtectSystem": "strict", "NoNewPrivileges": "yes"} {
		if got := u.one(t, key); got != want {
			t.Errorf("%s=%s, want %s", key, got, want)
		}
	}
	if _, ok := u["ReadWritePaths"]; ok {
		t.Errorf("ReadWritePaths=%v: accountd writes to its state directory only", u["ReadWritePaths"])
	}
	checkExecStart(t, u.one(t, "ExecStart"))
}

// checkExecStart checks that ExecStart runs an installed accountd's serve
// with flags serve knows, and never -dev.
func checkExecStart(t *testing.T, exec string) {
	t.Helper()
	args := strings.Fields(exec)
	if len(args) < 2 || !path.IsAbs(args[0]) || path.Base(args[0]) != "accountd" || args[1] != "serve" {
		t.Fatalf("ExecStart=%s, want /…/accountd serve [flags]", exec)
	}
	known := map[string]bool{"-no-migrate": true}
	for _, s := range settings() {
		known["-"+s.flag] = true
	}
	for _, a := range args[2:] {
		name, _, _ := strings.Cut(a, "=")
		if !known[name] {
			t.Errorf("ExecStart=%s: %s is not a production flag of serve", exec, a)
		}
	}
}

// TestSystemdEnvFileNamesRealSettings: every variable of the example
// environment file, commented out or not, is a setting accountd reads, and
// the secret key is there.
func TestSystemdEnvFileNamesRealSettings(t *testing.T) {
	b, err := os.ReadFile("../../deploy/accountd.env")
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, s := range settings() {
		known[s.env] = true
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		k, _, ok := strings.Cut(strings.TrimPrefix(line, "#"), "=")
		if !ok || !strings.HasPrefix(k, "ACCOUNTD_") {
			continue
		}
		seen[k] = true
		if !known[k] {
			t.Errorf("deploy/accountd.env sets %s, which accountd does not read", k)
		}
	}
	if !seen["ACCOUNTD_SECRET_KEY"] {
		t.Error("deploy/accountd.env has no ACCOUNTD_SECRET_KEY, which serve needs outside -dev")
	}
}

// TestSystemdAnalyzeVerify runs systemd-analyze verify on the unit, with
// ExecStart pointed at an executable that exists here (it checks that).
func TestSystemdAnalyzeVerify(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed; TestSystemdUnitCanWriteItsState checks the unit without it")
	}
	unit, err := os.ReadFile("../../deploy/accountd.service")
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	unitCopy := filepath.Join(t.TempDir(), "accountd.service")
	if err := os.WriteFile(unitCopy, []byte(strings.ReplaceAll(string(unit), "/usr/local/bin/accountd", self)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", unitCopy).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify deploy/accountd.service: %v\n%s", err, out)
	}
}
