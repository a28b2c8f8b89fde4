package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/captcha"
	"github.com/accountd/accountd/internal/mail"
	"github.com/accountd/accountd/internal/openapitest"
	"github.com/accountd/accountd/internal/password"
	"github.com/accountd/accountd/internal/postgres"
	"github.com/accountd/accountd/internal/ratelimit"
	"github.com/accountd/accountd/internal/secretbox"
	"github.com/accountd/accountd/internal/testdb"
	"github.com/accountd/accountd/internal/web"
)

// testPassword passes every password rule.
const testPassword = "Correct-Horse-7391"

// clock is a settable clock for the service and the worker.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward.
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// syncBuffer is a bytes.Buffer safe for concurrent writers (the log).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is a real accountd handler on a real database, served over HTTP on
// 127.0.0.1, with mail going to the development inbox in the database. The
// database is a SQLite file, or a fresh PostgreSQL schema when
// ACCOUNTD_TEST_POSTGRES_URL is set (the whole suite on both backends).
type env struct {
	t      *testing.T
	URL    string
	Store  account.Store
	Svc    *account.Service
	Clock  *clock
	Worker *mail.Worker
	Logs   *syncBuffer
}

// envOptions change the environment a test gets.
type envOptions struct {
	Config  account.Config
	Captcha captcha.Verifier
	Web     web.Config
	// WrapStore, when set, wraps the store the service uses (to inject
	// faults); env.Store stays the real one.
	WrapStore func(account.Store) account.Store
	// Hasher, when set, wraps the service's password hasher.
	Hasher func(account.Hasher) account.Hasher
	Store  account.Store // nil: a fresh one (openTestStore)
	Sender mail.Sender   // nil: the development inbox in Store
	// Listener, when set, is where the server listens, for a test that
	// needs its URL before the server starts (a redirect URI).
	Listener net.Listener
}

// newEnv starts a server. Argon2 runs with small parameters to keep the tests
// fast; the rules do not depend on them.
func newEnv(t *testing.T, opts ...func(*envOptions)) *env {
	t.Helper()
	o := envOptions{
		Config: account.Config{DashboardURL: "https://dash.example.com", ResetTokenTTL: time.Hour,
			ResetEmailsPerHour: 3, MailDomain: "example.com", Policy: password.DefaultPolicy(),
			Secrets: secretbox.NewRandom()},
		Captcha: captcha.None{},
	}
	for _, f := range opts {
		f(&o)
	}
	if o.Config.Limiter == nil {
		// The product's budgets hold whether or not the rate limits are
		// on: they share the limiter of the rate limits when there is one,
		// as in main.
		l := o.Web.Limiter
		if l == nil {
			l = productLimiter(t)
		}
		o.Config.Limiter = ratelimit.Budget{Limiter: l}
	}
	e := &env{t: t, Store: o.Store, Logs: &syncBuffer{},
		Clock: &clock{t: time.Date(2026, 11, 27, 13, 58, 10, 246406000, time.UTC)}}
	if e.Store == nil {
		e.Store = openTestStore(t)
	}
	if o.Sender == nil {
		o.Sender = mail.NewDevSender(e.Store)
	}
	log := slog.New(slog.NewTextHandler(e.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var hasher account.Hasher = password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16})
	if o.Hasher != nil {
		hasher = o.Hasher(hasher)
	}
	svcStore := e.Store
	if o.WrapStore != nil {
		svcStore = o.WrapStore(e.Store)
	}
	e.Svc = account.NewService(svcStore, hasher, o.Config, e.Clock.Now, nil)
	templates, err := mail.LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	e.Worker = mail.NewWorker(e.Store, e.Svc, templates, o.Sender,
		mail.WorkerConfig{From: "noreply@example.com", Now: e.Clock.Now, Logger: log})
	if o.Web.DevInbox == nil {
		o.Web.DevInbox = e.Store
	}
	if o.Web.MinPasswordLength == 0 {
		o.Web.MinPasswordLength = 8
	}
	h := web.New(e.Svc, o.Captcha, log, web.NewMetrics(prometheus.NewRegistry()), o.Web)
	// Every answer a test gets is checked against docs/openapi.yaml.
	srv := httptest.NewUnstartedServer(openapitest.Handler(t, h))
	if o.Listener != nil {
		srv.Listener.Close()
		srv.Listener = o.Listener
	}
	srv.Start()
	t.Cleanup(srv.Close)
	e.URL = srv.URL
	return e
}

