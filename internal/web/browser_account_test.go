package web_test

import (
	"context"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"github.com/accountd/accountd/internal/account"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/accountd/accountd/internal/testenv"
	"github.com/accountd/accountd/internal/twofactor"
)

// The account pages of issue 17 in a real Chromium, driven as a person
// would: typing, clicking, reading what the page shows. Every page state
// is audited with axe-core, which the test injects (the pages never load it).

// axePath is where .ci/run installs axe-core (npm ci --prefix .ci/axe).
var axePath = filepath.Join("..", "..", ".ci", "axe", "node_modules", "axe-core", "axe.min.js")

var axeSource = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile(axePath)
	return string(b), err
})

// brAxe runs axe-core on the page and fails the test on any serious or
// critical violation, naming the state.
func (b *brBrowser) axe(state string) {
	b.t.Helper()
	src, err := axeSource()
	if err != nil {
		testenv.Skip(b.t, testenv.Axe, "axe-core not installed at "+axePath)
	}
	if !brRun(b, "axe loaded", chromedp.Evaluate[bool](`typeof window.axe === "object"`)) {
		b.do("inject axe", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[any](src+"\n;true")(ctx, t)
			return err
		}))
	}
	got := brRun(b, "axe on "+state, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ["violations"]}).then(r =>
		JSON.stringify(r.violations.filter(v => v.impact === "serious" || v.impact === "critical")
			.map(v => v.id + " (" + v.impact + "): " + v.help + " at " + v.nodes.map(n => n.target.join(" ")).join(", "))))`,
		chromedp.EvalAwaitPromise))
	var found []string
	if err := json.Unmarshal([]byte(got), &found); err != nil {
		b.t.Fatalf("axe on %s: %v (%s)", state, err, got)
	}
	for _, v := range found {
		b.t.Errorf("axe on %s: %s", state, v)
	}
}

// page opens path and waits for sel to be visible.
func (b *brBrowser) page(path, sel string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path))
	q, _ := json.Marshal(sel)
	if err := b.poll(`(el => el !== null && el.getClientRects().length > 0)(document.querySelector(` + string(q) + `))`); err != nil {
		b.t.Fatalf("open %s: %s never showed (%v); the page is %s showing %.300q (errors: %q)", path, sel, err, b.path(),
			brRun(b, "text", chromedp.Evaluate[string](`document.body.innerText`)), b.errorsShown())
	}
}

// shots saves the page at desktop width and at 390 pixels (a phone), and
// checks that nothing is wider than the phone's screen.
func (b *brBrowser) shots(name string) {
	b.t.Helper()
	b.do("phone width", chromedp.EmulateViewport(390, 844))
	w := brRun(b, "page width", chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, document.documentElement.clientWidth]`))
	if w[0] > w[1] {
		b.t.Errorf("%s: %d pixels wide on a 390-pixel phone; widest: %s", name, w[0], brRun(b, "widest", chromedp.Evaluate[string](`[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth).map(e => e.tagName + "#" + e.id + "." + e.className + ":" + Math.round(e.getBoundingClientRect().right)).slice(0, 8).join(" ")`)))
	}
	if os.Getenv("ACCOUNTD_SCREENSHOTS") != "" {
		brRun(b, "page loaded", chromedp.Poll[bool](`document.readyState === "complete"`))
		h := brRun(b, "page height", chromedp.Evaluate[int64](`Math.ceil(document.documentElement.scrollHeight)`))
		b.do("fit the phone to the page", chromedp.EmulateViewport(390, max(h, 844)))
		png := brRun(b, "screenshot", chromedp.CaptureScreenshot())
		if err := os.WriteFile(filepath.Join("..", "..", "docs", "img", name+"-phone.png"), png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	b.do("desktop width", chromedp.EmulateViewport(1000, 800))
	b.shot(name + ".png")
}

// errorsShown is every error text on the page.
func (b *brBrowser) errorsShown() string {
	return brRun(b, "errors", chromedp.Evaluate[string](`[...document.querySelectorAll(".error")].map(e => e.textContent).filter(t => t).join(" | ")`))
}

// waitText waits until the element with id is shown with text containing want.
func (b *brBrowser) waitText(id, want string) {
	b.t.Helper()
	q, _ := json.Marshal(want)
	err := b.poll(fmt.Sprintf(`(el => el !== null && el.getClientRects().length > 0 && el.textContent.includes(%s))(document.getElementById(%q))`, q, id))
	if err != nil {
		b.t.Fatalf("#%s never showed %q (%v; it shows %q; errors: %q)", id, want, err,
			brRun(b, "text", chromedp.Evaluate[string](fmt.Sprintf(`(document.getElementById(%q) || {}).textContent || ""`, id))), b.errorsShown())
	}
}

// poll waits until expr is true, across the page navigations a click may
// start (a poll in a page that navigates away ends with an error; it is
// asked again in the new page). The timeout is a net for a hung page, with
// the page's state in the message, not a speed requirement.
func (b *brBrowser) poll(expr string) error {
	var err error
	for range 20 {
		_, err = chromedp.Run(b.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(20*time.Second)))
		if err == nil || !strings.Contains(err.Error(), "navigated") && !strings.Contains(err.Error(), "context") {
			return err
		}
	}
	return err
}

