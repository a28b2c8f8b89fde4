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