// productLimiter is the limiter of the product's budgets when a test turns
// no rate limits on: Redis under a prefix of its own when
// ACCOUNTD_TEST_REDIS_URL is set, else memory.
func productLimiter(t *testing.T) ratelimit.Limiter {
	t.Helper()
	if os.Getenv("ACCOUNTD_TEST_REDIS_URL") == "" {
		return ratelimit.NewMemory(time.Now)
	}
	return testRedisLimiter(t)
}

// openTestStore returns a migrated store: PostgreSQL when
// ACCOUNTD_TEST_POSTGRES_URL is set, else a SQLite file.
func openTestStore(t *testing.T) account.Store {
	t.Helper()
	ctx := context.Background()
	if os.Getenv("ACCOUNTD_TEST_POSTGRES_URL") != "" {
		db, err := postgres.Open(ctx, testdb.PostgresSchema(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(db.Close)
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		return db.Store()
	}
	return testdb.SQLiteStore(t)
}

// response is what a request got back.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body as a JSON object.
func (r response) JSON(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", r.Body, err)
	}
	return m
}

// Code returns the "code" of a detail-shaped body, or of the first error of
// field in a field-shaped body.
func (r response) Code(t *testing.T, field string) string {
	t.Helper()
	m := r.JSON(t)
	if field == "" {
		c, _ := m["code"].(string)
		return c
	}
	list, _ := m[field].([]any)
	if len(list) == 0 {
		t.Fatalf("body %s has no errors on %q", r.Body, field)
	}
	c, _ := list[0].(map[string]any)["code"].(string)
	return c
}

// Codes returns the codes of every error on field, in order.
func (r response) Codes(t *testing.T, field string) []string {
	t.Helper()
	var out []string
	list, _ := r.JSON(t)[field].([]any)
	for _, e := range list {
		c, _ := e.(map[string]any)["code"].(string)
		out = append(out, c)
	}
	return out
}

// request sends a request with a raw body and headers.
func (e *env) request(method, path string, body string, header http.Header) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// do sends v as a JSON body (nil sends none), with the token when not "".
func (e *env) do(method, path string, v any, token string) response {
	e.t.Helper()
	h := http.Header{}
	body := ""
	if v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			e.t.Fatal(err)
		}
		body = string(b)
		h.Set("Content-Type", "application/json")
	}
	if token != "" {
		h.Set("Authorization", "Token "+token)
	}
	return e.request(method, path, body, h)
}

