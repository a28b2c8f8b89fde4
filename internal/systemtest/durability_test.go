package systemtest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	netmail "net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accountd/accountd/internal/smtptest"
)

// The mail durability promise of docs/api.md#email and docs/architecture.md#email, played against the
// real binary: a 204 means the email goes out even if the node is killed
// right after answering, or the SMTP server is down for a while, or the node
// is asked to stop while it is sending. This file holds the crash case and
// the helpers; smtpoutage_test.go and shutdown_test.go hold the others.

// duLease and duRetryBase shorten the claim lease and the first retry wait
// (ACCOUNTD_MAIL_LEASE, ACCOUNTD_MAIL_RETRY_BASE) so that the tests wait
// seconds, not minutes. "" leaves a setting at its default (1m, 5s): the
// tests stay correct then, only slower.
const (
	duLease     = "3s"
	duRetryBase = "500ms"
)

const duPassword = "Correct-Horse-7391"

// duEnv is the environment of a node on the SQLite file db that sends through
// smtpURL.
func duEnv(db, smtpURL string) map[string]string {
	env := map[string]string{
		"ACCOUNTD_DATABASE_URL":  db,
		"ACCOUNTD_SMTP_URL":      smtpURL,
		"ACCOUNTD_DASHBOARD_URL": "https://dash.example.com",
		// Many registrations and reset requests from one IP: the per-IP
		// limits are not under test here.
		"ACCOUNTD_RATE_LIMITS":  "off",
		"ACCOUNTD_MAIL_WORKERS": strconv.Itoa(duWorkers),
	}
	if duLease != "" {
		env["ACCOUNTD_MAIL_LEASE"] = duLease
	}
	if duRetryBase != "" {
		env["ACCOUNTD_MAIL_RETRY_BASE"] = duRetryBase
	}
	return env
}

// duWorkers is how many mail workers each node runs: at most that many
// emails are in flight when a node dies.
const duWorkers = 4

