package web_test

import (
	"testing"
)

// lookAlikes read as ada@example.com (or nearly) but differ by a character
// that shows as nothing or reorders the text.
var lookAlikes = []string{
	"a\u200bda@example.com",  // zero-width space
	"ada\u200d@example.com",  // zero-width joiner
	"ada@exa\u200cmple.com",  // zero-width non-joiner, in the domain
	"\u202eada@example.com",  // right-to-left override
	"ada@example.com\u200f",  // right-to-left mark, after the domain
	"ada\u2066@example.com",  // left-to-right isolate
	"ad\u2060a@example.com",  // word joiner
	"\ufeffada@example.com",  // byte order mark
	"ada@example\u00ad.com",  // soft hyphen
	"ada\u00a0@example.com",  // no-break space
	"ada\u2028@example.com",  // line separator
	"ada\u115f@example.com",  // Hangul filler (default ignorable)
	"ada\ufe0f@example.com",  // variation selector
	"ada\u0085x@example.com", // next line (a C1 control)
}

// TestLookAlikeAddressesAreRefused: an address holding an invisible or
// bidirectional control character is refused with the contract's 400 on
// register, change of address and reset request, and creates nothing
// (issue 12, defect 14). Before, "a\u200bda@example.com" registered as a
// second account beside ada@example.com.
func TestLookAlikeAddressesAreRefused(t *testing.T) {
	e := newEnv(t)
	token := e.register("ada@example.com", testPassword)
	wantInvalid := func(t *testing.T, what string, r response, field string) {
		t.Helper()
		if r.Status != 400 || r.Code(t, field) != "invalid" {
			t.Fatalf("%s = %d %s, want 400 invalid on %s", what, r.Status, r.Body, field)
		}
		if msg := r.JSON(t)[field].([]any)[0].(map[string]any)["message"]; msg != "Enter a valid email address." {
			t.Errorf("%s message = %q, want %q", what, msg, "Enter a valid email address.")
		}
	}
	for _, addr := range lookAlikes {
		t.Run(addr, func(t *testing.T) {
			r := e.do("POST", "/api/v2/register/", obj{"email": addr, "password": "Other-Horse-8812",
				"tos_accepted": true, "recaptcha": "x"}, "")
			wantInvalid(t, "register", r, "email")
			r = e.do("POST", "/api/v2/changeemail/", obj{"password": testPassword, "new_email": addr}, token)
			wantInvalid(t, "change email", r, "new_email")
			r = e.do("POST", "/api/v2/resetpassword/", obj{"email": addr, "recaptcha": "x"}, "")
			wantInvalid(t, "reset request", r, "email")
		})
	}
	e.deliver()
	if n := len(e.inbox()); n != 0 {
		t.Errorf("the refused requests sent %d emails, want none", n)
	}
	r := e.do("POST", "/api/v2/login/", obj{"email": "a\u200bda@example.com", "password": "Other-Horse-8812",
		"recaptcha": "x"}, "")
	if r.Status != 400 {
		t.Errorf("login to the look-alike = %d %s, want 400: no such account", r.Status, r.Body)
	}
	if got := e.do("GET", "/api/v2/profile/", nil, token).JSON(t)["email"]; got != "ada@example.com" {
		t.Errorf("the account's address = %q, want it unchanged", got)
	}
}

// TestVisibleUnicodeAddressesStillWork: the rule refuses only invisible
// characters; letters outside ASCII in the local part and an
// internationalised domain are still valid addresses (docs/api.md#conventions).
func TestVisibleUnicodeAddressesStillWork(t *testing.T) {
	e := newEnv(t)
	for _, addr := range []string{"jörg@example.com", "ada@bücher.example", "用户@例子.广告"} {
		e.register(addr, testPassword)
	}
}
