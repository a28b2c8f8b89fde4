package web_test

import (
	"testing"

	"github.com/accountd/accountd/internal/account"
)

func TestNoAccountNoticeWhenEnabled(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.Config.NotifyUnknownAddress = true })
	ask := func(email string) {
		t.Helper()
		if r := e.do("POST", "/api/v2/resetpassword/", obj{"email": email}, ""); r.Status != 204 || len(r.Body) != 0 {
			t.Fatalf("reset request for %s = %d %q, want 204 with no body", email, r.Status, r.Body)
		}
	}
	for i := 0; i < 5; i++ {
		ask("Nobody@Example.com")
	}
	ask("nöbody@example.com")
	e.deliver()
	mails := e.inbox()
	if len(mails) != 3 {
		t.Fatalf("5 requests for an unknown address sent %d notices, want the cap of 3", len(mails))
	}
	for _, m := range mails {
		if m.To != "nobody@example.com" || m.Subject != "Password reset requested for an address without an account" {
			t.Errorf("notice to %q with subject %q, want the no-account notice to nobody@example.com", m.To, m.Subject)
		}
	}
	events, err := e.Store.Events(t.Context(), account.EventFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	sent := 0
	for _, ev := range events {
		if ev.Type == "reset_requested" && ev.Detail == "no active account; notice sent" {
			sent++
		}
	}
	if sent != 3 {
		t.Errorf("%d reset_requested events say a notice was sent, want 3", sent)
	}
}