// duLeaseDuration is the claim lease the nodes run with.
func duLeaseDuration(t *testing.T) time.Duration {
	t.Helper()
	if duLease == "" {
		return time.Minute
	}
	d, err := time.ParseDuration(duLease)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// duRegister creates an account with the given address.
func duRegister(t *testing.T, n *Node, email string) {
	t.Helper()
	n.Token("/api/v2/register/", map[string]any{"email": email, "password": duPassword, "tos_accepted": true})
}

// duRequestReset asks for a reset link for email, with the given User-Agent
// (the reset email names it, which ties an email to its request).
func duRequestReset(n *Node, email, userAgent string) Answer {
	return n.Call("POST", "/api/v2/resetpassword/", "", map[string]any{"email": email, "recaptcha": "x"},
		"User-Agent", userAgent)
}

// duInbox collects what a test SMTP server receives. The server hands each
// message to its Msgs channel before it answers 250, and the channel is
// small, so something must drain it all the time or delivery stalls; a
// snapshot also takes what is still in the channel, so a message the node
// has seen accepted is always in it.
type duInbox struct {
	snap chan chan []smtptest.Received
}

// duCollect starts draining srv.Msgs until the end of the test.
func duCollect(t *testing.T, srv *smtptest.Server) *duInbox {
	in := &duInbox{snap: make(chan chan []smtptest.Received)}
	done := make(chan struct{})
	go func() {
		var got []smtptest.Received
		for {
			select {
			case r := <-srv.Msgs:
				got = append(got, r)
			case reply := <-in.snap:
				for more := true; more; {
					select {
					case r := <-srv.Msgs:
						got = append(got, r)
					default:
						more = false
					}
				}
				reply <- slices.Clone(got)
			case <-done:
				return
			}
		}
	}()
	t.Cleanup(func() { close(done) })
	return in
}

// Messages returns every message received so far.
func (in *duInbox) Messages() []smtptest.Received {
	reply := make(chan []smtptest.Received)
	in.snap <- reply
	return <-reply
}

// duMail is a received email taken apart.
type duMail struct {
	Rcpt      []string // the RCPT TO addresses
	To        string   // the To header
	MessageID string
	Reset     bool   // a reset email: it carries a reset link
	Token     string // the reset token of the link; "" if none
	UserAgent string // the browser the email names
	Text      string
}

var (
	duLinkRe  = regexp.MustCompile(`/resetpassword/([0-9a-f]{64})/confirm/`)
	duAgentRe = regexp.MustCompile(`du-req-\d+`)
)

// duParse takes a received message apart.
func duParse(t *testing.T, r smtptest.Received) duMail {
	t.Helper()
	p := smtptest.Parse(t, r.Data)
	m := duMail{Rcpt: r.To, To: p.Header.Get("To"), MessageID: p.Header.Get("Message-ID"), Text: p.Parts["text/plain"]}
	if s := duLinkRe.FindStringSubmatch(m.Text); s != nil {
		m.Reset, m.Token = true, s[1]
	}
	m.UserAgent = duAgentRe.FindString(m.Text)
	return m
}

// duResets parses the received messages and returns the reset emails;
// others (the activation email a registration sends) are not under test
// here, but they must go to an address in to, if to is not nil.
func duResets(t *testing.T, rs []smtptest.Received, to map[string]bool) []duMail {
	t.Helper()
	var out []duMail
	for _, r := range rs {
		m := duParse(t, r)
		if m.Reset {
			out = append(out, m)
			continue
		}
		for _, a := range m.Rcpt {
			if to != nil && !to[strings.ToLower(a)] {
				t.Errorf("an email (Message-ID %s) went to %s, which has no account", m.MessageID, a)
			}
		}
	}
	return out
}

// duRow is one line of `accountd mail list`.
type duRow struct {
	ID        int64
	Status    string
	Kind      string
	To        string
	Attempts  int
	MessageID string // "" if the table has no such column
	LastError string
}

// duMailList runs `accountd mail list -status status` on the SQLite file db,
// as an operator would next to the running node, and parses its table: each
// column starts where its heading does, LAST ERROR runs to the end.
func duMailList(t *testing.T, db, status string) []duRow {
	t.Helper()
	out := duRun(t, db, "mail", "list", "-status", status, "-limit", "10000")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	header := lines[0]
	// INBOX (the /dev/mail/ page) shows when the development inbox holds mail.
	names := []string{"ID", "INBOX", "STATUS", "KIND", "TO", "ATTEMPTS", "QUEUED", "NEXT TRY", "MESSAGE-ID", "LAST ERROR"}
	var starts []int // of the columns found, in order
	at := map[string]int{}
	for _, name := range names {
		i := duColumn(header, name)
		if i < 0 {
			if name != "MESSAGE-ID" && name != "INBOX" {
				t.Fatalf("accountd mail list printed the heading %q, want a %s column", header, name)
			}
			continue
		}
		at[name] = i
		starts = append(starts, i)
	}
	slices.Sort(starts)
	cell := func(line, name string) string {
		i, ok := at[name]
		if !ok || i >= len(line) {
			return ""
		}
		end := len(line)
		if k, found := slices.BinarySearch(starts, i); found && k+1 < len(starts) && name != "LAST ERROR" {
			end = min(end, starts[k+1])
		}
		return strings.TrimSpace(line[i:end])
	}
	var rows []duRow
	for _, line := range lines[1:] {
		id, err1 := strconv.ParseInt(cell(line, "ID"), 10, 64)
		attempts, err2 := strconv.Atoi(cell(line, "ATTEMPTS"))
		if err1 != nil || err2 != nil {
			t.Fatalf("accountd mail list line %q (under %q): id or attempts is not a number", line, header)
		}
		rows = append(rows, duRow{ID: id, Status: cell(line, "STATUS"), Kind: cell(line, "KIND"), To: cell(line, "TO"),
			Attempts: attempts, MessageID: cell(line, "MESSAGE-ID"), LastError: cell(line, "LAST ERROR")})
	}
	return rows
}

// duRun runs an operator command of accountd on the SQLite file db and
// returns what it printed.
func duRun(t *testing.T, db string, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"ACCOUNTD_DATABASE_URL=" + db, "ACCOUNTD_DASHBOARD_URL=https://dash.example.com",
		"ACCOUNTD_SECRET_KEY=" + testSecretKey}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("accountd %s: %v; stderr:\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// duColumn is where the heading name starts in a table's header, or -1.
func duColumn(header, name string) int {
	for i := 0; i+len(name) <= len(header); i++ {
		if header[i:i+len(name)] == name && (i == 0 || header[i-1] == ' ') &&
			(i+len(name) == len(header) || header[i+len(name)] == ' ') {
			return i
		}
	}
	return -1
}

// duWaitQueueEmpty waits until the outbox holds no queued mail (claimed mail
// is queued too, with its lease as the next try).
func duWaitQueueEmpty(t *testing.T, db string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		rows := duMailList(t, db, "queued")
		if len(rows) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v the outbox still holds %d queued emails: %+v", d, len(rows), rows)
		}
		time.Sleep(100 * time.Millisecond) // each look runs a process
	}
}

