package web_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// unchangedMsg is the refusal of a new password equal to the current one.
var unchangedMsg = []apiMsg{{"The new password must differ from the current one.", "password_unchanged"}}

// TestChangePasswordToTheSamePassword: the same password, also in another
// Unicode form of it (NFKC), is refused on new_password, after the current
// password is checked; nothing changes and no mail goes out.
func TestChangePasswordToTheSamePassword(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.register("ada@example.com", testPassword)
	fullWidthC := "\uff23" + testPassword[1:] // Ｃ: NFKC makes it C
	for _, next := range []string{testPassword, fullWidthC} {
		r := apiPost(e, "/api/v2/changepassword/", obj{"password": testPassword, "new_password": next}, tok)
		want := map[string][]apiMsg{"new_password": unchangedMsg}
		if diff := cmp.Diff(want, apiFields(t, r)); r.Status != 400 || diff != "" {
			t.Errorf("changepassword to %q = %d, body mismatch (-want +got):\n%s", next, r.Status, diff)
		}
	}
	// The current password is checked first: a wrong one is what is said.
	r := apiPost(e, "/api/v2/changepassword/", obj{"password": "Wrong-Password-1", "new_password": "Wrong-Password-1"}, tok)
	if diff := cmp.Diff(map[string][]apiMsg{"password": {{"Wrong password.", "authorization"}}}, apiFields(t, r)); diff != "" {
		t.Errorf("changepassword with a wrong current equal to the new (-want +got):\n%s", diff)
	}
	if r := e.do("GET", "/api/v2/profile/", nil, tok); r.Status != 200 {
		t.Errorf("the token after a refused change = %d, want 200", r.Status)
	}
	e.deliver()
	for _, m := range e.inbox() {
		t.Errorf("inbox after a refused change has %q, want nothing", m.Subject)
	}
}

// TestResetToTheSamePassword: a reset to the current password is refused on
// password; the link still works for another password.
func TestResetToTheSamePassword(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.register("ada@example.com", testPassword)
	token := e.resetToken("ada@example.com")
	r := apiPost(e, "/api/v2/resetpassword/complete/", obj{"password": testPassword, "password_reset_token": token, "recaptcha": "x"}, "")
	if diff := cmp.Diff(map[string][]apiMsg{"password": unchangedMsg}, apiFields(t, r)); r.Status != 400 || diff != "" {
		t.Errorf("reset to the same password = %d, body mismatch (-want +got):\n%s", r.Status, diff)
	}
	r = apiPost(e, "/api/v2/resetpassword/complete/", obj{"password": "Battery-Staple-5501", "password_reset_token": token, "recaptcha": "x"}, "")
	if r.Status != 200 {
		t.Errorf("reset to another password with the same link = %d %s, want 200", r.Status, r.Body)
	}
}
