package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// A Redis URL that does not parse is refused with an error that names the
// setting and leaves the password out, whatever is wrong with it.
func TestBadRedisURLKeepsThePasswordOut(t *testing.T) {
	const pw = "s3cretPW"
	for _, u := range []string{
		"redis://user:" + pw + "@127.0.0.1:6379/notanumber",
		"redis://user:" + pw + "%zz@127.0.0.1:6379/0",
		"redis://user:" + pw + "@127.0.0.1:port/0",
		"rediss://:" + pw + "@[::1/0",
	} {
		var out, errb bytes.Buffer
		err := run(context.Background(), []string{"serve", "-dev"}, env(map[string]string{
			"ACCOUNTD_DATABASE_URL": filepath.Join(t.TempDir(), "a.db"), "ACCOUNTD_REDIS_URL": u,
			"ACCOUNTD_ADDR": "127.0.0.1:0", "ACCOUNTD_ADMIN_ADDR": "127.0.0.1:0"}), &out, &errb)
		if err == nil {
			t.Errorf("serve with ACCOUNTD_REDIS_URL=%q started, want a refusal", u)
			continue
		}
		for _, s := range []string{err.Error(), out.String(), errb.String()} {
			if strings.Contains(s, pw) || strings.Contains(s, "s3cret") {
				t.Errorf("the refusal of a bad Redis URL shows the password: %q", s)
			}
		}
		if !strings.Contains(err.Error(), "ACCOUNTD_REDIS_URL") {
			t.Errorf("refusal %q does not name ACCOUNTD_REDIS_URL", err)
		}
	}
}