// duCheckLogs fails the test if a node's log holds a reset link or one of
// the reset tokens that were mailed: the link is the secret.
func duCheckLogs(t *testing.T, tokens []string, nodes ...*Node) {
	t.Helper()
	linkRe := regexp.MustCompile(`(resetpassword|activation)/[0-9a-fA-F]{64}`)
	for i, n := range nodes {
		log := n.Log.String()
		if m := linkRe.FindString(log); m != "" {
			t.Errorf("node %d logged a secret link (%s…)", i+1, m[:len(m)-50])
		}
		for _, tok := range tokens {
			if tok != "" && strings.Contains(log, tok) {
				t.Errorf("node %d logged the reset token %s…", i+1, tok[:8])
			}
		}
	}
}

// duCheckToken asserts that a mailed token is usable: the email carries the
// token the database holds, not one made up again on a retry.
func duCheckToken(t *testing.T, n *Node, to, token string) {
	t.Helper()
	a := n.Call("POST", "/api/v2/resetpassword/check/", "", map[string]any{"password_reset_token": token})
	if a.Status != 204 {
		t.Errorf("check of the token mailed to %s = %d %s, want 204", to, a.Status, a.Raw)
	}
}

// duExitCode is the exit status of a node that has ended.
func duExitCode(n *Node) int {
	if n.cmd.ProcessState == nil {
		return -1
	}
	return n.cmd.ProcessState.ExitCode()
}

// duHoldProxy is a TCP proxy in front of an SMTP server that, once armed,
// withholds the server's answer to the end of the next message's DATA: the
// server has the message, the sender never learns it. It plays the worst
// moment for a crash, between acceptance and the record of it.
type duHoldProxy struct {
	target string
	Addr   string
	ln     net.Listener
	armed  atomic.Bool
	held   chan struct{}

	mu    sync.Mutex
	conns []net.Conn
}

// duStartHoldProxy starts a proxy to target ("host:port").
func duStartHoldProxy(t *testing.T, target string) *duHoldProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &duHoldProxy{target: target, Addr: ln.Addr().String(), ln: ln, held: make(chan struct{}, 1)}
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, c := range p.conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.pipe(c.(*net.TCPConn))
		}
	}()
	return p
}

// Arm makes the proxy hold the answer to the next end of DATA; Held is
// signalled once the end of DATA has been passed on to the server.
func (p *duHoldProxy) Arm() { p.armed.Store(true) }

func (p *duHoldProxy) pipe(c *net.TCPConn) {
	upc, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		c.Close()
		return
	}
	up := upc.(*net.TCPConn)
	p.mu.Lock()
	p.conns = append(p.conns, c, up)
	p.mu.Unlock()
	var holding atomic.Bool
	done := make(chan struct{})
	go func() { // server → sender; read to the end so the server never sees a reset
		buf := make([]byte, 32<<10)
		for {
			n, err := up.Read(buf)
			if n > 0 && !holding.Load() {
				_, _ = c.Write(buf[:n])
			}
			if err != nil {
				break
			}
		}
		_ = c.CloseWrite()
		close(done)
	}()
	end := []byte("\r\n.\r\n")
	var tail []byte
	buf := make([]byte, 32<<10)
	for { // sender → server
		n, err := c.Read(buf)
		if n > 0 {
			seen := append(tail, buf[:n]...)
			hold := bytes.Contains(seen, end) && p.armed.CompareAndSwap(true, false)
			if hold {
				holding.Store(true) // before the server can answer
			}
			if _, werr := up.Write(buf[:n]); werr != nil {
				break
			}
			if hold {
				p.held <- struct{}{}
			}
			tail = slices.Clone(seen[max(0, len(seen)-len(end)):])
		}
		if err != nil {
			break
		}
	}
	_ = up.CloseWrite() // the server still reads what was sent
	<-done
	c.Close()
	up.Close()
}

