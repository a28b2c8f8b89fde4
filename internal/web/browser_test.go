package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/accountd/accountd/internal/captcha"
	"github.com/accountd/accountd/internal/testenv"
	"github.com/accountd/accountd/internal/web"
)

// The browser tests drive the dashboard pages of docs/api.md#dashboard-pages in a real headless
// Chromium: real clicks and typing, waits on DOM conditions only.

// brTimeout bounds each browser test, browser start included. It is a
// safety net against a hung browser, not a speed requirement: under -race on
// two busy cores a start alone took over 20 s.
const brTimeout = 90 * time.Second

// brNewPassword passes every password rule and differs from testPassword.
const brNewPassword = "Battery-Staple-5501"

// brRequireChromium returns the path of Chromium. Without it the test is
// skipped, unless ACCOUNTD_TEST_REQUIRE is "all" or names "chromium": then
// it fails, so CI cannot pass by skipping.
func brRequireChromium(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if _, serr := os.Stat("/usr/bin/chromium"); serr == nil {
			path, err = "/usr/bin/chromium", nil
		}
	}
	if err == nil {
		return path
	}
	testenv.Skip(t, testenv.Chromium, "chromium not found")
	return ""
}

// brBrowser is one headless Chromium with one tab, for one test.
type brBrowser struct {
	t    *testing.T
	ctx  context.Context
	base string // the server's URL, for page (browser_account_test.go)

	mu       sync.Mutex
	problems []string // script exceptions and console errors of the pages
	expected []string // parts of console errors a test provokes on purpose
}

// expectConsole lets console errors containing part pass: a test that
// provokes them on purpose (a refused cross-origin call) says so.
func (b *brBrowser) expectConsole(part string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.expected = append(b.expected, part)
}

// brOpen starts Chromium for t; it is closed when t ends. Exceptions and
// console errors (other than failed requests, which the tests provoke on
// purpose) fail the test.
func brOpen(t *testing.T) *brBrowser {
	t.Helper()
	return brOpenFor(t, brTimeout)
}

// brOpenFor is brOpen with another bound, for a test that walks many pages.
func brOpenFor(t *testing.T, timeout time.Duration) *brBrowser {
	t.Helper()
	path := brRequireChromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	allocCtx, allocCancel := chromedp.NewExecAllocator(ctx, opts...)
	b := &brBrowser{t: t}
	var tabCancel context.CancelFunc
	b.ctx, tabCancel = chromedp.NewContext(allocCtx, chromedp.WithListener(b.listen))
	t.Cleanup(func() {
		for _, p := range b.consoleProblems() {
			t.Errorf("page console: %s", p)
		}
		tabCancel()
		allocCancel() // waits for Chromium to exit before TempDir is removed
		cancel()
	})
	b.do("start chromium", chromedp.EmulateViewport(1000, 800))
	return b
}

// listen runs in the tab's event loop: it only records.
func (b *brBrowser) listen(ev any) {
	var p string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		p = fmt.Sprintf("exception %s at %s:%d", d.Text, d.URL, d.LineNumber+1)
		if d.Exception != nil && d.Exception.Description != "" {
			p += ": " + d.Exception.Description
		}
	case *log.EventEntryAdded:
		if e := ev.Entry; e.Level == log.EntryLevelError && e.Source != log.EntrySourceNetwork {
			p = fmt.Sprintf("%s %s: %s (%s)", e.Source, e.Level, e.Text, e.URL)
		}
	}
	if p != "" {
		b.mu.Lock()
		b.problems = append(b.problems, p)
		b.mu.Unlock()
	}
}

func (b *brBrowser) consoleProblems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, p := range b.problems {
		if !slices.ContainsFunc(b.expected, func(part string) bool { return strings.Contains(p, part) }) {
			out = append(out, p)
		}
	}
	return out
}

