package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The change-of-address and activation confirm pages (docs/api.md#change-of-address, docs/api.md#activation, docs/api.md#dashboard-pages)
// in a real headless Chromium. Opening a page changes nothing; only its
// button does.

// sfChangeDoneOrError matches the success message of the change-of-address
// page, or any error it shows, so a failed submit ends the wait at once.
const sfChangeDoneOrError = `#form-success:not([hidden]), #changeemail-form .error:not(:empty)`

// sfActivationDoneOrError is the same for the activation page.
const sfActivationDoneOrError = `#form-success:not([hidden]), #activation-form .error:not(:empty)`

// sfPageErrors is the text of every error the page shows.
const sfPageErrors = `[...document.querySelectorAll(".error")].map(e => e.textContent).join(" | ")`

// sfChangeLinkOf returns the confirm link of the newest change-of-address
// mail to email, on the test server.
func sfChangeLinkOf(t *testing.T, e *env, email string) string {
	t.Helper()
	mails := sfMails(e, email, sfSubjectConfirm)
	if len(mails) == 0 {
		t.Fatalf("no %q mail to %s", sfSubjectConfirm, email)
	}
	link := sfChangeLink.FindString(mails[0].Text)
	if link == "" {
		t.Fatalf("mail to %s has no confirm link:\n%s", email, mails[0].Text)
	}
	return brLocal(t, e, link)
}

// sfChangeReviewOrError matches the step of the change-of-address page that
// shows the new address, or any error the sign-in gave.
const sfChangeReviewOrError = `#changeemail-review:not([hidden]), #changeemail-form .error:not(:empty)`

// sfSignInChange opens the change-of-address page and signs in on it, then
// waits for the step that shows the new address, or an error. It reports
// whether that step is shown.
func sfSignInChange(b *brBrowser, link, email, pw string) bool {
	b.t.Helper()
	b.do("open the change-of-address page", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("email")))
	b.do("sign in",
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), pw),
		chromedp.Click(chromedp.CSS("#changeemail-form button")),
		chromedp.WaitVisible(chromedp.CSS(sfChangeReviewOrError)))
	return brRun(b, "is the review shown", chromedp.Evaluate[bool](`!document.getElementById("changeemail-review").hidden`))
}

// sfSubmitChange signs in on the change-of-address page and, when it shows
// the new address, confirms; then waits for the success message or an error.
func sfSubmitChange(b *brBrowser, link, email, pw string) {
	b.t.Helper()
	if sfSignInChange(b, link, email, pw) {
		b.do("confirm the move", chromedp.Click(chromedp.ID("review-confirm")),
			chromedp.WaitVisible(chromedp.CSS(sfChangeDoneOrError)))
	}
}

func TestBrowserChangeEmailConfirm(t *testing.T) {
	e := newEnv(t)
	const oldEmail, newEmail = "ada@example.com", "ada.new@example.org"
	ada := e.register(oldEmail, testPassword)
	code := sfAskChange(t, e, ada, newEmail)
	link := sfChangeLinkOf(t, e, newEmail)
	b := brOpen(t)

	b.do("open the page", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("#changeemail-form button")))
	if got := sfProfile(t, e, ada)["email"]; got != oldEmail {
		t.Fatalf("profile email after opening the page = %v, want %s: opening the link changed the address", got, oldEmail)
	}
	if s := sfLoginStatus(e, newEmail, testPassword); s != 400 {
		t.Errorf("login with the new address after opening the page = %d, want 400", s)
	}

	sfSubmitChange(b, link, oldEmail, testPassword)
	if errs := brRun(b, "errors", chromedp.Evaluate[string](sfPageErrors)); strings.Trim(errs, " |") != "" {
		t.Fatalf("the page shows %q, want the success message", errs)
	}
	if got := b.text("form-success"); !strings.Contains(got, "has been changed") {
		t.Errorf("#form-success = %q, want it to say the address has been changed", got)
	}
	b.do("the form is hidden after success", chromedp.WaitNotVisible(chromedp.ID("changeemail-form")))
	// The move signs out every other login (issue 12 A14): the token of the
	// registration is gone, the new address signs in.
	if r := e.do("GET", "/api/v2/profile/", nil, ada); r.Status != 401 {
		t.Errorf("profile with the token from before the move = %d, want 401", r.Status)
	}
	ada = e.login(newEmail, testPassword)
	p := sfProfile(t, e, ada)
	if p["email"] != newEmail || p["email_is_verified"] != true {
		t.Errorf("profile after the page: email %v, verified %v; want %s, true", p["email"], p["email_is_verified"], newEmail)
	}
	hist := brRun(b, "history", chromedp.NavigationEntries())
	for _, h := range hist.Entries {
		if strings.Contains(h.URL, code) {
			t.Errorf("history entry %d = %s holds the confirmation code after success", h.ID, h.URL)
		}
	}
	sfWantField(t, "the code after the page used it", sfCompleteChange(e, ada, code), "confirmation_code", "invalid")
}

