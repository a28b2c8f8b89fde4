package systemtest

// Several accountd nodes behind one load balancer: two real processes on one
// PostgreSQL database and one Redis, mailing one in-process SMTP server. What
// one node does, the other must see at once (tokens, reset tokens, rate
// limit counters), and every queued email goes out exactly once whichever
// node's worker picks it up. pgoutage_test.go cuts the database under them.

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/accountd/accountd/internal/smtptest"
	"github.com/accountd/accountd/internal/testdb"
	"github.com/accountd/accountd/internal/testenv"
)

// mnDashboard is the dashboard URL of every node here.
const mnDashboard = "https://dash.example.com"

var mnConfirmLink = regexp.MustCompile(`https://dash\.example\.com/resetpassword/([0-9a-f]{64})/confirm/`)

// Each test has a Redis logical database of its own, flushed at its start and
// end (accountd's keys carry the fixed prefix accountd:rl:, so a prefix of
// the test's own is not possible).
const (
	mnRedisForwardAuth = 10
	mnRedisReset       = 11
	mnRedisRevocation  = 12
	mnRedisExactly     = 13
	mnRedisIPLimit     = 14
	mnRedisOutage      = 15
)

// mnIPSeq numbers the client addresses of mnIP.
var mnIPSeq atomic.Uint32

// mnIP returns a client address not used before in this run. The nodes
// trust 127.0.0.1 as a proxy, so a request carrying it in X-Forwarded-For
// counts as that client's: the per-IP limits (register 10/hour, login
// 20/min, reset 10/min) then never stand in the way of a test that is not
// about them, as behind a real load balancer with many clients.
func mnIP() string {
	n := mnIPSeq.Add(1)
	return fmt.Sprintf("10.%d.%d.%d", byte(n>>16), byte(n>>8), byte(n))
}

// mnCall is n.Call from a fresh client address.
func mnCall(n *Node, method, path, token string, body any) Answer {
	return n.Call(method, path, token, body, "X-Forwarded-For", mnIP())
}

// mnToken posts body from a fresh client address and returns the token of
// the 200 answer, failing the test otherwise.
func mnToken(t *testing.T, n *Node, path string, body any) string {
	t.Helper()
	a := mnCall(n, "POST", path, "", body)
	tok, _ := a.Body["token"].(string)
	if a.Status != 200 || tok == "" {
		t.Fatalf("POST %s on %s = %d %s, want 200 with a token", path, n.API, a.Status, a.Raw)
	}
	return tok
}

// mnRedis returns the URL of logical database db of the Redis server of
// ACCOUNTD_TEST_REDIS_URL, flushed now and when the test ends, and a client
// of it. Without the variable it skips the test, or fails it when
// ACCOUNTD_TEST_REQUIRE is "all" or names "redis".
func mnRedis(t *testing.T, db int) (string, *redis.Client) {
	t.Helper()
	raw := os.Getenv("ACCOUNTD_TEST_REDIS_URL")
	if raw == "" {
		testenv.Skip(t, testenv.Redis, "ACCOUNTD_TEST_REDIS_URL is not set")
	}
	opt, err := redis.ParseURL(raw)
	u, uerr := url.Parse(raw)
	if err != nil || uerr != nil {
		t.Fatal("ACCOUNTD_TEST_REDIS_URL is not a valid redis:// URL")
	}
	opt.DB = db
	c := redis.NewClient(opt)
	if err := c.FlushDB(context.Background()).Err(); err != nil {
		c.Close()
		t.Fatalf("FLUSHDB on Redis database %d: %v", db, err)
	}
	t.Cleanup(func() {
		if err := c.FlushDB(context.Background()).Err(); err != nil {
			t.Errorf("FLUSHDB on Redis database %d at the end: %v", db, err)
		}
		c.Close()
	})
	u.Path, u.RawPath = "/"+strconv.Itoa(db), ""
	return u.String(), c
}

// mnMailbox collects what the test SMTP server receives. It drains the
// server's channel at once: that channel is small, and a full one would hold
// up the nodes' workers in the middle of DATA.
type mnMailbox struct {
	mu     sync.Mutex
	msgs   []smtptest.Received
	parsed []mnMail // msgs[:len(parsed)] taken apart; only the test goroutine parses
}