// do runs steps, failing the test with what was being done.
func (b *brBrowser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// brRun runs one action that returns a value, failing the test on error.
func brRun[T any](b *brBrowser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// text returns the rendered text of the element with id.
func (b *brBrowser) text(id string) string {
	b.t.Helper()
	return brRun(b, "text of #"+id, chromedp.Text(chromedp.ID(id), chromedp.NodeReady))
}

// path returns the path of the page's address.
func (b *brBrowser) path() string {
	b.t.Helper()
	loc := brRun(b, "location", chromedp.Location())
	u, err := url.Parse(loc)
	if err != nil {
		b.t.Fatalf("location %q: %v", loc, err)
	}
	return u.Path
}

// shot saves a full-page PNG, 1000 pixels wide, to docs/img/name when
// ACCOUNTD_SCREENSHOTS is set, so that ordinary runs write nothing to the
// repository.
func (b *brBrowser) shot(name string) {
	b.t.Helper()
	if os.Getenv("ACCOUNTD_SCREENSHOTS") == "" {
		return
	}
	// A viewport as tall as the page, rather than FullScreenshot: Chromium
	// paints an out-of-process iframe (the dev inbox's sandboxed HTML part)
	// only inside the viewport.
	// "complete" also waits for the frames (the HTML part of a mail).
	brRun(b, "page loaded", chromedp.Poll[bool](`document.readyState === "complete"`))
	h := brRun(b, "page height", chromedp.Evaluate[int64](`Math.ceil(document.documentElement.scrollHeight)`))
	b.do("fit the viewport to the page", chromedp.EmulateViewport(1000, max(h, 800)))
	png := brRun(b, "screenshot "+name, chromedp.CaptureScreenshot())
	b.do("restore the viewport", chromedp.EmulateViewport(1000, 800))
	dir := filepath.Join("..", "..", "docs", "img")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// brLocal turns a link of a mail, which points at the configured dashboard
// (https://dash.example.com in the tests, never the request's host), into
// the same path on the test server.
func brLocal(t *testing.T, e *env, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Scheme != "https" || u.Host != "dash.example.com" {
		t.Fatalf("mail link %q does not point at the configured dashboard https://dash.example.com (%v)", link, err)
	}
	return e.URL + u.EscapedPath()
}

// brCheck asks the API whether a reset token is still usable.
func brCheck(e *env, token string) response {
	e.t.Helper()
	return e.do("POST", "/api/v2/resetpassword/check/", obj{"password_reset_token": token}, "")
}

// brConfirmURL and brCancelURL are the pages a reset mail links to.
func brConfirmURL(e *env, token string) string {
	return e.URL + "/resetpassword/" + token + "/confirm/"
}

func brCancelURL(e *env, token string) string {
	return e.URL + "/resetpassword/" + token + "/cancel/"
}

// brDoneOrError matches the done page, or any error the confirm page shows,
// so a failed submit ends the wait at once with its message.
const brDoneOrError = `main > p.notice[role=status], #confirm .error:not(:empty)`

// brMailLinks are the hrefs of the "Links in this message" list of a dev
// inbox message.
const brMailLinks = `[...document.querySelectorAll("h2")]
	.filter(h => h.textContent.trim() === "Links in this message")
	.flatMap(h => [...h.nextElementSibling.querySelectorAll("a")].map(a => a.getAttribute("href")))`

func TestBrowserResetFlow(t *testing.T) {
	e := newEnv(t)
	const email = "ada@example.com"
	e.register(email, testPassword)
	b := brOpen(t)

	b.do("open the ask page", chromedp.Navigate(e.URL+"/resetpassword/"), chromedp.WaitVisible(chromedp.ID("email")))
	b.shot("reset-ask.png")
	// Keyboard only: Tab to the field, type, Enter submits the form.
	b.do("tab to the email field", chromedp.KeyEvent("\t"))
	if id := brRun(b, "focused element", chromedp.Evaluate[string](`document.activeElement.id`)); id != "email" {
		t.Fatalf("focus after one Tab = #%s, want #email", id)
	}
	b.do("type the email and press Enter", chromedp.KeyEvent(email+"\r"), chromedp.WaitVisible(chromedp.ID("form-success")))
	if got := b.text("form-success"); !strings.Contains(got, "a reset link is on its way") {
		t.Errorf("success message = %q, want it to say a link is on its way", got)
	}
	b.do("the form is hidden after success", chromedp.WaitNotVisible(chromedp.ID("ask-form")))
	b.shot("reset-ask-sent.png")

	e.deliver()
	b.do("open the dev inbox", chromedp.Navigate(e.URL+"/dev/mail/"))
	mailLink := chromedp.Search(`//table//a[normalize-space()="Reset your password"]`)
	b.do("find the reset mail", chromedp.WaitVisible(mailLink))
	b.shot("dev-inbox.png")
	b.do("open the reset mail", chromedp.Click(mailLink),
		chromedp.WaitVisible(chromedp.Search(`//h2[normalize-space()="Links in this message"]`)))
	b.shot("dev-inbox-message.png")
	var confirm string
	for _, l := range brRun(b, "links of the mail", chromedp.Evaluate[[]string](brMailLinks)) {
		if resetLinkPattern.MatchString(l) {
			confirm = l
		}
	}
	if confirm == "" {
		t.Fatalf("the dev inbox message lists no confirm link")
	}
	token := resetLinkPattern.FindStringSubmatch(confirm)[1]

	b.do("open the confirm link", chromedp.Navigate(brLocal(t, e, confirm)), chromedp.WaitVisible(chromedp.ID("password")))
	b.shot("reset-confirm.png")
	b.do("choose the new password",
		chromedp.SendKeys(chromedp.ID("password"), brNewPassword),
		chromedp.SendKeys(chromedp.ID("password2"), brNewPassword),
		chromedp.Click(chromedp.CSS("#confirm-form button")),
		chromedp.WaitVisible(chromedp.CSS(brDoneOrError)))
	if p := b.path(); p != "/resetpassword/done/" {
		t.Fatalf("after submit the page is %s (errors: %q), want /resetpassword/done/", p,
			brRun(b, "errors", chromedp.Evaluate[string](`[...document.querySelectorAll(".error")].map(e => e.textContent).join(" | ")`)))
	}
	if h := brRun(b, "heading", chromedp.Text(chromedp.CSS("h1"))); h != "Password changed" {
		t.Errorf("done page heading = %q, want %q", h, "Password changed")
	}
	b.shot("reset-done.png")

	// docs/api.md#dashboard-pages: the token is not kept in the browser history after success.
	hist := brRun(b, "history", chromedp.NavigationEntries())
	for _, h := range hist.Entries {
		if strings.Contains(h.URL, token) {
			t.Errorf("history entry %d = %s, holds the reset token", h.ID, h.URL)
		}
	}

	e.login(email, brNewPassword)
	if r := e.do("POST", "/api/v2/login/", obj{"email": email, "password": testPassword, "recaptcha": "x"}, ""); r.Status != 400 {
		t.Errorf("login with the old password = %d %s, want 400", r.Status, r.Body)
	}
}

func TestBrowserWeakPassword(t *testing.T) {
	e := newEnv(t)
	e.register("ada@example.com", testPassword)
	token := e.resetToken("ada@example.com")
	b := brOpen(t)

	b.do("submit a common password",
		chromedp.Navigate(brConfirmURL(e, token)),
		chromedp.SendKeys(chromedp.ID("password"), "password"),
		chromedp.SendKeys(chromedp.ID("password2"), "password"),
		chromedp.Click(chromedp.CSS("#confirm-form button")),
		chromedp.WaitVisible(chromedp.ID("password-error")))
	if got := b.text("password-error"); !strings.Contains(got, "too common") {
		t.Errorf("#password-error = %q, want it to contain %q", got, "too common")
	}
	if got := brRun(b, "aria-invalid", chromedp.Evaluate[string](`document.getElementById("password").getAttribute("aria-invalid") || ""`)); got != "true" {
		t.Errorf("#password aria-invalid = %q, want \"true\"", got)
	}
	if got := brRun(b, "focused element", chromedp.Evaluate[string](`document.activeElement.id`)); got != "password" {
		t.Errorf("focus after the error = #%s, want #password", got)
	}
	b.do("the form stays", chromedp.WaitVisible(chromedp.ID("confirm-form")))
	if p := b.path(); p != "/resetpassword/"+token+"/confirm/" {
		t.Errorf("path after a refused password = %s, want the confirm page", p)
	}
	b.shot("reset-confirm-error.png")

	if r := brCheck(e, token); r.Status != 204 {
		t.Errorf("check after a refused password = %d %s, want 204", r.Status, r.Body)
	}
}

func TestBrowserMismatchedPasswords(t *testing.T) {
	e := newEnv(t)
	e.register("ada@example.com", testPassword)
	token := e.resetToken("ada@example.com")
	b := brOpen(t)

	b.do("submit two different passwords",
		chromedp.Navigate(brConfirmURL(e, token)),
		chromedp.SendKeys(chromedp.ID("password"), brNewPassword),
		chromedp.SendKeys(chromedp.ID("password2"), brNewPassword+"x"),
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.ID("password2-error")))
	if got := b.text("password2-error"); !strings.Contains(got, "differ") {
		t.Errorf("#password2-error = %q, want it to say the passwords differ", got)
	}
	if r := brCheck(e, token); r.Status != 204 {
		t.Errorf("check after mismatched passwords = %d %s, want 204", r.Status, r.Body)
	}
}

func TestBrowserExpiredLink(t *testing.T) {
	e := newEnv(t)
	e.register("ada@example.com", testPassword)
	token := e.resetToken("ada@example.com")
	e.Clock.Advance(2 * time.Hour)
	b := brOpen(t)

	b.do("open an expired link", chromedp.Navigate(brConfirmURL(e, token)), chromedp.WaitVisible(chromedp.ID("token-error")))
	if got := b.text("token-error"); !strings.Contains(got, "expired") {
		t.Errorf("#token-error = %q, want it to contain %q", got, "expired")
	}
	b.do("the form is hidden", chromedp.WaitNotVisible(chromedp.ID("confirm-form")))
	b.do("it links to the ask page", chromedp.WaitVisible(chromedp.CSS(`#token-error a[href="/resetpassword/"]`)))
	b.shot("reset-expired.png")
}

func TestBrowserInvalidLink(t *testing.T) {
	e := newEnv(t)
	b := brOpen(t)

	b.do("open a malformed link", chromedp.Navigate(e.URL+"/resetpassword/not-a-token/confirm/"),
		chromedp.WaitVisible(chromedp.ID("token-error")))
	if got := b.text("token-error"); !strings.Contains(got, "not valid") {
		t.Errorf("#token-error = %q, want it to say the link is not valid", got)
	}
	b.do("the form is hidden", chromedp.WaitNotVisible(chromedp.ID("confirm-form")))
}

func TestBrowserConfirmPageConsumesNothing(t *testing.T) {
	e := newEnv(t)
	e.register("ada@example.com", testPassword)
	token := e.resetToken("ada@example.com")
	b := brOpen(t)

	// Subscribe first, then load: the page's own check must have been
	// answered before the token is used.
	responses := chromedp.Events(b.ctx, network.ResponseReceived)
	b.do("open the confirm page", chromedp.Navigate(brConfirmURL(e, token)))
	status := int64(-1)
	for ev, err := range responses {
		if err != nil {
			t.Fatalf("waiting for the page's check: %v", err)
		}
		if strings.HasSuffix(ev.Response.URL, "/api/v2/resetpassword/check/") {
			status = ev.Response.Status
			break
		}
	}
	if status != 204 {
		t.Errorf("the page's check = %d, want 204", status)
	}
	b.do("the form stays usable", chromedp.WaitVisible(chromedp.ID("password")))

	r := e.do("POST", "/api/v2/resetpassword/complete/", obj{"password": brNewPassword, "password_reset_token": token}, "")
	if r.Status != 200 {
		t.Errorf("complete after loading the page = %d %s, want 200", r.Status, r.Body)
	}
}

func TestBrowserCancel(t *testing.T) {
	e := newEnv(t)
	e.register("ada@example.com", testPassword)
	token := e.resetToken("ada@example.com")
	b := brOpen(t)

	b.do("open the cancel page", chromedp.Navigate(brCancelURL(e, token)), chromedp.WaitVisible(chromedp.CSS("#cancel-form button")))
	b.shot("reset-cancel.png")
	if r := brCheck(e, token); r.Status != 204 {
		t.Fatalf("check after opening the cancel page = %d %s, want 204", r.Status, r.Body)
	}
	b.do("cancel", chromedp.Click(chromedp.CSS("#cancel-form button")), chromedp.WaitVisible(chromedp.ID("form-success")))
	if got := b.text("form-success"); !strings.Contains(got, "Nobody can use it") {
		t.Errorf("#form-success = %q, want the cancelled message", got)
	}
	b.shot("reset-cancel-done.png")
	r := brCheck(e, token)
	if r.Status != 400 || r.Code(t, "password_reset_token") != "invalid" {
		t.Errorf("check after cancel = %d %s, want 400 invalid", r.Status, r.Body)
	}
}

// brCaptcha behaves like every real provider: an empty response, what the
// pages sent without a widget, is refused.
type brCaptcha struct{}

func (brCaptcha) Verify(_ context.Context, response, _ string) error {
	if response == "" {
		return captcha.ErrInvalid
	}
	return nil
}

// brWidget serves a stand-in for a provider's widget script from another
// origin: it fills the response field as a solved widget would, and records
// the address it saw, to prove the reset token was gone before it ran.
func brWidget(t *testing.T) web.PageCaptcha {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprint(w, `window.widgetSawURL = location.href + " " + document.documentElement.outerHTML;
document.querySelectorAll(".test-captcha").forEach(function (el) {
  var i = document.createElement("input");
  i.type = "hidden"; i.name = "test-captcha-response"; i.value = "solved";
  el.appendChild(i);
});`)
	}))
	t.Cleanup(srv.Close)
	return web.PageCaptcha{ScriptURL: srv.URL + "/widget.js", Origins: []string{srv.URL},
		WidgetClass: "test-captcha", ResponseField: "test-captcha-response", SiteKey: "site-key"}
}