// waitPath waits for the address to be path.
func (b *brBrowser) waitPath(path string) {
	b.t.Helper()
	q, _ := json.Marshal(path)
	if err := b.poll(`location.pathname === ` + string(q)); err != nil {
		b.t.Fatalf("the page stays at %s, want %s (%v; errors: %q)", b.path(), path, err, b.errorsShown())
	}
}

// brAccountOpen opens a browser on e.
func brAccountOpen(t *testing.T, e *env) *brBrowser {
	// The whole account flow walks some thirty page states, each audited.
	b := brOpenFor(t, 6*brTimeout)
	b.base = e.URL
	if _, err := axeSource(); err != nil {
		testenv.Skip(t, testenv.Axe, "axe-core not installed at "+axePath)
	}
	return b
}

// signIn fills the sign-in form.
func (b *brBrowser) signIn(email, pw string) {
	b.t.Helper()
	b.page("/login/", "#email")
	b.do("sign in", chromedp.SendKeys(chromedp.ID("email"), email), chromedp.SendKeys(chromedp.ID("password"), pw),
		chromedp.Click(chromedp.CSS("#login-form button")))
}

// signOut uses the menu's "Sign out" and the sign-out page's button.
func (b *brBrowser) signOut() {
	b.t.Helper()
	b.do("sign out", chromedp.Click(chromedp.ID("nav-logout")), chromedp.WaitVisible(chromedp.CSS("#logout-form button")),
		chromedp.Click(chromedp.CSS("#logout-form button")), chromedp.WaitVisible(chromedp.ID("form-success")))
}

var changeEmailLink = regexp.MustCompile(`https://dash\.example\.com/changeemail/[0-9a-f]{64}/confirm/`)

