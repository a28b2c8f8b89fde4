package main

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
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

// TestSystemdAnalyzeSecurity: the unit's exposure, as systemd-analyze
// security scores it (0 best, 10 worst), stays at most 1.5; the shipped
// unit scores 1.4, and a hardening line dropped by mistake raises it above.
func TestSystemdAnalyzeSecurity(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed; TestSystemdUnitCanWriteItsState checks the unit without it")
	}
	unit, err := os.ReadFile("../../deploy/accountd.service")
	if err != nil {
		t.Fatal(err)
	}
	unitCopy := filepath.Join(t.TempDir(), "accountd.service")
	if err := os.WriteFile(unitCopy, unit, 0o644); err != nil {
		t.Fatal(err)
	}
	// --threshold is on the 0–100 scale of the exposure shown as 0–10.
	out, err := exec.Command(analyze, "security", "--offline=true", "--threshold=15", "--no-pager", unitCopy).CombinedOutput()
	if err != nil {
		t.Errorf("systemd-analyze security deploy/accountd.service: exposure above 1.5 (%v)\n%s", err, out)
	}
}

// dockerfile is deploy/Dockerfile as instructions: each with its keyword
// (upper case) and its arguments, continuation lines joined.
type instruction struct{ keyword, args string }

func readDockerfile(t *testing.T) []instruction {
	t.Helper()
	b, err := os.ReadFile("../../deploy/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var out []instruction
	var cur strings.Builder
	for _, line := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimSpace(line)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		cur.WriteString(strings.TrimSuffix(trimmed, `\`) + " ")
		if strings.HasSuffix(trimmed, `\`) {
			continue
		}
		kw, args, _ := strings.Cut(strings.TrimSpace(cur.String()), " ")
		out = append(out, instruction{strings.ToUpper(kw), strings.TrimSpace(args)})
		cur.Reset()
	}
	return out
}

// TestDockerfileRules checks the rules of deploy/Dockerfile that matter, as
// hadolint would (no Debian package provides it, and no Docker engine is here
// to build the image): a build stage and a final stage from pinned images; a
// static binary; a non-root user; the SQLite default inside a volume; listeners
// on all interfaces at the exposed ports; a HEALTHCHECK that runs `accountd
// health`; exec-form ENTRYPOINT/CMD; no ADD; ENV names that are real settings.
func TestDockerfileRules(t *testing.T) {
	ins := readDockerfile(t)
	var froms []string
	last := 0
	for i, in := range ins {
		if in.keyword == "FROM" {
			froms = append(froms, in.args)
			last = i
		}
	}
	if len(froms) < 2 {
		t.Fatalf("FROM %v: want a build stage and a final stage", froms)
	}
	for _, f := range froms {
		image := strings.Fields(f)[0]
		if _, tag, ok := strings.Cut(image[strings.LastIndex(image, "/")+1:], ":"); !ok || tag == "" || tag == "latest" {
			t.Errorf("FROM %s: pin a tag (not latest)", image)
		}
	}
	final := ins[last:]
	get := func(kw string) []string {
		var v []string
		for _, in := range final {
			if in.keyword == kw {
				v = append(v, in.args)
			}
		}
		return v
	}
	for _, in := range ins {
		if in.keyword == "ADD" {
			t.Errorf("ADD %s: use COPY (ADD fetches URLs and unpacks archives)", in.args)
		}
		if in.keyword == "RUN" && strings.Contains(in.args, "go build") && !strings.Contains(in.args, "CGO_ENABLED=0") {
			t.Errorf("RUN %s: build with CGO_ENABLED=0 (a static binary on a base without libc)", in.args)
		}
	}
	users := get("USER")
	if len(users) == 0 {
		t.Fatal("the final stage sets no USER: it would run as root")
	}
	if u := strings.Split(users[len(users)-1], ":")[0]; u == "root" || u == "0" {
		t.Errorf("USER %s: run as a non-root user", users[len(users)-1])
	}
	env := map[string]string{}
	for _, e := range get("ENV") {
		for _, kv := range strings.Fields(e) {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
	}
	known := map[string]bool{}
	for _, s := range settings() {
		known[s.env] = true
	}
	for k := range env {
		if !known[k] {
			t.Errorf("ENV %s: not a setting of accountd", k)
		}
	}
	db := env["ACCOUNTD_DATABASE_URL"]
	volumes := strings.Join(get("VOLUME"), " ")
	if db == "" || !path.IsAbs(db) || !strings.Contains(volumes, `"`+path.Dir(db)+`"`) {
		t.Errorf("ACCOUNTD_DATABASE_URL=%q, VOLUME %s: the SQLite file must be in a volume", db, volumes)
	}
	if wd := get("WORKDIR"); len(wd) == 0 || wd[len(wd)-1] != path.Dir(db) {
		t.Errorf("WORKDIR %v: want the volume %s (relative paths land there)", wd, path.Dir(db))
	}
	exposed := strings.Fields(strings.Join(get("EXPOSE"), " "))
	for _, k := range []string{"ACCOUNTD_ADDR", "ACCOUNTD_ADMIN_ADDR"} {
		host, port, err := net.SplitHostPort(env[k])
		if err != nil || host != "" {
			t.Errorf("%s=%q: want :PORT (all interfaces: the container's network is its boundary)", k, env[k])
			continue
		}
		if !slices.Contains(exposed, port) {
			t.Errorf("%s=%s: port %s is not in EXPOSE %v", k, env[k], port, exposed)
		}
	}
	hc := get("HEALTHCHECK")
	if len(hc) != 1 || !strings.Contains(hc[0], `CMD ["/usr/local/bin/accountd", "health"]`) {
		t.Errorf("HEALTHCHECK %v: want CMD [\"/usr/local/bin/accountd\", \"health\"] (exec form: the image has no shell)", hc)
	}
	for _, kw := range []string{"ENTRYPOINT", "CMD"} {
		v := get(kw)
		if len(v) != 1 || !strings.HasPrefix(v[0], "[") {
			t.Errorf("%s %v: want one, in exec form (signals reach accountd; no shell in the image)", kw, v)
		}
	}
	if ep := get("ENTRYPOINT"); len(ep) == 1 && ep[0] != `["/usr/local/bin/accountd"]` {
		t.Errorf("ENTRYPOINT %s: want [\"/usr/local/bin/accountd\"]", ep[0])
	}
}

// TestComposeNamesRealSettings: every ACCOUNTD_* variable that
// deploy/compose.yaml and its example .env set is a setting of accountd (a
// misspelt one would be ignored silently).
func TestComposeNamesRealSettings(t *testing.T) {
	known := map[string]bool{}
	for _, s := range settings() {
		known[s.env] = true
	}
	re := regexp.MustCompile(`(?m)^\s*(ACCOUNTD_[A-Z0-9_]+)\s*[:=]`)
	for _, name := range []string{"../../deploy/compose.yaml", "../../deploy/compose.env.example"} {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		found := re.FindAllStringSubmatch(string(b), -1)
		if len(found) == 0 {
			t.Errorf("%s sets no ACCOUNTD_* variable", name)
		}
		for _, m := range found {
			if !known[m[1]] {
				t.Errorf("%s: %s is not a setting of accountd", name, m[1])
			}
		}
	}
}