// TestBrowserPagesWithCaptcha: outside development a captcha provider is
// mandatory (docs/api.md#captcha, README.md#configuration) and both reset endpoints check it (docs/api.md#password-reset), so
// the pages show the provider's widget and send its response; the widget's
// third-party script never sees the reset token.
func TestBrowserPagesWithCaptcha(t *testing.T) {
	widget := brWidget(t)
	e := newEnv(t, func(o *envOptions) { o.Captcha = brCaptcha{}; o.Web.PageCaptcha = widget })
	e.register("ada@example.com", testPassword)
	token := e.resetToken("ada@example.com") // the API helpers send a response
	b := brOpen(t)

	b.do("ask for a link",
		chromedp.Navigate(e.URL+"/resetpassword/"),
		chromedp.WaitReady(chromedp.CSS(`input[name="test-captcha-response"]`)),
		chromedp.SendKeys(chromedp.ID("email"), "ada@example.com\n"),
		chromedp.WaitVisible(chromedp.CSS(`#form-success:not([hidden]), #form-error:not(:empty), #email-error:not(:empty)`)))
	if got := brRun(b, "errors", chromedp.Evaluate[string](`[...document.querySelectorAll(".error")].map(e => e.textContent).join(" ")`)); strings.TrimSpace(got) != "" {
		t.Errorf("ask page with a captcha provider shows %q, want the success message", got)
	}

	b.do("choose a password",
		chromedp.Navigate(brConfirmURL(e, token)),
		chromedp.WaitReady(chromedp.CSS(`input[name="test-captcha-response"]`)))
	if saw := brRun(b, "what the widget saw", chromedp.Evaluate[string](`window.widgetSawURL`)); strings.Contains(saw, token) {
		t.Error("the captcha widget's script could read the reset token from the address or the page")
	}
	b.do("submit",
		chromedp.SendKeys(chromedp.ID("password"), brNewPassword),
		chromedp.SendKeys(chromedp.ID("password2"), brNewPassword),
		chromedp.Click(chromedp.CSS("#confirm-form button")),
		chromedp.WaitVisible(chromedp.CSS(brDoneOrError)))
	if p := b.path(); p != "/resetpassword/done/" {
		t.Errorf("confirm page with a captcha provider stays at %s showing %q, want /resetpassword/done/", p,
			brRun(b, "errors", chromedp.Evaluate[string](`[...document.querySelectorAll(".error")].map(e => e.textContent).join(" ")`)))
	}
}