func mnCollect(t *testing.T, srv *smtptest.Server) *mnMailbox {
	mb := &mnMailbox{}
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	go func() {
		for {
			select {
			case m := <-srv.Msgs:
				mb.mu.Lock()
				mb.msgs = append(mb.msgs, m)
				mb.mu.Unlock()
			case <-done:
				return
			}
		}
	}()
	return mb
}

// Len is how many messages were received so far.
func (mb *mnMailbox) Len() int {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return len(mb.msgs)
}

// All returns every message received so far, taken apart.
func (mb *mnMailbox) All(t *testing.T) []mnMail {
	t.Helper()
	mb.mu.Lock()
	news := slices.Clone(mb.msgs[len(mb.parsed):])
	mb.mu.Unlock()
	for _, r := range news {
		m := mnParse(t, r)
		mb.mu.Lock()
		mb.parsed = append(mb.parsed, m)
		mb.mu.Unlock()
	}
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return slices.Clone(mb.parsed)
}

// Resets returns the reset emails (those with a confirm link) received so
// far. Other emails (the activation email of a registration, notices) are
// left out.
func (mb *mnMailbox) Resets(t *testing.T) []mnMail {
	t.Helper()
	var out []mnMail
	for _, m := range mb.All(t) {
		if m.Token != "" {
			out = append(out, m)
		}
	}
	return out
}

// mnMail is a received email taken apart.
type mnMail struct {
	To        string // the envelope recipient
	MessageID string
	Subject   string
	Token     string // the reset token of a reset email's confirm link, else ""
}

func mnParse(t *testing.T, r smtptest.Received) mnMail {
	t.Helper()
	p := smtptest.Parse(t, r.Data)
	m := mnMail{MessageID: p.Header.Get("Message-Id"), Subject: p.Header.Get("Subject")}
	if len(r.To) != 1 {
		t.Errorf("an email went to %v, want exactly one recipient", r.To)
	} else {
		m.To = r.To[0]
	}
	if l := mnConfirmLink.FindStringSubmatch(p.Parts["text/plain"]); l != nil {
		m.Token = l[1]
		if !strings.Contains(p.Parts["text/html"], l[0]) {
			t.Errorf("the HTML part of the reset email to %s lacks the link of its text part", m.To)
		}
	}
	return m
}

// mnCluster is two nodes on one database and one Redis, with their mail.
type mnCluster struct {
	A, B  *Node
	SMTP  *smtptest.Server
	Mail  *mnMailbox
	DB    *pgx.Conn // straight to the database, never through Proxy
	Redis *redis.Client
	Proxy *Proxy // in front of PostgreSQL for the nodes; nil unless asked
	// RedisURL and DBURL are what the nodes were given.
	RedisURL, DBURL string
}

type mnOptions struct {
	RedisDB    int
	Concurrent bool // start both nodes at once: concurrent migration
	Proxy      bool // the nodes reach PostgreSQL through a Proxy
	// Env adds settings to both nodes'.
	Env map[string]string
}

// mnStart starts two nodes on a fresh PostgreSQL database and the Redis
// database o.RedisDB, mailing one SMTP server.
func mnStart(t *testing.T, o mnOptions) *mnCluster {
	t.Helper()
	redisURL, rc := mnRedis(t, o.RedisDB)
	pgURL := testdb.PostgresDatabase(t)
	c := &mnCluster{Redis: rc}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		t.Fatalf("connect to the test database: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	c.DB = conn
	nodeURL := pgURL
	if o.Proxy {
		hp := hostPort(t, pgURL)
		c.Proxy = StartProxy(t, hp)
		nodeURL = strings.Replace(pgURL, hp, c.Proxy.Addr, 1)
	}
	c.SMTP = smtptest.Start(t, smtptest.Config{})
	c.Mail = mnCollect(t, c.SMTP)
	env := map[string]string{
		"ACCOUNTD_DATABASE_URL":    nodeURL,
		"ACCOUNTD_REDIS_URL":       redisURL,
		"ACCOUNTD_SMTP_URL":        c.SMTP.URL(""),
		"ACCOUNTD_DASHBOARD_URL":   mnDashboard,
		"ACCOUNTD_TRUSTED_PROXIES": "127.0.0.1/32",
	}
	maps.Copy(env, o.Env)
	c.RedisURL, c.DBURL = redisURL, nodeURL
	if !o.Concurrent {
		c.A = StartNode(t, env)
		c.B = StartNode(t, env)
		return c
	}
	// StartNode fails the test from its goroutine if a node does not come
	// up (a runtime.Goexit there, which still runs wg.Done).
	nodes := make([]*Node, 2)
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Go(func() { nodes[i] = StartNode(t, env) })
	}
	wg.Wait()
	if nodes[0] == nil || nodes[1] == nil {
		t.Fatal("a node started concurrently with the other did not come up")
	}
	c.A, c.B = nodes[0], nodes[1]
	return c
}

