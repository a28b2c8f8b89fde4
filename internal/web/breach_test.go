package web_test

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/accountd/accountd/internal/pwned"
)

// TestBreachedPasswordIsRefused: with the check on, a password found by a
// local server speaking the range protocol is refused on register; with the
// server down the check is skipped.
func TestBreachedPasswordIsRefused(t *testing.T) {
	const leaked = "Summer-Holiday-2019!"
	var down atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		sum := sha1.Sum([]byte(leaked))
		h := strings.ToUpper(hex.EncodeToString(sum[:]))
		if strings.HasSuffix(r.URL.Path, "/"+h[:5]) {
			fmt.Fprintf(w, "%s:3861\r\n", h[5:])
		}
	}))
	defer srv.Close()
	e := newEnv(t, func(o *envOptions) {
		o.Config.Breached = pwned.New(srv.URL+"/range/", nil, slog.New(slog.DiscardHandler))
	})
	r := e.do("POST", "/api/v2/register/", obj{"email": "ada@example.com", "password": leaked, "tos_accepted": true}, "")
	if r.Status != 400 || r.Code(t, "password") != "password_breached" {
		t.Errorf("register with a breached password = %d %s, want 400 password/password_breached", r.Status, r.Body)
	}
	e.register("ada@example.com", testPassword)
	down.Store(true)
	e.register("bob@example.com", leaked) // the check is skipped while the service is down
}