// TestBrowserDevInboxMessageFits: a mail's long links must wrap, not widen
// the page past the window.
func TestBrowserDevInboxMessageFits(t *testing.T) {
	e := newEnv(t)
	e.register("ada@example.com", testPassword)
	e.resetToken("ada@example.com")
	b := brOpen(t)

	b.do("open the reset mail", chromedp.Navigate(fmt.Sprintf("%s/dev/mail/%d/", e.URL, e.inbox()[0].ID)),
		chromedp.WaitVisible(chromedp.CSS("pre.mail-text")))
	w := brRun(b, "page width", chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, document.documentElement.clientWidth]`))
	if w[0] > w[1] {
		t.Errorf("dev inbox message: the page is %d pixels wide in a %d pixel window; its long links do not wrap", w[0], w[1])
	}
}

// TestBrowserDevInboxHTMLPartStyled: the HTML part is shown as a mail client
// would show it, with its inline styles.
func TestBrowserDevInboxHTMLPartStyled(t *testing.T) {
	e := newEnv(t)
	e.register("ada@example.com", testPassword)
	e.resetToken("ada@example.com")
	b := brOpen(t)

	b.do("open the reset mail", chromedp.Navigate(fmt.Sprintf("%s/dev/mail/%d/", e.URL, e.inbox()[0].ID)),
		chromedp.WaitVisible(chromedp.CSS("iframe.mail-html")))
	// The sandboxed frame has an opaque origin, so Chromium runs it as a
	// target of its own; attach to it to read its styles.
	infos, err := chromedp.Targets(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var frame *brBrowser
	for _, info := range infos {
		if info.Type == "iframe" {
			fctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithTargetID(info.TargetID))
			t.Cleanup(cancel)
			frame = &brBrowser{t: t, ctx: fctx}
		}
	}
	if frame == nil {
		t.Fatalf("no iframe target among %d targets: the HTML part is not in a frame of its own", len(infos))
	}
	// The frame target can be attached before its document replaced the
	// initial about:blank one: wait for the mail.
	brRun(frame, "the HTML part is loaded", chromedp.Poll[bool](
		`location.href !== "about:blank" && document.readyState === "complete" && document.body !== null`))
	got := brRun(frame, "style of the HTML part", chromedp.Evaluate[[]string](
		`[location.href, document.body.getAttribute("style") || "", getComputedStyle(document.body).backgroundColor]`))
	if !strings.Contains(got[1], "background") {
		t.Fatalf("HTML part %s: <body style=%q>, want the reset mail's styled body", got[0], got[1])
	}
	if got[2] == "rgba(0, 0, 0, 0)" {
		t.Errorf("HTML part: <body style=%q> is drawn with background-color %s: its inline styles were blocked "+
			"(the srcdoc frame inherits the page's Content-Security-Policy, style-src 'self')", got[1], got[2])
	}
}

// TestBrowserPageHeaders needs no browser: it reads the pages over HTTP.
func TestBrowserPageHeaders(t *testing.T) {
	e := newEnv(t)
	e.register("ada@example.com", testPassword)
	token := e.resetToken("ada@example.com")
	id := e.inbox()[0].ID
	pages := []string{
		"/resetpassword/",
		"/resetpassword/done/",
		"/resetpassword/" + token + "/confirm/",
		"/resetpassword/" + token + "/cancel/",
		"/resetpassword/not-a-token/confirm/",
		"/dev/mail/",
		fmt.Sprintf("/dev/mail/%d/", id),
	}
	for _, p := range pages {
		r := e.request("GET", p, "", nil)
		if r.Status != 200 {
			t.Errorf("GET %s = %d, want 200", p, r.Status)
			continue
		}
		for k, want := range map[string]string{"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"} {
			if got := r.Header.Get(k); got != want {
				t.Errorf("GET %s: %s = %q, want %q", p, k, got, want)
			}
		}
		csp := r.Header.Get("Content-Security-Policy")
		for _, want := range []string{"frame-ancestors 'none'", "default-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("GET %s: Content-Security-Policy = %q, want it to contain %q", p, csp, want)
			}
		}
		for _, bad := range []string{"'unsafe-inline'", "'unsafe-eval'", "*", "http:", "https:", "data:"} {
			if strings.Contains(csp, bad) {
				t.Errorf("GET %s: Content-Security-Policy = %q allows %s", p, csp, bad)
			}
		}
	}
	// The reset pages and their assets name no other origin, so nothing of
	// them (and no token) goes to a third party.
	for _, p := range append(pages[:5:5], "/static/reset.js", "/static/style.css") {
		body := e.request("GET", p, "", nil).Body
		for _, bad := range []string{"http://", "https://", `="//`, `url(//`} {
			if strings.Contains(string(body), bad) {
				t.Errorf("GET %s: the page has %q, a reference to another origin", p, bad)
			}
		}
	}
}