// count runs a count(*) query on the database directly.
func (c *mnCluster) count(t *testing.T, query string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var n int
	if err := c.DB.QueryRow(ctx, query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// mnRegister registers email on n and returns the token.
func mnRegister(t *testing.T, n *Node, email, pw string) string {
	t.Helper()
	return mnToken(t, n, "/api/v2/register/", map[string]any{"email": email, "password": pw, "tos_accepted": true})
}

// mnWantStatus checks a status (and a code, if code is not "").
func mnWantStatus(t *testing.T, what string, a Answer, status int, code string) {
	t.Helper()
	if a.Status != status || code != "" && a.Body["code"] != code {
		t.Errorf("%s = %d %s, want %d %s", what, a.Status, a.Raw, status, code)
	}
}

// mnWantRevoked checks that tok is refused as an invalid token by node.
func mnWantRevoked(t *testing.T, what string, n *Node, tok string) {
	t.Helper()
	a := mnCall(n, "GET", "/api/v2/profile/", tok, nil)
	mnWantStatus(t, what, a, 401, "authentication_failed")
	if a.Status == 401 && a.Header.Get("WWW-Authenticate") != "Token" {
		t.Errorf("%s: WWW-Authenticate = %q, want Token", what, a.Header.Get("WWW-Authenticate"))
	}
}

// mnWantProfile checks that tok is accepted by node as email's.
func mnWantProfile(t *testing.T, what string, n *Node, tok, email string) {
	t.Helper()
	a := mnCall(n, "GET", "/api/v2/profile/", tok, nil)
	if a.Status != 200 || a.Body["email"] != email {
		t.Errorf("%s = %d %s, want 200 for %s", what, a.Status, a.Raw, email)
	}
}

// TestMultiNodeResetAcrossNodes: a reset asked for on one node is completed
// on the other, and what it revokes is revoked on both at once.
func TestMultiNodeResetAcrossNodes(t *testing.T) {
	c := mnStart(t, mnOptions{RedisDB: mnRedisReset})
	const email, oldPW, newPW = "ada@example.com", "Correct-Horse-7391", "Battery-Staple-5501"

	regTok := mnRegister(t, c.A, email, oldPW)
	mnWantProfile(t, "profile on A with the register token", c.A, regTok, email)
	mnWantStatus(t, "reset request on A", mnCall(c.A, "POST", "/api/v2/resetpassword/", "", map[string]any{"email": email}), 204, "")

	var reset mnMail
	Eventually(t, 30*time.Second, "the reset email arrived at the SMTP server", func() bool {
		if r := c.Mail.Resets(t); len(r) > 0 {
			reset = r[0]
			return true
		}
		return false
	})
	if reset.To != email || reset.MessageID == "" {
		t.Errorf("reset email to %q with Message-ID %q, want to %s with a Message-ID", reset.To, reset.MessageID, email)
	}

	newTok := mnToken(t, c.B, "/api/v2/resetpassword/complete/", map[string]any{"password": newPW, "password_reset_token": reset.Token})
	// Right away, no waiting: neither node may have cached the old token.
	mnWantRevoked(t, "profile on A with the register token after the reset on B", c.A, regTok)
	mnWantRevoked(t, "profile on B with the register token after the reset on B", c.B, regTok)
	mnWantProfile(t, "profile on A with the token of the reset", c.A, newTok, email)
	mnWantProfile(t, "profile on B with the token of the reset", c.B, newTok, email)

	mnWantStatus(t, "complete on A with the used reset token",
		mnCall(c.A, "POST", "/api/v2/resetpassword/complete/", "", map[string]any{"password": "Another-Pass-8812", "password_reset_token": reset.Token}),
		400, "")
	mnWantStatus(t, "login on A with the old password",
		mnCall(c.A, "POST", "/api/v2/login/", "", map[string]any{"email": email, "password": oldPW}), 400, "")
	mnToken(t, c.A, "/api/v2/login/", map[string]any{"email": email, "password": newPW})

	Eventually(t, 30*time.Second, "the password changed notice arrived", func() bool {
		for _, m := range c.Mail.All(t) {
			if m.To == email && m.Token == "" && strings.Contains(strings.ToLower(m.Subject), "password") &&
				strings.Contains(strings.ToLower(m.Subject), "changed") {
				return true
			}
		}
		return false
	})
}

// TestMultiNodeTokenRevocation: logging out or changing the password on one
// node revokes tokens on the other at once.
func TestMultiNodeTokenRevocation(t *testing.T) {
	c := mnStart(t, mnOptions{RedisDB: mnRedisRevocation})
	const email, oldPW, newPW = "grace@example.com", "Quiet-Lantern-4821", "Silver-Harbor-9034"

	regTok := mnRegister(t, c.B, email, oldPW)
	login := map[string]any{"email": email, "password": oldPW}

	t1 := mnToken(t, c.A, "/api/v2/login/", login)
	mnWantProfile(t, "profile on B with a token of A", c.B, t1, email)
	mnWantStatus(t, "logout on B with a token of A", mnCall(c.B, "POST", "/api/v2/logout/", t1, nil), 204, "")
	mnWantRevoked(t, "profile on A right after logout on B", c.A, t1)
	mnWantRevoked(t, "profile on B right after logout on B", c.B, t1)

	t2 := mnToken(t, c.A, "/api/v2/login/", login)
	t3 := mnToken(t, c.B, "/api/v2/login/", login)
	t4 := mnToken(t, c.A, "/api/v2/login/", login)
	for _, tok := range []string{t2, t3, t4, regTok} {
		mnWantProfile(t, "profile on B before the password change", c.B, tok, email)
	}
	mnWantStatus(t, "change password on A",
		mnCall(c.A, "POST", "/api/v2/changepassword/", t2, map[string]any{"password": oldPW, "new_password": newPW}), 204, "")
	mnWantRevoked(t, "profile on B with a token of B after the change on A", c.B, t3)
	mnWantRevoked(t, "profile on B with another token of A after the change on A", c.B, t4)
	mnWantRevoked(t, "profile on B with the register token after the change on A", c.B, regTok)
	mnWantRevoked(t, "profile on A with a token of B after the change on A", c.A, t3)
	mnWantProfile(t, "profile on B with the token that changed the password", c.B, t2, email)

	mnWantStatus(t, "login on B with the old password",
		mnCall(c.B, "POST", "/api/v2/login/", "", login), 400, "")
	mnToken(t, c.B, "/api/v2/login/", map[string]any{"email": email, "password": newPW})
}

// TestMultiNodeForwardAuthCache: forward auth keeps its answers for a minute
// here, yet a logout on the other node, or a suspension by the CLI, ends
// them within moments: the news goes through Redis.
func TestMultiNodeForwardAuthCache(t *testing.T) {
	c := mnStart(t, mnOptions{RedisDB: mnRedisForwardAuth, Env: map[string]string{"ACCOUNTD_FORWARD_AUTH_CACHE": "1m"}})
	const email, pw = "grace@example.com", "Quiet-Lantern-4821"
	mnRegister(t, c.B, email, pw)
	login := map[string]any{"email": email, "password": pw}

	tok := mnToken(t, c.A, "/api/v2/login/", login)
	for range 2 { // the second answer comes from A's cache
		mnWantStatus(t, "forward auth on A", mnCall(c.A, "GET", "/auth/verify", tok, nil), 204, "")
	}
	mnWantStatus(t, "logout on B", mnCall(c.B, "POST", "/api/v2/logout/", tok, nil), 204, "")
	mnWantVerifyBecomes(t, "forward auth on A after the logout on B", c.A, tok, 401)

	tok = mnToken(t, c.A, "/api/v2/login/", login)
	mnWantStatus(t, "forward auth on B", mnCall(c.B, "GET", "/auth/verify", tok, nil), 204, "")
	cmd := exec.Command(binary, "user", "suspend", "-reason", "abuse_report", email)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"ACCOUNTD_DATABASE_URL=" + c.DBURL, "ACCOUNTD_REDIS_URL=" + c.RedisURL,
		"ACCOUNTD_DASHBOARD_URL=" + mnDashboard, "ACCOUNTD_SECRET_KEY=" + testSecretKey}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("accountd user suspend: %v\n%s", err, out)
	}
	mnWantVerifyBecomes(t, "forward auth on B after accountd user suspend", c.B, tok, 403)

	// Listening to Redis does not hold up a graceful shutdown.
	for _, n := range []*Node{c.A, c.B} {
		n.Stop()
		if code := duExitCode(n); code != 0 {
			t.Errorf("a node exited with %d after SIGTERM, want 0; log:\n%s", code, n.Log)
		}
	}
}