func TestBrowserAccountWholeFlow(t *testing.T) {
	e := newEnv(t)
	b := brAccountOpen(t, e)
	const email, newEmail = "ada@example.com", "ada.new@example.com"

	// Sign up.
	b.page("/register/", "#email")
	b.axe("register")
	b.shots("register")
	b.do("sign up", chromedp.SendKeys(chromedp.ID("email"), email), chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.ID("tos_accepted")), chromedp.Click(chromedp.CSS("#register-form button")))
	b.waitPath("/account/")
	b.waitText("who", email)
	b.do("the confirm reminder", chromedp.WaitVisible(chromedp.ID("verify-box")))
	b.axe("profile")
	b.shots("account-profile")
	if got := brRun(b, "document.cookie", chromedp.Evaluate[string](`document.cookie`)); got != "" {
		t.Errorf("document.cookie = %q after sign-up, want nothing (the session cookie is HttpOnly)", got)
	}

	// Confirm the address from the dev inbox.
	e.deliver()
	b.page("/dev/mail/", "table")
	b.do("open the activation mail", chromedp.Click(chromedp.Search(`//table//a[normalize-space()="Confirm your email address"]`)),
		chromedp.WaitVisible(chromedp.Search(`//h2[normalize-space()="Links in this message"]`)))
	var link string
	for _, l := range brRun(b, "links", chromedp.Evaluate[[]string](brMailLinks)) {
		if strings.Contains(l, "/activation/") {
			link = l
		}
	}
	if link == "" {
		t.Fatal("the activation mail has no link")
	}
	b.do("confirm", chromedp.Navigate(brLocal(t, e, link)), chromedp.WaitVisible(chromedp.CSS("#activation-form button")),
		chromedp.Click(chromedp.CSS("#activation-form button")), chromedp.WaitVisible(chromedp.ID("form-success")))
	b.page("/account/", "#profile-form")
	b.do("the reminder is gone", chromedp.WaitNotVisible(chromedp.ID("verify-box")))

	// Sign out, and the account pages send a signed-out browser to sign-in.
	b.page("/account/", "#profile-form")
	b.signOut()
	b.axe("signed out")
	b.shots("logout")
	b.do("open the account signed out", chromedp.Navigate(e.URL+"/account/security/"))
	b.waitPath("/login/")
	b.axe("sign-in")
	b.shots("login")

	// Sign in.
	b.do("sign in", chromedp.WaitVisible(chromedp.ID("email")), chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), testPassword), chromedp.Click(chromedp.CSS("#login-form button")))
	b.waitPath("/account/security/") // ?next= brought it back
	b.do("the security page", chromedp.WaitVisible(chromedp.ID("tfa-enrol")))
	b.axe("security")
	b.shots("account-security")

	// Enable TOTP, reading the key from the page.
	b.do("set up an authenticator", chromedp.Click(chromedp.ID("tfa-enrol")), chromedp.WaitVisible(chromedp.CSS("#totp-qr svg path")))
	key := b.text("totp-key")
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(key)
	if err != nil || len(secret) != 20 {
		t.Fatalf("the page shows the key %q, want 20 bytes of base32", key)
	}
	b.axe("enrol")
	b.shots("account-security-enrol")
	step := twofactor.StepAt(e.Clock.Now())
	b.do("enter two codes", chromedp.SendKeys(chromedp.ID("code_1"), twofactor.CodeAt(secret, step-1)),
		chromedp.SendKeys(chromedp.ID("code_2"), twofactor.CodeAt(secret, step)),
		chromedp.Click(chromedp.CSS("#totp-form button")), chromedp.WaitVisible(chromedp.ID("codes-box")))
	codes := strings.Fields(b.text("codes-list"))
	if len(codes) != 10 {
		t.Fatalf("the page shows %d recovery codes, want 10", len(codes))
	}
	b.waitText("tfa-state", "On")
	if href := brRun(b, "download link", chromedp.Evaluate[string](`document.getElementById("codes-download").href`)); !strings.HasPrefix(href, "blob:") {
		t.Errorf("download link = %q, want a blob of the codes", href)
	}
	b.do("copy the codes", chromedp.Click(chromedp.ID("codes-copy")))
	b.waitText("codes-status", "Copied")
	b.axe("recovery codes")
	b.shots("account-security-codes")
	e.Clock.Advance(30 * time.Second)

	// Sign out; sign in with a wrong code, then the right one.
	b.signOut()
	b.signIn(email, testPassword)
	b.do("the code step", chromedp.WaitVisible(chromedp.ID("code")))
	b.axe("code step")
	b.shots("login-code")
	b.do("a wrong code", chromedp.SendKeys(chromedp.ID("code"), "000000"), chromedp.Click(chromedp.CSS("#code-form button[type=submit]")))
	b.waitText("code-error", "Invalid code.")
	b.axe("wrong code")
	b.do("the right code", chromedp.SetValue(chromedp.ID("code"), tfCode(e, secret)), chromedp.Click(chromedp.CSS("#code-form button[type=submit]")))
	b.waitPath("/account/")

	// Sign out; sign in with a recovery code.
	b.signOut()
	b.signIn(email, testPassword)
	b.do("a recovery code", chromedp.WaitVisible(chromedp.ID("code")), chromedp.SendKeys(chromedp.ID("code"), codes[0]),
		chromedp.Click(chromedp.CSS("#code-form button[type=submit]")))
	b.waitPath("/account/")

	// Sessions: two more sign-ins elsewhere, end one, then every other.
	other1, other2 := e.login(email, testPassword), e.login(email, testPassword)
	b.page("/account/security/", "#sessions tbody tr")
	// This browser, the two above, and the one the activation page signed
	// in with (and did not keep).
	if err := b.poll(`document.querySelectorAll("#sessions tbody tr").length >= 3`); err != nil {
		t.Fatalf("sessions: %v; the page lists %q", err, brRun(b, "rows", chromedp.Evaluate[string](`document.querySelector("#sessions tbody").innerText`)))
	}
	rows := brRun(b, "rows", chromedp.Evaluate[int](`document.querySelectorAll("#sessions tbody tr").length`))
	b.axe("sessions")
	b.do("end one session", chromedp.Click(chromedp.CSS("#sessions tbody tr button")))
	b.waitText("sessions-status", "Signed out.")
	if err := b.poll(fmt.Sprintf(`document.querySelectorAll("#sessions tbody tr").length === %d`, rows-1)); err != nil {
		t.Fatalf("after ending one of %d sessions: %v", rows, err)
	}
	b.do("end every other", chromedp.Click(chromedp.ID("sessions-others")))
	b.waitText("sessions-status", "Every other session")
	brRun(b, "one session", chromedp.Poll[bool](`document.querySelectorAll("#sessions tbody tr").length === 1`))
	for _, tok := range []string{other1, other2} {
		if r := e.do("GET", "/api/v2/twofactorauth/method/current/", nil, tok); r.Status != 401 {
			t.Errorf("an ended session = %d, want 401", r.Status)
		}
	}

	// API keys: create, copy, rename, delete.
	b.page("/account/apikeys/", "#label")
	b.axe("API keys, none")
	b.do("create a key", chromedp.SendKeys(chromedp.ID("label"), "laptop"), chromedp.Click(chromedp.CSS("#apikey-form button")),
		chromedp.WaitVisible(chromedp.ID("newkey-box")))
	apiKey := b.text("newkey")
	if r := e.do("GET", "/api/v2/profile/", nil, apiKey); r.Status != 200 {
		t.Errorf("the key the page showed = %d on the profile, want 200", r.Status)
	}
	b.do("copy it", chromedp.Click(chromedp.ID("newkey-copy")))
	b.waitText("newkey-status", "Copied")
	b.do("the list shows it", chromedp.WaitVisible(chromedp.CSS("#apikeys tbody tr .key-label")))
	b.axe("API key created")
	b.shots("account-apikeys")
	b.do("rename it", chromedp.SetValue(chromedp.CSS("#apikeys .key-label"), "deploy"), chromedp.Click(chromedp.CSS("#apikeys .key-rename")))
	b.waitText("apikeys-status", "Renamed to deploy.")
	b.page("/account/apikeys/", "#apikeys .key-label")
	if got := brRun(b, "label after reload", chromedp.Evaluate[string](`document.querySelector("#apikeys .key-label").value`)); got != "deploy" {
		t.Errorf("after rename and reload the key is named %q, want deploy", got)
	}
	b.do("delete it", chromedp.Click(chromedp.CSS("#apikeys .key-delete")), chromedp.WaitVisible(chromedp.ID("apikeys-empty")))
	if r := e.do("GET", "/api/v2/profile/", nil, apiKey); r.Status != 401 {
		t.Errorf("the deleted key = %d, want 401", r.Status)
	}

	// Change the address (TOTP off first: the change-of-address page signs
	// in with the password only).
	b.page("/account/security/", "#tfa-off")
	b.do("turn TOTP off", chromedp.Click(chromedp.ID("tfa-off")), chromedp.WaitVisible(chromedp.ID("tfa-enrol")))
	b.page("/account/email/", "#new_email")
	b.axe("email")
	b.shots("account-email")
	b.do("a wrong password", chromedp.SendKeys(chromedp.ID("new_email"), newEmail), chromedp.SendKeys(chromedp.ID("password"), "wrong-password"),
		chromedp.Click(chromedp.CSS("#email-form button")))
	b.waitText("password-error", "Wrong password.")
	b.axe("email, wrong password")
	b.do("the right password", chromedp.SetValue(chromedp.ID("password"), testPassword), chromedp.Click(chromedp.CSS("#email-form button")),
		chromedp.WaitVisible(chromedp.ID("form-success")))
	e.deliver()
	var confirm string
	for _, m := range e.allMail() {
		if m.To == newEmail && confirm == "" {
			confirm = changeEmailLink.FindString(m.Text)
		}
	}
	if confirm == "" {
		t.Fatal("no confirmation link went to the new address")
	}
	b.do("confirm the new address", chromedp.Navigate(brLocal(t, e, confirm)), chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), email), chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.CSS("#changeemail-form button")), chromedp.WaitVisible(chromedp.ID("review-confirm")),
		chromedp.Click(chromedp.ID("review-confirm")), chromedp.WaitVisible(chromedp.ID("form-success")))
	// The change ended every session: sign in with the new address.
	b.signIn(newEmail, testPassword)
	b.waitPath("/account/")
	b.page("/account/email/", "#new_email")
	b.waitText("current-email", newEmail)

	// Delete the account.
	b.page("/account/delete/", "#password")
	b.axe("delete")
	b.shots("account-delete")
	b.do("delete", chromedp.SendKeys(chromedp.ID("password"), testPassword), chromedp.Click(chromedp.CSS("#delete-form button")),
		chromedp.WaitVisible(chromedp.ID("form-success")))
	b.axe("deleted")
	if r := e.do("POST", "/api/v2/login/", obj{"email": newEmail, "password": testPassword, "recaptcha": "x"}, ""); r.Status != 400 {
		t.Errorf("sign-in after deleting = %d, want 400", r.Status)
	}
}

