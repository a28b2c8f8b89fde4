package web_test

import (
	"context"
	"errors"
	"testing"

	"github.com/accountd/accountd/internal/account"
)

// brokenInbox is a development inbox whose database cannot answer.
type brokenInbox struct{}

var errInboxDown = errors.New("database is down")

func (brokenInbox) DevMails(context.Context, int) ([]account.DevMail, error) {
	return nil, errInboxDown
}
func (brokenInbox) DevMailByID(context.Context, int64) (account.DevMail, error) {
	return account.DevMail{}, errInboxDown
}

// TestDevMailDatabaseErrorIsUnavailable: a mail the inbox cannot read
// because the database fails is 503, not 404; only a missing mail is 404.
func TestDevMailDatabaseErrorIsUnavailable(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.Web.DevInbox = brokenInbox{} })
	for _, p := range []string{"/dev/mail/1/", "/dev/mail/1/html"} {
		if r := e.request("GET", p, "", nil); r.Status != 503 || r.Code(t, "") != "unavailable" {
			t.Errorf("GET %s with the database down = %d %s, want 503 unavailable", p, r.Status, r.Body)
		}
	}

	ok := newEnv(t)
	for _, p := range []string{"/dev/mail/999/", "/dev/mail/999/html", "/dev/mail/x/"} {
		if r := ok.request("GET", p, "", nil); r.Status != 404 {
			t.Errorf("GET %s of no such mail = %d %s, want 404", p, r.Status, r.Body)
		}
	}
}