// mnWantVerifyBecomes asks n's forward auth about tok until it answers
// status, failing after 10 s: the news of a change crosses Redis
// asynchronously, and the nodes' cache (1 m) could not explain a change
// within that time.
func mnWantVerifyBecomes(t *testing.T, what string, n *Node, tok string, status int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	poll := time.NewTicker(100 * time.Millisecond)
	defer poll.Stop()
	for {
		a := mnCall(n, "GET", "/auth/verify", tok, nil)
		if a.Status == status {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %d after 10 s, want %d", what, a.Status, status)
		}
		<-poll.C
	}
}

// mnParallel runs job(0..n-1) on workers goroutines.
func mnParallel(n, workers int, job func(i int)) {
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				job(i)
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
}

var mnSentCount = regexp.MustCompile(`(?m)^accountd_mail_sent_latency_seconds_count\{kind="reset_link"\} (\d+)$`)

// mnResetsSent is how many reset emails node says it sent.
func mnResetsSent(n *Node) int {
	m := mnSentCount.FindStringSubmatch(n.Metrics())
	if m == nil {
		return 0
	}
	v, _ := strconv.Atoi(m[1])
	return v
}

// TestMultiNodeResetEmailsExactlyOnce: both nodes' workers take from one
// outbox; every queued reset goes out exactly once, none for an unknown
// address, none twice.
func TestMultiNodeResetEmailsExactlyOnce(t *testing.T) {
	c := mnStart(t, mnOptions{RedisDB: mnRedisExactly, Concurrent: true})
	nodes := []*Node{c.A, c.B}
	const accounts, perAccount, unknown = 100, 2, 100
	const pw = "Violet-Meadow-6120"
	known := make([]string, accounts)
	for i := range known {
		known[i] = fmt.Sprintf("user%03d@example.com", i)
	}
	start := time.Now()
	mnParallel(accounts, 4, func(i int) {
		a := mnCall(nodes[i%2], "POST", "/api/v2/register/", "", map[string]any{"email": known[i], "password": pw, "tos_accepted": true})
		if a.Status != 200 {
			t.Errorf("register %s = %d %s, want 200", known[i], a.Status, a.Raw)
		}
	})
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("registered %d accounts in %v", accounts, time.Since(start))

	// The requests in a shuffled order: job j < 200 is the (j/100+1)th
	// request for account j%100, the rest are for unknown addresses.
	total := accounts*perAccount + unknown
	start = time.Now()
	mnParallel(total, 8, func(j int) {
		email := fmt.Sprintf("nobody%03d@example.com", j-accounts*perAccount)
		if j < accounts*perAccount {
			email = known[j%accounts]
		}
		a := mnCall(nodes[j%2], "POST", "/api/v2/resetpassword/", "", map[string]any{"email": email})
		if a.Status != 204 {
			t.Errorf("reset request %d for %s = %d %s, want 204", j, email, a.Status, a.Raw)
		}
	})
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("%d reset requests answered in %v", total, time.Since(start))

	want := accounts * perAccount
	Eventually(t, 60*time.Second, fmt.Sprintf("%d reset emails arrived", want), func() bool { return len(c.Mail.Resets(t)) >= want })
	Eventually(t, 30*time.Second, "no mail queued in the outbox", func() bool {
		return c.count(t, `SELECT count(*) FROM mail_outbox WHERE status = 'queued'`) == 0
	})
	// Every row is now sent or suppressed; a sent row was accepted by the
	// SMTP server before it was marked, so the mailbox has them all. (Sent
	// rows include the activation email of each registration.)
	sent := c.count(t, `SELECT count(*) FROM mail_outbox WHERE status = 'sent'`)
	sentResets := c.count(t, `SELECT count(*) FROM mail_outbox WHERE status = 'sent' AND kind = 'reset_link'`)
	Eventually(t, 10*time.Second, fmt.Sprintf("the mailbox holds the %d emails the outbox says were sent", sent),
		func() bool { return c.Mail.Len() >= sent })
	t.Logf("all mail out %v after the last request; outbox: %d sent, %d of them reset emails", time.Since(start), sent, sentResets)
	if sentResets != want {
		t.Errorf("outbox reset emails sent = %d, want %d", sentResets, want)
	}

	resets := map[string]int{}
	ids := map[string]int{}
	tokens := map[string]bool{}
	registered := map[string]bool{}
	for _, e := range known {
		registered[e] = true
	}
	all := c.Mail.All(t)
	for _, m := range all {
		ids[m.MessageID]++
		switch {
		case !registered[m.To]:
			t.Errorf("an email (%q) went to %s, not a registered address", m.Subject, m.To)
		case m.Token == "":
			// another kind of email, such as the activation email
		case tokens[m.Token]:
			t.Errorf("the reset token of an email to %s was sent twice", m.To)
		default:
			resets[m.To]++
		}
		tokens[m.Token] = true
	}
	if len(all) != sent {
		t.Errorf("emails received = %d, want the %d the outbox marked sent", len(all), sent)
	}
	for _, e := range known {
		if resets[e] != perAccount {
			t.Errorf("reset emails to %s = %d, want %d", e, resets[e], perAccount)
		}
	}
	for id, n := range ids {
		if id == "" {
			t.Errorf("%d emails without a Message-ID", n)
		} else if n > 1 {
			t.Errorf("Message-ID %s received %d times, want once", id, n)
		}
	}

	// Which worker sent what: not asserted, both may not have had a share.
	var byNode []int
	Eventually(t, 10*time.Second, "the nodes' metrics count every reset email sent", func() bool {
		byNode = []int{mnResetsSent(c.A), mnResetsSent(c.B)}
		return byNode[0]+byNode[1] >= want
	})
	if byNode[0]+byNode[1] != want {
		t.Errorf("reset emails sent by A + B (metrics) = %d + %d, want %d in all", byNode[0], byNode[1], want)
	}
	t.Logf("reset emails sent: node A %d, node B %d", byNode[0], byNode[1])
}