// TestMailSurvivesSIGKILL: reset requests stream in while the SMTP server is
// slow, and the node is killed (SIGKILL) while requests are still arriving,
// at the worst moment of a send: the server has accepted a message, the node
// has not heard so. A new node on the same database delivers the rest: every
// request that was answered 204 gets its email, the interrupted one is sent
// again with the same Message-ID, nothing goes to unknown addresses.
func TestMailSurvivesSIGKILL(t *testing.T) {
	begin := time.Now()
	srv := smtptest.Start(t, smtptest.Config{Rcpt: func(string) error {
		time.Sleep(100 * time.Millisecond) // a slow server: the condition under test
		return nil
	}})
	inbox := duCollect(t, srv)
	proxy := duStartHoldProxy(t, srv.Addr)
	db := filepath.Join(t.TempDir(), "accountd.db")
	env := duEnv(db, "smtp://"+proxy.Addr)
	n1 := StartNode(t, env)

	const accounts, perAccount, unknown = 20, 3, 15 // 3: the default hourly cap, reached not passed
	registered := map[string]bool{}
	type request struct{ email, agent string }
	var reqs []request
	for i := range accounts {
		email := fmt.Sprintf("user%02d@example.com", i)
		duRegister(t, n1, email)
		registered[email] = true
		for range perAccount {
			reqs = append(reqs, request{email: email})
		}
	}
	for i := range unknown {
		reqs = append(reqs, request{email: fmt.Sprintf("nobody%02d@example.com", i)})
	}
	// Whatever registering queued (an activation email) goes out first, so
	// that what is in flight at the kill is reset mail.
	duWaitQueueEmpty(t, db, 60*time.Second)
	rand.Shuffle(len(reqs), func(i, j int) { reqs[i], reqs[j] = reqs[j], reqs[i] })
	for i := range reqs {
		reqs[i].agent = fmt.Sprintf("du-req-%03d", i)
	}

	// Five clients send the requests, a little apart, so that they are
	// still arriving when the node dies.
	status := make([]int, len(reqs))
	raw := make([]string, len(reqs))
	var answered atomic.Int32
	next := make(chan int)
	go func() {
		for i := range reqs {
			next <- i
		}
		close(next)
	}()
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			for i := range next {
				a := duRequestReset(n1, reqs[i].email, reqs[i].agent)
				status[i], raw[i] = a.Status, a.Raw
				if a.Status == 204 {
					answered.Add(1)
				}
				time.Sleep(40 * time.Millisecond)
			}
		})
	}
	// Once half are answered, kill the node at the end of the next DATA.
	Eventually(t, 20*time.Second, "half the reset requests were not answered", func() bool {
		return int(answered.Load()) >= len(reqs)/2
	})
	proxy.Arm()
	select {
	case <-proxy.held:
	case <-time.After(20 * time.Second):
		t.Fatalf("no email reached the end of DATA within 20 s of arming; log:\n%s", n1.Log)
	}
	n1.Kill()
	atKill := answered.Load()
	wg.Wait()
	killedAt := time.Since(begin)

	unanswered := 0
	for i, s := range status {
		switch s {
		case 204:
		case 0: // the node died under it: not answered
			unanswered++
		default:
			t.Errorf("reset request %d (%s) = %d %s, want 204 or a connection error", i, reqs[i].email, s, raw[i])
		}
	}
	if unanswered == 0 {
		t.Errorf("every request was answered before the kill: the node was not killed while requests were flowing")
	}
	if atKill == 0 {
		t.Errorf("no request was answered before the kill")
	}
	t.Logf("killed after %d of %d answers; %d requests unanswered; %d reset emails received before the kill",
		atKill, len(reqs), unanswered, len(duResets(t, inbox.Messages(), nil)))

	n2 := StartNode(t, env)
	restarted := time.Now()
	duWaitQueueEmpty(t, db, 90*time.Second)
	drained := time.Since(restarted)

	mails := duResets(t, inbox.Messages(), registered)
	var tokens []string
	byAgent := map[string][]duMail{}
	for _, m := range mails {
		tokens = append(tokens, m.Token)
		for _, r := range m.Rcpt {
			if !registered[strings.ToLower(r)] {
				t.Errorf("a reset email went to %s, which has no account", r)
			}
		}
		if m.UserAgent == "" {
			t.Errorf("the reset email to %v (Message-ID %s) names no request:\n%s", m.Rcpt, m.MessageID, m.Text)
			continue
		}
		byAgent[m.UserAgent] = append(byAgent[m.UserAgent], m)
	}

	distinct := map[string]int{}  // per address: distinct Message-IDs
	answers := map[string]int{}   // per address: 204s
	lateMails := map[string]int{} // per address: emails for requests the node died under
	copies := map[string]int{}    // per Message-ID: how often it arrived
	for _, m := range mails {
		copies[m.MessageID]++
	}
	resends := 0
	for i, r := range reqs {
		got := byAgent[r.agent]
		ids := map[string]duMail{}
		for _, m := range got {
			if to, err := netmail.ParseAddress(m.To); err != nil || to.Address != r.email || !slices.Equal(m.Rcpt, []string{r.email}) {
				t.Errorf("the email for request %d went to %v (To %q), want %s", i, m.Rcpt, m.To, r.email)
			}
			if prev, ok := ids[m.MessageID]; ok && prev.Token != m.Token {
				t.Errorf("request %d: two emails with Message-ID %s carry different links", i, m.MessageID)
			}
			ids[m.MessageID] = m
		}
		if len(got) > len(ids) {
			resends += len(got) - len(ids)
		}
		switch {
		case !registered[r.email]:
			if len(got) > 0 {
				t.Errorf("request %d for unknown %s: %d emails, want none", i, r.email, len(got))
			}
			continue
		case status[i] == 204:
			answers[r.email]++
			if len(ids) != 1 || len(got) > 2 {
				t.Errorf("request %d for %s answered 204: %d emails with %d Message-IDs, want 1 (or 2 with one Message-ID after the crash)",
					i, r.email, len(got), len(ids))
			}
		default: // unanswered: the node may or may not have queued it
			if len(ids) > 1 || len(got) > 2 {
				t.Errorf("request %d for %s, unanswered: %d emails with %d Message-IDs, want at most one Message-ID",
					i, r.email, len(got), len(ids))
			}
			lateMails[r.email] += len(ids)
		}
		distinct[r.email] += len(ids)
		for id, m := range ids {
			if copies[id] != len(got) {
				t.Errorf("Message-ID %s arrived %d times, %d of them for request %d", id, copies[id], len(got), i)
			}
			duCheckToken(t, n2, r.email, m.Token)
		}
	}
	// The email the server accepted as the node died goes out again, with
	// its Message-ID; so may one in flight on each other worker, no more.
	if resends < 1 || resends > duWorkers {
		t.Errorf("%d emails arrived twice, want from 1 (the one the server accepted as the node died) "+
			"to %d (one per mail worker in flight)", resends, duWorkers)
	}
	for email := range registered {
		if distinct[email] != answers[email]+lateMails[email] {
			t.Errorf("%s: %d distinct emails, want %d (its 204s) + %d (requests the node died under but had queued)",
				email, distinct[email], answers[email], lateMails[email])
		}
	}
	for agent := range byAgent {
		var found bool
		for _, r := range reqs {
			found = found || r.agent == agent
		}
		if !found {
			t.Errorf("an email names a request %q that was never made", agent)
		}
	}

	// The outbox agrees: every reset email sent once, none dead.
	sent := 0
	for _, row := range duMailList(t, db, "") {
		switch {
		case row.Status == "sent" && row.Kind == "reset_link":
			sent++
			if row.MessageID != "" && copies[row.MessageID] == 0 {
				t.Errorf("outbox row %d to %s is sent with Message-ID %s, which never arrived", row.ID, row.To, row.MessageID)
			}
		case row.Status == "dead":
			t.Errorf("outbox row %d to %s is dead (%s), want every email delivered", row.ID, row.To, row.LastError)
		}
	}
	if sent != len(copies) {
		t.Errorf("outbox: %d reset emails sent, but %d distinct Message-IDs arrived", sent, len(copies))
	}
	duCheckLogs(t, tokens, n1, n2)
	t.Logf("%d emails (%d distinct, %d resent after the crash); killed at %v, queue drained %v after the restart (lease %s), %v in all",
		len(mails), len(copies), resends, killedAt.Round(time.Millisecond), drained.Round(time.Millisecond),
		duLeaseDuration(t), time.Since(begin).Round(time.Millisecond))
}

// duResetRows keeps the outbox rows of reset emails.
func duResetRows(rows []duRow) []duRow {
	var out []duRow
	for _, r := range rows {
		if r.Kind == "reset_link" || r.Kind == "reset_request" {
			out = append(out, r)
		}
	}
	return out
}

// duGrep returns the lines of s that contain sub.
func duGrep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
