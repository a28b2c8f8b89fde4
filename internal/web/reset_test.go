package web_test

import "testing"

func TestResetFlow(t *testing.T) {
	e := newEnv(t)
	old := e.register("ada@example.com", testPassword)
	tok := e.resetToken("ada@example.com")
	r := e.do("POST", "/api/v2/resetpassword/complete/", obj{"password": "Battery-Staple-5501", "password_reset_token": tok}, "")
	if r.Status != 200 {
		t.Fatalf("complete = %d %s, want 200", r.Status, r.Body)
	}
	if r := e.do("GET", "/api/v2/profile/", nil, old); r.Status != 401 {
		t.Errorf("profile with the old token = %d, want 401", r.Status)
	}
}