// form sends a form body.
func (e *env) form(path string, values url.Values) response {
	e.t.Helper()
	return e.request("POST", path, values.Encode(), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
}

type obj = map[string]any

// register creates an account and returns its token.
func (e *env) register(email, pw string) string {
	e.t.Helper()
	r := e.do("POST", "/api/v2/register/", obj{"email": email, "password": pw, "tos_accepted": true, "recaptcha": "x"}, "")
	if r.Status != 200 {
		e.t.Fatalf("register %s = %d %s, want 200", email, r.Status, r.Body)
	}
	return r.JSON(e.t)["token"].(string)
}

// login returns a new token, failing the test on anything but 200.
func (e *env) login(email, pw string) string {
	e.t.Helper()
	r := e.do("POST", "/api/v2/login/", obj{"email": email, "password": pw, "recaptcha": "x"}, "")
	if r.Status != 200 {
		e.t.Fatalf("login %s = %d %s, want 200", email, r.Status, r.Body)
	}
	return r.JSON(e.t)["token"].(string)
}

// deliver runs the mail worker until the queue has nothing due.
func (e *env) deliver() {
	e.t.Helper()
	for {
		n, err := e.Worker.RunOnce(context.Background())
		if err != nil {
			e.t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// activationSubject is the subject of the email every registration sends.
const activationSubject = "Confirm your email address"

// inbox returns the development inbox, newest first, without the activation
// emails that every registration sends: most tests count the other mail.
func (e *env) inbox() []account.DevMail {
	e.t.Helper()
	var out []account.DevMail
	for _, m := range e.allMail() {
		if m.Subject != activationSubject {
			out = append(out, m)
		}
	}
	return out
}

// allMail returns the whole development inbox, newest first.
func (e *env) allMail() []account.DevMail {
	e.t.Helper()
	m, err := e.Store.DevMails(context.Background(), 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

var resetLinkPattern = regexp.MustCompile(`/resetpassword/([0-9a-f]{64})/confirm/`)

// resetToken asks for a reset of email, delivers the mail and returns the
// token of the link in it.
func (e *env) resetToken(email string) string {
	e.t.Helper()
	before := len(e.inbox())
	if r := e.do("POST", "/api/v2/resetpassword/", obj{"email": email, "recaptcha": "x"}, ""); r.Status != 204 {
		e.t.Fatalf("reset request = %d %s, want 204", r.Status, r.Body)
	}
	e.deliver()
	mails := e.inbox()
	if len(mails) != before+1 {
		e.t.Fatalf("inbox has %d mails after a reset request, want %d", len(mails), before+1)
	}
	m := resetLinkPattern.FindStringSubmatch(mails[0].Text)
	if m == nil {
		e.t.Fatalf("reset mail text has no confirm link:\n%s", mails[0].Text)
	}
	return m[1]
}

// The sf helpers serve the tests of the account surface of docs/api.md#change-of-address to docs/api.md#api-keys
// over real HTTP (change of address, activation, deletion and API keys, with
// their side effects), in the _test.go file of each resource.

var (
	sfTokenPattern = regexp.MustCompile(`^[a-z0-9]{40}$`)
	sfTimePattern  = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d$`)
)

// sfMails returns the delivered mails (activation included) to to with the
// subject, newest first.
func sfMails(e *env, to, subject string) []account.DevMail {
	e.t.Helper()
	var out []account.DevMail
	for _, m := range e.allMail() {
		if m.To == to && m.Subject == subject {
			out = append(out, m)
		}
	}
	return out
}

// sfWantField fails unless r is a 400 whose first error on field has code.
func sfWantField(t *testing.T, what string, r response, field, code string) {
	t.Helper()
	if r.Status != http.StatusBadRequest {
		t.Errorf("%s = %d %s, want 400 with %s/%s", what, r.Status, r.Body, field, code)
		return
	}
	if got := r.Codes(t, field); len(got) == 0 || got[0] != code {
		t.Errorf("%s: codes on %q = %v (body %s), want [%s]", what, field, got, r.Body, code)
	}
}

// sfWantDetail fails unless r has the status and exactly the body
// {"detail": detail, "code": code} ("" detail: any non-empty one).
func sfWantDetail(t *testing.T, what string, r response, status int, code, detail string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("%s = %d %s, want %d %s", what, r.Status, r.Body, status, code)
		return
	}
	m := r.JSON(t)
	d, _ := m["detail"].(string)
	if len(m) != 2 || m["code"] != code || d == "" || detail != "" && d != detail {
		t.Errorf("%s: body = %s, want {\"detail\": %q, \"code\": %q}", what, r.Body, detail, code)
	}
}

// sfWantStatus fails unless r has the status.
func sfWantStatus(t *testing.T, what string, r response, status int) {
	t.Helper()
	if r.Status != status {
		t.Errorf("%s = %d %s, want %d", what, r.Status, r.Body, status)
	}
}

func sfProfile(t *testing.T, e *env, token string) map[string]any {
	t.Helper()
	r := e.do("GET", "/api/v2/profile/", nil, token)
	if r.Status != 200 {
		t.Fatalf("GET profile = %d %s, want 200", r.Status, r.Body)
	}
	return r.JSON(t)
}

func sfLoginStatus(e *env, email, pw string) int {
	e.t.Helper()
	return e.do("POST", "/api/v2/login/", obj{"email": email, "password": pw, "recaptcha": "x"}, "").Status
}
