// Package systemtest drives the real accountd binary as separate processes:
// several nodes on one PostgreSQL and one Redis, crashes, outages. The
// binary is built once per test run.
package systemtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/accountd/accountd/internal/openapitest"
	"github.com/accountd/accountd/internal/testenv"
)

// binary is the accountd built for this run.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "accountd-systemtest")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "accountd")
	build := exec.Command("go", "build", "-o", binary, "github.com/accountd/accountd/cmd/accountd")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building accountd:", err)
		os.Exit(1)
	}
	code := testenv.Main(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

// lockedBuffer collects a process's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Node is one running accountd process.
type Node struct {
	t     *testing.T
	cmd   *exec.Cmd
	API   string // http://127.0.0.1:port
	Admin string
	Log   *lockedBuffer
	done  chan struct{}
}

var listenLine = regexp.MustCompile(`listening on (http://\S+) \(admin (http://\S+)\)`)

// testSecretKey is every node's ACCOUNTD_SECRET_KEY: nodes sharing a
// database, or a node restarted on one, must open what another sealed (a
// node under -dev without a key would seal under a key of its own).
const testSecretKey = "YWNjb3VudGQgc3lzdGVtIHRlc3Qga2V5IDMyIGJ5dGU="

// StartNode starts `accountd serve -dev` with env added to a minimal
// environment, on free ports, and waits until it listens. The node is
// killed at the end of the test if still running.
func StartNode(t *testing.T, env map[string]string) *Node {
	t.Helper()
	cmd := exec.Command(binary, "serve", "-dev")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"ACCOUNTD_ADDR=127.0.0.1:0", "ACCOUNTD_ADMIN_ADDR=127.0.0.1:0", "ACCOUNTD_LOG_LEVEL=info",
		"ACCOUNTD_SECRET_KEY=" + testSecretKey}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	n := &Node{t: t, cmd: cmd, Log: &lockedBuffer{}, done: make(chan struct{})}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = n.Log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { cmd.Wait(); close(n.done) }()
	t.Cleanup(func() { n.Kill() })
	lines := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		line, _ := r.ReadString('\n')
		lines <- line
		io.Copy(n.Log, r)
	}()
	select {
	case line := <-lines:
		m := listenLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("accountd printed %q, want a listening line; log:\n%s", line, n.Log)
		}
		n.API, n.Admin = m[1], m[2]
	case <-time.After(30 * time.Second):
		t.Fatalf("accountd did not listen within 30 s; log:\n%s", n.Log)
	}
	return n
}

// Kill ends the node with SIGKILL, as a crash would, and waits for it.
func (n *Node) Kill() {
	if n.cmd.Process != nil {
		n.cmd.Process.Signal(syscall.SIGKILL)
	}
	<-n.done
}

// Stop ends the node with SIGTERM (graceful shutdown) and waits for it.
func (n *Node) Stop() {
	n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.done:
	case <-time.After(30 * time.Second):
		n.t.Errorf("accountd did not stop within 30 s of SIGTERM")
		n.Kill()
	}
}

// Answer is an API response.
type Answer struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    string
}

// client is shared by the tests; each request has a deadline.
var client = &http.Client{Timeout: 30 * time.Second}

// Call sends a JSON request; token and headers may be empty. A transport
// error is returned as Status 0 with the error in Raw.
func (n *Node) Call(method, path, token string, body any, headers ...string) Answer {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, n.API+path, rd)
	if err != nil {
		return Answer{Raw: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Token "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := client.Do(req)
	if err != nil {
		return Answer{Raw: err.Error()}
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	// Every answer, outages included, is one docs/openapi.yaml describes.
	openapitest.Verify(n.t, req, res.StatusCode, res.Header, raw)
	a := Answer{Status: res.StatusCode, Header: res.Header, Raw: string(raw)}
	_ = json.Unmarshal(raw, &a.Body)
	return a
}

// Token calls and returns the "token" of a 200 answer, failing the test
// otherwise.
func (n *Node) Token(path string, body any) string {
	n.t.Helper()
	a := n.Call("POST", path, "", body)
	tok, _ := a.Body["token"].(string)
	if a.Status != 200 || tok == "" {
		n.t.Fatalf("POST %s = %d %s, want 200 with a token", path, a.Status, a.Raw)
	}
	return tok
}

// Metrics returns the node's /metrics text.
func (n *Node) Metrics() string {
	n.t.Helper()
	res, err := client.Get(n.Admin + "/metrics")
	if err != nil {
		n.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

// Eventually polls cond every 20 ms until it holds, failing the test after
// d: the nodes work on their own schedule and this waits for what they
// promise, not for a guessed time.
func Eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Proxy is a TCP proxy on 127.0.0.1 in front of a server, which a test can
// cut (every connection dropped, new ones refused) and restore, to play an
// outage of the server behind it without touching the server itself.
type Proxy struct {
	t      *testing.T
	target string
	Addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
}

// StartProxy starts a proxy to target ("host:port").
func StartProxy(t *testing.T, target string) *Proxy {
	t.Helper()
	p := &Proxy{t: t, target: target, conns: map[net.Conn]bool{}}
	p.listen("127.0.0.1:0")
	t.Cleanup(p.Cut)
	return p
}

func (p *Proxy) listen(addr string) {
	p.t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		p.t.Fatalf("proxy listen %s: %v", addr, err)
	}
	p.mu.Lock()
	p.ln, p.Addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.pipe(c)
		}
	}()
}

func (p *Proxy) pipe(c net.Conn) {
	up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.ln == nil {
		p.mu.Unlock()
		c.Close()
		up.Close()
		return
	}
	p.conns[c], p.conns[up] = true, true
	p.mu.Unlock()
	go func() { io.Copy(up, c); up.Close(); c.Close() }()
	io.Copy(c, up)
	c.Close()
	up.Close()
}

// Cut closes the listener and every proxied connection.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	p.conns = map[net.Conn]bool{}
}

// Restore listens again on the same address.
func (p *Proxy) Restore() {
	p.t.Helper()
	p.listen(p.Addr)
}

// hostPort returns the host:port of a URL such as postgres://u@h:p/db.
func hostPort(t *testing.T, rawURL string) string {
	t.Helper()
	rest := rawURL[strings.Index(rawURL, "://")+3:]
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		rest = rest[at+1:]
	}
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		rest = rest[:i]
	}
	return rest
}
