package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/accountd/accountd/internal/web"
)

// brTitleMatchesHeading: the tab says what the page's heading says.
const brTitleMatchesHeading = `document.title.startsWith(document.querySelector("h1").textContent.trim() + " — ")`

// TestBrowserPagesTitlesIconFocus: each page's tab title starts with its
// heading, the page's icon loads, and after "Send the reset link" focus is on
// the message that replaced the form.
func TestBrowserPagesTitlesIconFocus(t *testing.T) {
	e := newEnv(t)
	e.register("ada@example.com", testPassword)
	token := e.resetToken("ada@example.com")
	b := brOpen(t)
	for _, p := range []string{"/resetpassword/", "/resetpassword/done/", "/resetpassword/" + token + "/confirm/",
		"/resetpassword/" + token + "/cancel/", "/dev/mail/", fmt.Sprintf("/dev/mail/%d/", e.inbox()[0].ID)} {
		b.do("open "+p, chromedp.Navigate(e.URL+p), chromedp.WaitVisible(chromedp.CSS("h1")))
		if !brRun(b, "title of "+p, chromedp.Evaluate[bool](brTitleMatchesHeading)) {
			t.Errorf("%s: title %q does not start with its heading", p, brRun(b, "title", chromedp.Evaluate[string](`document.title`)))
		}
		icon := brRun(b, "icon of "+p, chromedp.Evaluate[string](`(document.querySelector("link[rel=icon]") || {}).href || ""`))
		if r := e.request("GET", strings.TrimPrefix(icon, e.URL), "", nil); icon == "" || r.Status != 200 {
			t.Errorf("%s: icon %q = %d, want a linked icon that loads", p, icon, r.Status)
		}
	}

	// The confirm page offers password managers a username field.
	b.do("open the confirm page", chromedp.Navigate(e.URL+"/resetpassword/"+token+"/confirm/"), chromedp.WaitVisible(chromedp.ID("password")))
	if n := brRun(b, "username fields", chromedp.Evaluate[int](`document.querySelectorAll('#confirm-form input[autocomplete="username"]').length`)); n != 1 {
		t.Errorf("confirm page: %d fields with autocomplete=username, want 1", n)
	}

	b.do("send a reset link", chromedp.Navigate(e.URL+"/resetpassword/"), chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), "ada@example.com"),
		chromedp.Click(chromedp.CSS("#ask-form button")), chromedp.WaitVisible(chromedp.ID("form-success")))
	if id := brRun(b, "focused element", chromedp.Evaluate[string](`document.activeElement.id`)); id != "form-success" {
		t.Errorf("focus after sending the link = #%s, want #form-success", id)
	}
}

// TestBrowserUsedLinkSaysWhy: a used link says what voids a link, not that a
// newer link may have replaced it (a newer link voids nothing).
func TestBrowserUsedLinkSaysWhy(t *testing.T) {
	e := newEnv(t)
	e.register("ada@example.com", testPassword)
	token := e.resetToken("ada@example.com")
	if r := e.do("POST", "/api/v2/resetpassword/complete/", obj{"password": brNewPassword, "password_reset_token": token}, ""); r.Status != 200 {
		t.Fatalf("complete = %d %s", r.Status, r.Body)
	}
	b := brOpen(t)
	b.do("open the used link", chromedp.Navigate(brConfirmURL(e, token)), chromedp.WaitVisible(chromedp.CSS("#token-error a")))
	got := b.text("token-error")
	if strings.Contains(got, "newer") || !strings.Contains(got, "already used") {
		t.Errorf("#token-error = %q, want it to say the link was used, cancelled or the password changed, and nothing of newer links", got)
	}
}

// TestBrowserCaptchaBlocked: when the provider's script cannot load (a
// content blocker), the page says so instead of "Invalid captcha.".
func TestBrowserCaptchaBlocked(t *testing.T) {
	widget := web.PageCaptcha{ScriptURL: "http://127.0.0.1:1/widget.js", Origins: []string{"http://127.0.0.1:1"},
		WidgetClass: "test-captcha", ResponseField: "test-captcha-response", SiteKey: "site-key"}
	e := newEnv(t, func(o *envOptions) { o.Captcha = brCaptcha{}; o.Web.PageCaptcha = widget })
	b := brOpen(t)
	b.do("ask for a link without the widget",
		chromedp.Navigate(e.URL+"/resetpassword/"),
		chromedp.WaitReady(chromedp.CSS(`.captcha[data-captcha-state="failed"]`)),
		chromedp.SendKeys(chromedp.ID("email"), "ada@example.com\n"),
		chromedp.WaitVisible(chromedp.CSS(`#form-error:not(:empty)`)))
	if got := b.text("form-error"); !strings.Contains(got, "The captcha could not load") {
		t.Errorf("#form-error = %q, want it to say the captcha could not load", got)
	}
}

// TestBrowserDevInboxAddressWhole: the inbox shows an address on one line.
func TestBrowserDevInboxAddressWhole(t *testing.T) {
	e := newEnv(t)
	e.register("ada.lovelace@example.com", testPassword)
	e.resetToken("ada.lovelace@example.com")
	e.deliver()
	b := brOpen(t)
	b.do("open the inbox", chromedp.Navigate(e.URL+"/dev/mail/"), chromedp.WaitVisible(chromedp.CSS("td.address")))
	lines := brRun(b, "lines of the address", chromedp.Evaluate[int](`(() => {
		const r = document.createRange(); r.selectNodeContents(document.querySelector("td.address"));
		return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size })()`))
	if lines != 1 {
		t.Errorf("the inbox shows ada.lovelace@example.com on %d lines, want 1", lines)
	}
}