// TestBrowserSignInWrongPassword: the API's words, beside the form.
func TestBrowserSignInWrongPassword(t *testing.T) {
	e := newEnv(t)
	e.register("ada@example.com", testPassword)
	b := brAccountOpen(t, e)
	b.signIn("ada@example.com", "not-the-password")
	b.waitText("form-error", "Unable to log in with provided credentials.")
	b.axe("sign-in, wrong password")
	b.shots("login-error")
	if p := b.path(); p != "/login/" {
		t.Errorf("after a wrong password the page is %s, want /login/", p)
	}
}

// TestBrowserExpiredSession: a session past its idle lifetime sends the
// account pages to sign-in, which brings the person back where they were.
func TestBrowserExpiredSession(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.Config.TokenIdleTTL = time.Hour })
	e.register("ada@example.com", testPassword)
	b := brAccountOpen(t, e)
	b.signIn("ada@example.com", testPassword)
	b.waitPath("/account/")
	e.Clock.Advance(2 * time.Hour)
	b.do("open the API keys", chromedp.Navigate(e.URL+"/account/apikeys/"))
	b.waitPath("/login/")
	if got := brRun(b, "next", chromedp.Evaluate[string](`location.search`)); got != "?next=%2Faccount%2Fapikeys%2F" {
		t.Errorf("sign-in address %q, want ?next= the API keys page", got)
	}
	b.do("sign in again", chromedp.WaitVisible(chromedp.ID("email")), chromedp.SendKeys(chromedp.ID("email"), "ada@example.com"),
		chromedp.SendKeys(chromedp.ID("password"), testPassword), chromedp.Click(chromedp.CSS("#login-form button")))
	b.waitPath("/account/apikeys/")
}