// The page names the address the account would move to, as the server
// knows it, before anything changes; cancelling changes nothing (issue 12 A4).
func TestBrowserChangeEmailShowsNewAddress(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", testPassword)
	code := sfAskChange(t, e, ada, "mallory@example.net")
	b := brOpen(t)

	if !sfSignInChange(b, sfChangeLinkOf(t, e, "mallory@example.net"), "ada@example.com", testPassword) {
		t.Fatalf("after signing in the page shows %q, want the new address", brRun(b, "errors", chromedp.Evaluate[string](sfPageErrors)))
	}
	if got := b.text("review-new-email"); got != "mallory@example.net" {
		t.Errorf("#review-new-email = %q, want mallory@example.net", got)
	}
	if got := b.text("review-email"); got != "ada@example.com" {
		t.Errorf("#review-email = %q, want ada@example.com", got)
	}
	if got := sfProfile(t, e, ada)["email"]; got != "ada@example.com" {
		t.Fatalf("profile email while the page asks = %v, want unchanged", got)
	}
	b.do("cancel", chromedp.Click(chromedp.ID("review-cancel")),
		chromedp.WaitVisible(chromedp.CSS(sfChangeDoneOrError)))
	if got := b.text("form-error"); !strings.Contains(got, "Nothing was changed") {
		t.Errorf("#form-error after cancel = %q, want it to say nothing changed", got)
	}
	if got := sfProfile(t, e, ada)["email"]; got != "ada@example.com" {
		t.Errorf("profile email after cancel = %v, want unchanged", got)
	}
	sfWantStatus(t, "the code after cancel (not consumed)", ecCheck(e, ada, code), 200)
}

func TestBrowserChangeEmailWrongPassword(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", testPassword)
	code := sfAskChange(t, e, ada, "new@example.com")
	b := brOpen(t)

	sfSubmitChange(b, sfChangeLinkOf(t, e, "new@example.com"), "ada@example.com", "Wrong-Horse-0000")
	if got := b.text("form-error"); !strings.Contains(got, "Unable to log in") {
		t.Errorf("#form-error = %q, want the login error", got)
	}
	b.do("the form stays", chromedp.WaitVisible(chromedp.ID("changeemail-form")))
	b.do("no success message", chromedp.WaitNotVisible(chromedp.ID("form-success")))
	if got := sfProfile(t, e, ada)["email"]; got != "ada@example.com" {
		t.Errorf("profile email after a wrong password = %v, want unchanged", got)
	}
	// The code was not consumed.
	sfWantStatus(t, "complete after the refused page", sfCompleteChange(e, ada, code), 204)
}

func TestBrowserChangeEmailOtherAccount(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", testPassword)
	bob := e.register("bob@example.com", testPassword)
	sfAskChange(t, e, ada, "new@example.com")
	b := brOpen(t)

	sfSubmitChange(b, sfChangeLinkOf(t, e, "new@example.com"), "bob@example.com", testPassword)
	if got := b.text("form-error"); !strings.Contains(got, "not valid") {
		t.Errorf("#form-error = %q, want it to say the link is not valid", got)
	}
	for who, tok := range map[string]string{"ada@example.com": ada, "bob@example.com": bob} {
		if got := sfProfile(t, e, tok)["email"]; got != who {
			t.Errorf("%s's email after bob used ada's link = %v, want unchanged", who, got)
		}
	}
}

// sfActivationPage opens the activation page of the newest activation mail
// to email.
func sfActivationPage(t *testing.T, e *env, b *brBrowser, email string) {
	t.Helper()
	e.deliver()
	mails := sfMails(e, email, activationSubject)
	if len(mails) == 0 {
		t.Fatalf("no activation mail to %s", email)
	}
	link := sfActivationLink.FindString(mails[0].Text)
	if link == "" {
		t.Fatalf("activation mail has no link:\n%s", mails[0].Text)
	}
	b.do("open the activation page", chromedp.Navigate(brLocal(t, e, link)),
		chromedp.WaitVisible(chromedp.CSS("#activation-form button")))
}

func TestBrowserActivationConfirm(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", testPassword)
	b := brOpen(t)

	sfActivationPage(t, e, b, "ada@example.com")
	if got := sfActivation(t, e, ada)["email_is_verified"]; got != false {
		t.Fatalf("email_is_verified after opening the page = %v, want false: opening the link verified", got)
	}
	b.do("confirm", chromedp.Click(chromedp.CSS("#activation-form button")),
		chromedp.WaitVisible(chromedp.CSS(sfActivationDoneOrError)))
	if errs := brRun(b, "errors", chromedp.Evaluate[string](sfPageErrors)); strings.Trim(errs, " |") != "" {
		t.Fatalf("the page shows %q, want the success message", errs)
	}
	if got := b.text("form-success"); !strings.Contains(got, "confirmed") {
		t.Errorf("#form-success = %q, want it to say the address is confirmed", got)
	}
	if got := sfActivation(t, e, ada)["email_is_verified"]; got != true {
		t.Errorf("email_is_verified after the button = %v, want true", got)
	}
}

func TestBrowserActivationExpired(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", testPassword)
	e.Clock.Advance(73 * time.Hour)
	b := brOpen(t)

	sfActivationPage(t, e, b, "ada@example.com")
	b.do("confirm", chromedp.Click(chromedp.CSS("#activation-form button")),
		chromedp.WaitVisible(chromedp.CSS(sfActivationDoneOrError)))
	if got := b.text("form-error"); !strings.Contains(got, "expired") {
		t.Errorf("#form-error = %q, want it to say the link has expired", got)
	}
	if got := sfActivation(t, e, ada)["email_is_verified"]; got != false {
		t.Errorf("email_is_verified after an expired link = %v, want false", got)
	}
}
