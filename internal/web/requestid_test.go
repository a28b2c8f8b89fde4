package web_test

import (
	"regexp"
	"strings"
	"testing"
)

// TestErrorLineCarriesTheRequestID: the error line a failed request writes
// carries the same request_id as its access line and its X-Request-Id
// header, so an operator can match them.
func TestErrorLineCarriesTheRequestID(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.Web.DevInbox = brokenInbox{} })
	r := e.request("GET", "/dev/mail/", "", nil)
	if r.Status != 503 {
		t.Fatalf("GET /dev/mail/ with the database down = %d, want 503", r.Status)
	}
	id := r.Header.Get("X-Request-Id")
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(id) {
		t.Fatalf("X-Request-Id = %q, want 16 hex digits", id)
	}
	var errorLine, accessLine string
	for _, l := range strings.Split(e.Logs.String(), "\n") {
		switch {
		case strings.Contains(l, `msg="request failed"`):
			errorLine = l
		case strings.Contains(l, "msg=request ") && strings.Contains(l, "status=503"):
			accessLine = l
		}
	}
	for name, line := range map[string]string{"error": errorLine, "access": accessLine} {
		if !strings.Contains(line, " request_id="+id) {
			t.Errorf("%s line = %q, want request_id=%s", name, line, id)
		}
	}
}
