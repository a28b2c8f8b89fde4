package web_test

import (
	"net/http"
	"testing"
)

func TestDuplicateJSONKeysAreInvalid(t *testing.T) {
	e := newEnv(t)
	r := e.request("POST", "/api/v2/register/",
		`{"email":"ada@example.com","email":"eve@example.com","password":"`+testPassword+`","tos_accepted":true}`,
		http.Header{"Content-Type": {"application/json"}})
	if r.Status != 400 || r.Code(t, "email") != "invalid" {
		t.Fatalf("register with a duplicate key = %d %s, want 400 email/invalid", r.Status, r.Body)
	}
	// Nothing was created under either address.
	for _, email := range []string{"ada@example.com", "eve@example.com"} {
		if r := e.do("POST", "/api/v2/login/", obj{"email": email, "password": testPassword}, ""); r.Status != 400 {
			t.Errorf("login as %s after the refused register = %d, want 400", email, r.Status)
		}
	}
}

func TestNullCharactersAndBadUTF8AreInvalid(t *testing.T) {
	e := newEnv(t)
	tok := e.register("ada@example.com", testPassword)
	r := e.do("PATCH", "/api/v2/profile/", obj{"first_name": "Ada\u0000"}, tok)
	if r.Status != 400 || r.Code(t, "first_name") != "invalid" {
		t.Errorf("PATCH with a NUL = %d %s, want 400 first_name/invalid", r.Status, r.Body)
	}
	r = e.request("POST", "/api/v2/login/", "email=ada%40example.com&password=%FF%FE", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	if r.Status != 400 || r.Code(t, "password") != "invalid" {
		t.Errorf("login with invalid UTF-8 = %d %s, want 400 password/invalid", r.Status, r.Body)
	}
	// A User-Agent of arbitrary bytes is stored cleaned, not refused.
	r = e.request("POST", "/api/v2/resetpassword/", `{"email": "ada@example.com"}`,
		http.Header{"Content-Type": {"application/json"}, "User-Agent": {"bot\xff\xfe"}})
	if r.Status != 204 {
		t.Errorf("reset request with a binary User-Agent = %d %s, want 204", r.Status, r.Body)
	}
}