// TestBrowserCookieHiddenFromScript: after signing in, no script of the
// page can read the token: document.cookie is empty and no answer the page
// received holds it.
func TestBrowserCookieHiddenFromScript(t *testing.T) {
	e := newEnv(t)
	e.register("ada@example.com", testPassword)
	b := brAccountOpen(t, e)
	b.signIn("ada@example.com", testPassword)
	b.waitPath("/account/")
	b.waitText("who", "ada@example.com")
	if got := brRun(b, "document.cookie", chromedp.Evaluate[string](`document.cookie`)); got != "" {
		t.Errorf("document.cookie = %q, want nothing", got)
	}
	// The page's own sign-in answer, fetched the way the page does, has no token.
	got := brRun(b, "sign-in answer", chromedp.Evaluate[string](`fetch("/api/v2/login/", {method: "POST", credentials: "same-origin",
		headers: {"Content-Type": "application/json", "X-Accountd-Page": "1"},
		body: JSON.stringify({email: "ada@example.com", password: "`+testPassword+`", recaptcha: "x"})}).then(r => r.text())`, chromedp.EvalAwaitPromise))
	if strings.Contains(got, "token") || !strings.Contains(got, `"session":"cookie"`) {
		t.Errorf("the sign-in answer a page script sees = %s, want no token", got)
	}
}