// TestMultiNodeSharedIPLimit: the per-IP reset request limit (10/min) is one
// counter in Redis for both nodes.
func TestMultiNodeSharedIPLimit(t *testing.T) {
	c := mnStart(t, mnOptions{RedisDB: mnRedisIPLimit, Concurrent: true})
	const ip = "203.0.113.9"
	body := map[string]any{"email": "someone@example.com"}
	var statuses []int
	for i := range 12 {
		n, name := c.A, "A"
		if i >= 6 {
			n, name = c.B, "B"
		}
		a := n.Call("POST", "/api/v2/resetpassword/", "", body, "X-Forwarded-For", ip)
		statuses = append(statuses, a.Status)
		switch {
		case i < 10 && a.Status != 204:
			t.Errorf("reset request %d (on %s) from %s = %d %s, want 204", i+1, name, ip, a.Status, a.Raw)
		case i >= 10:
			mnWantStatus(t, fmt.Sprintf("reset request %d (on %s) from %s", i+1, name, ip), a, 429, "throttled")
			ra := a.Header.Get("Retry-After")
			if s, err := strconv.Atoi(ra); err != nil || s < 1 || s > 60 {
				t.Errorf("reset request %d: Retry-After = %q, want 1 to 60 seconds", i+1, ra)
			} else if d, _ := a.Body["detail"].(string); !strings.Contains(d, " "+ra+" second") {
				t.Errorf("reset request %d: detail %q does not name the Retry-After of %s seconds", i+1, d, ra)
			}
		}
	}
	t.Logf("statuses from %s: A %v, B %v", ip, statuses[:6], statuses[6:])
	for _, n := range []*Node{c.A, c.B} {
		a := n.Call("POST", "/api/v2/resetpassword/", "", body, "X-Forwarded-For", "203.0.113.10")
		mnWantStatus(t, "reset request from another client on "+n.API, a, 204, "")
	}
	n, err := c.Redis.Exists(context.Background(), "accountd:rl:reset:ip:"+ip).Result()
	if err != nil || n != 1 {
		t.Errorf("Redis key accountd:rl:reset:ip:%s exists = %d, %v; want 1", ip, n, err)
	}
	for _, n := range []*Node{c.A, c.B} {
		if m := n.Metrics(); !strings.Contains(m, "\naccountd_ratelimit_redis_degraded 0\n") {
			t.Errorf("node %s: want accountd_ratelimit_redis_degraded 0 in its metrics", n.API)
		}
	}
}