// brEvil serves a page of another origin on the same host (a sibling port:
// the same site, so SameSite=Strict still sends the cookie) with body.
func brEvil(t *testing.T, body string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestBrowserCookieCrossOriginRefused: a signed-in browser visits a page of
// another origin that posts a form to the API and calls it with fetch; the
// API takes neither as the person.
func TestBrowserCookieCrossOriginRefused(t *testing.T) {
	e := newEnv(t)
	e.register("ada@example.com", testPassword)
	b := brAccountOpen(t, e)
	b.signIn("ada@example.com", testPassword)
	b.waitPath("/account/")

	evil := brEvil(t, `<!doctype html><title>evil</title>
<form id="f" method="post" action="`+e.URL+`/api/v2/changepassword/">
<input name="password" value="`+testPassword+`"><input name="new_password" value="`+brNewPassword+`"><button id="go">Win a prize</button></form>`)
	b.expectConsole("blocked by CORS policy") // the refusal below, reported by Chromium
	b.do("open the other origin's page", chromedp.Navigate(evil), chromedp.WaitReady(chromedp.ID("f")))
	fetched := brRun(b, "cross-origin fetch", chromedp.Evaluate[string](`fetch("`+e.URL+`/api/v2/profile/", {credentials: "include",
		headers: {"X-Accountd-Page": "1"}}).then(r => "answered " + r.status, err => "refused: " + err.name)`, chromedp.EvalAwaitPromise))
	if !strings.HasPrefix(fetched, "refused") {
		t.Errorf("a cross-origin fetch with the page header was %s, want it refused (no CORS for it)", fetched)
	}
	b.do("submit the form", chromedp.Click(chromedp.ID("go")))
	if err := b.poll(`document.body !== null && document.body.innerText.includes("not_authenticated")`); err != nil {
		t.Errorf("the cross-site form post: %v; the browser shows %q, want 401 not_authenticated", err,
			brRun(b, "body", chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`)))
	}
	e.login("ada@example.com", testPassword) // the password did not change
}

// TestBrowserKeyboardSignIn: Tab reaches each field of the sign-in form in
// order, Space ticks nothing by accident, Enter submits; the account page
// opens with no mouse.
func TestBrowserKeyboardSignIn(t *testing.T) {
	e := newEnv(t)
	e.register("ada@example.com", testPassword)
	b := brAccountOpen(t, e)
	b.page("/login/", "#email")
	b.do("tab to the email field", chromedp.KeyEvent("\t"))
	if id := brRun(b, "focus", chromedp.Evaluate[string](`document.activeElement.id`)); id != "email" {
		t.Fatalf("focus after one Tab = #%s, want #email", id)
	}
	b.do("type the address, Tab, the password", chromedp.KeyEvent("ada@example.com\t"+testPassword))
	if id := brRun(b, "focus", chromedp.Evaluate[string](`document.activeElement.id`)); id != "password" {
		t.Fatalf("focus after the second Tab = #%s, want #password", id)
	}
	b.do("Enter", chromedp.KeyEvent("\r"))
	b.waitPath("/account/")
	b.do("the profile", chromedp.WaitVisible(chromedp.ID("first_name")))
	// On to the security page and its first field, by keyboard: the menu's
	// links come first in the tab order.
	for i := 0; i < 2; i++ {
		b.do("tab", chromedp.KeyEvent("\t"))
	}
	if got := brRun(b, "focus", chromedp.Evaluate[string](`document.activeElement.getAttribute("href") || ""`)); got != "/account/security/" {
		t.Fatalf("focus after two Tabs = %q, want the Security link", got)
	}
	b.do("Enter", chromedp.KeyEvent("\r"))
	b.waitPath("/account/security/")
}

// TestBrowserAccountPagesWithCaptcha: outside development a captcha is
// mandatory; sign-up, sign-in and its code step, and deletion show the
// provider's widget and send its response.
func TestBrowserAccountPagesWithCaptcha(t *testing.T) {
	widget := brWidget(t)
	e := newEnv(t, func(o *envOptions) { o.Captcha = brCaptcha{}; o.Web.PageCaptcha = widget })
	b := brAccountOpen(t, e)
	b.page("/register/", "#email")
	b.widget("register-form")
	b.do("sign up", chromedp.SendKeys(chromedp.ID("email"), "ada@example.com"), chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.ID("tos_accepted")), chromedp.Click(chromedp.CSS("#register-form button")))
	b.waitPath("/account/")
	tf := enrolTOTP(e, e.login("ada@example.com", testPassword))

	// Turning TOTP on elsewhere made this browser's session pending: the
	// sign-in page goes straight to the code step.
	b.page("/login/", "#code")
	b.widget("code-form")
	b.do("the code", chromedp.SendKeys(chromedp.ID("code"), tfCode(e, tf.secret)), chromedp.Click(chromedp.CSS("#code-form button[type=submit]")))
	b.waitPath("/account/")

	// A fresh sign-in: the password form's widget, then the code step's.
	e.Clock.Advance(30 * time.Second)
	b.page("/account/", "#nav-logout")
	b.signOut()
	b.page("/login/", "#email")
	b.widget("login-form")
	b.do("sign in", chromedp.SendKeys(chromedp.ID("email"), "ada@example.com"), chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.CSS("#login-form button")))
	// The page turns to the code step once the sign-in is answered (going
	// to /login/ again here could cut the sign-in short).
	b.do("the code step", chromedp.WaitVisible(chromedp.ID("code")))
	b.widget("code-form")
	b.do("the code", chromedp.SendKeys(chromedp.ID("code"), tfCode(e, tf.secret)), chromedp.Click(chromedp.CSS("#code-form button[type=submit]")))
	b.waitPath("/account/")

	b.page("/account/delete/", "#password")
	b.widget("delete-form")
	b.do("delete", chromedp.SendKeys(chromedp.ID("password"), testPassword), chromedp.Click(chromedp.CSS("#delete-form button")),
		chromedp.WaitVisible(chromedp.ID("form-success")))
}

// widget waits for the stand-in captcha widget to have filled the form.
func (b *brBrowser) widget(form string) {
	b.t.Helper()
	if err := b.poll(`document.querySelector('#` + form + ` input[name="test-captcha-response"]') !== null`); err != nil {
		b.t.Fatalf("#%s: no captcha widget (%v)", form, err)
	}
}

// TestBrowserChangePassword: a wrong current password is shown beside its
// field in the API's words; the right one changes it.
func TestBrowserChangePassword(t *testing.T) {
	e := newEnv(t)
	e.register("ada@example.com", testPassword)
	b := brAccountOpen(t, e)
	b.signIn("ada@example.com", testPassword)
	b.waitPath("/account/")
	b.page("/account/security/", "#new_password")
	b.do("a wrong current password", chromedp.SendKeys(chromedp.ID("password"), "not-the-password"),
		chromedp.SendKeys(chromedp.ID("new_password"), brNewPassword), chromedp.Click(chromedp.CSS("#password-form button")))
	b.waitText("password-error", "Wrong password.")
	b.axe("change password, wrong current")
	b.do("the right one", chromedp.SetValue(chromedp.ID("password"), testPassword), chromedp.Click(chromedp.CSS("#password-form button")))
	b.waitText("password-success", "Your password was changed.")
	e.login("ada@example.com", brNewPassword)
}

// TestBrowserForwardAuthSignInReturns: a browser that forward auth sent to
// the sign-in page (/login/?rd=URL) is back at URL once signed in, through
// /auth/return, which checked that URL's host against the allowed ones.
func TestBrowserForwardAuthSignInReturns(t *testing.T) {
	// Development mode: the test server is http, which only development
	// mode lets forward auth return to.
	e := newEnv(t, withForwardAuth("127.0.0.1"), func(o *envOptions) { o.Web.Dev = true })
	e.register("ada@example.com", testPassword)
	b := brAccountOpen(t, e)
	back := e.URL + "/account/security/?from=app"
	b.page("/login/?rd="+url.QueryEscape(back), "#email")
	b.do("sign in", chromedp.SendKeys(chromedp.ID("email"), "ada@example.com"), chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.CSS("#login-form button")))
	b.waitPath("/account/security/")
	if got := brRun(b, "query", chromedp.Evaluate[string](`location.search`)); got != "?from=app" {
		t.Errorf("back at /account/security/%s, want ?from=app", got)
	}
}

// TestBrowserSignInWithEmailCode: with ACCOUNTD_EMAIL_2FA=always, the
// sign-in page asks for the code it says was emailed, offers to send a new
// one, and signs in with the code from the mail.
func TestBrowserSignInWithEmailCode(t *testing.T) {
	e := newEnv(t, withEmail2FA(account.EmailTwoFactorAlways, false))
	e.register("ada@example.com", testPassword)
	b := brAccountOpen(t, e)
	b.signIn("ada@example.com", testPassword)
	b.do("the code step", chromedp.WaitVisible(chromedp.ID("code-resend")))
	b.waitText("code-intro", "We emailed you a 6-digit code.")
	b.axe("sign-in, emailed code")
	first := ecNewestCode(e, "ada@example.com")
	b.do("ask again at once", chromedp.Click(chromedp.ID("code-resend")))
	b.waitText("code-intro", "No new code yet")
	e.Clock.Advance(61 * time.Second)
	b.do("ask again a minute later", chromedp.Click(chromedp.ID("code-resend")))
	b.waitText("code-intro", "We emailed you a new 6-digit code")
	code := ecNewestCode(e, "ada@example.com")
	if code == first {
		t.Fatal("the resent code is the first one")
	}
	b.do("enter the new code", chromedp.SendKeys(chromedp.ID("code"), code), chromedp.Click(chromedp.CSS("#code-form button[type=submit]")))
	b.waitPath("/account/")
}

// TestBrowserConfirmEmailChangeWithCode: on an account whose sign-ins owe a
// second factor (here an emailed code, ACCOUNTD_EMAIL_2FA=always), the
// change-of-address confirm page asks for the code after the password, then
// shows the new address and moves the account.
func TestBrowserConfirmEmailChangeWithCode(t *testing.T) {
	e := newEnv(t, withEmail2FA(account.EmailTwoFactorAlways, false))
	token := e.register("ada@example.com", testPassword)
	if r := e.do("POST", "/api/v2/changeemail/", obj{"password": testPassword, "new_email": "ada@new.example.com"}, token); r.Status != 204 {
		t.Fatalf("change email = %d %s", r.Status, r.Body)
	}
	e.deliver()
	var confirm string
	for _, m := range e.allMail() {
		if m.To == "ada@new.example.com" && confirm == "" {
			confirm = changeEmailLink.FindString(m.Text)
		}
	}
	if confirm == "" {
		t.Fatal("no confirmation link went to the new address")
	}
	b := brAccountOpen(t, e)
	b.do("sign in on the confirm page", chromedp.Navigate(brLocal(t, e, confirm)), chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), "ada@example.com"), chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.CSS("#changeemail-form button")), chromedp.WaitVisible(chromedp.ID("code")))
	b.waitText("code-intro", "We emailed you a 6-digit code.")
	b.axe("confirm page, code step")
	b.do("a wrong code", chromedp.SendKeys(chromedp.ID("code"), ecWrong(ecNewestCode(e, "ada@example.com"))),
		chromedp.Click(chromedp.CSS("#changeemail-code-form button")))
	b.waitText("code-error", "Invalid code.")
	b.do("the right code", chromedp.SetValue(chromedp.ID("code"), ecNewestCode(e, "ada@example.com")),
		chromedp.Click(chromedp.CSS("#changeemail-code-form button")), chromedp.WaitVisible(chromedp.ID("review-confirm")))
	b.waitText("review-new-email", "ada@new.example.com")
	b.do("move the account", chromedp.Click(chromedp.ID("review-confirm")), chromedp.WaitVisible(chromedp.ID("form-success")))
	if r := e.do("POST", "/api/v2/login/", obj{"email": "ada@new.example.com", "password": testPassword, "recaptcha": "x"}, ""); r.Status != 200 {
		t.Errorf("sign-in with the new address = %d %s, want 200", r.Status, r.Body)
	}
}

// TestBrowserProfilePreferences: the profile page shows the preferences
// (when the app's prompts were dismissed, completed or viewed) and clears one.
func TestBrowserProfilePreferences(t *testing.T) {
	e := newEnv(t)
	token := e.register("ada@example.com", testPassword)
	if r := e.do("PATCH", "/api/v2/profile/preferences/", obj{"customer_satisfaction_survey_last_dismissed_at": "2026-11-20T10:00:00Z"}, token); r.Status != 200 {
		t.Fatalf("PATCH preferences = %d %s", r.Status, r.Body)
	}
	b := brAccountOpen(t, e)
	b.signIn("ada@example.com", testPassword)
	b.waitPath("/account/")
	b.waitText("pref-onboarding_activity_page_viewed_at", "never")
	if err := b.poll(`document.getElementById("pref-customer_satisfaction_survey_last_dismissed_at").textContent.includes("2026")`); err != nil {
		t.Fatalf("the dismissed survey's date is not shown: %v", err)
	}
	b.axe("profile with preferences")
	b.do("clear it", chromedp.Click(chromedp.CSS(`button[data-pref="customer_satisfaction_survey_last_dismissed_at"]`)))
	b.waitText("prefs-status", "Cleared.")
	b.waitText("pref-customer_satisfaction_survey_last_dismissed_at", "never")
	r := e.do("GET", "/api/v2/profile/preferences/", nil, token)
	if v := r.JSON(t)["customer_satisfaction_survey_last_dismissed_at"]; v != nil {
		t.Errorf("after Clear the preference is %v, want null", v)
	}
}
