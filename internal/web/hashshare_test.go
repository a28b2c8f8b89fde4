package web_test

import (
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accountd/accountd/internal/account"
)

// heldHasher holds every Verify of one password until released, and keeps
// the most such Verify calls that ran at once: the test decides how long a
// hash takes, so slots are held without timing.
type heldHasher struct {
	account.Hasher
	pw      string
	entered chan struct{}
	release chan struct{}

	mu        sync.Mutex
	now, peak int
}

func newHeldHasher(pw string) *heldHasher {
	return &heldHasher{pw: pw, entered: make(chan struct{}, 100), release: make(chan struct{})}
}

func (h *heldHasher) Verify(pw, encoded string) (bool, bool, error) {
	if pw == h.pw {
		h.mu.Lock()
		h.now++
		h.peak = max(h.peak, h.now)
		h.mu.Unlock()
		h.entered <- struct{}{}
		<-h.release
		h.mu.Lock()
		h.now--
		h.mu.Unlock()
	}
	return h.Hasher.Verify(pw, encoded)
}

// Peak is the most held Verify calls that ran at once.
func (h *heldHasher) Peak() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.peak
}

// hsPost sends a JSON POST with a token as if from ip behind the trusted
// proxy; safe to call from any goroutine (errors come back, no t.Fatal).
func hsPost(url, path, body, token, ip string) (response, error) {
	req, err := http.NewRequest("POST", url+path, strings.NewReader(body))
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", ip)
	if token != "" {
		req.Header.Set("Authorization", "Token "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return response{Status: res.StatusCode, Header: res.Header, Body: b}, err
}

// TestHashShareAbuserCannotStarveLogin reproduces issue 12 defect 5: with
// two hashing slots, 16 concurrent wrong-password change-password requests
// (one account from 16 IPs, or 16 accounts from one IP) held every slot and
// queued the rest, so another user's login waited and got 503. Now the
// abuser runs at most its share (one hash), two more wait, the rest are
// answered 429 at once, and the other user logs in while the abuser's hash
// is still running.
func TestHashShareAbuserCannotStarveLogin(t *testing.T) {
	for _, c := range []struct {
		name    string
		account func(i int) int    // which abusing account sends request i
		ip      func(i int) string // and from which IP
	}{
		{"one account from many IPs", func(int) int { return 0 },
			func(i int) string { return fmt.Sprintf("203.0.113.%d", i+1) }},
		{"many accounts from one IP", func(i int) int { return i },
			func(int) string { return "203.0.113.66" }},
	} {
		t.Run(c.name, func(t *testing.T) { testHashShare(t, c.account, c.ip) })
	}
}

func testHashShare(t *testing.T, accountOf func(int) int, ipOf func(int) string) {
	const abuse, queue = 16, 2
	const slowWrong = "Wrong-And-Held-4411"
	h := newHeldHasher(slowWrong)
	var released sync.Once
	letGo := func() { released.Do(func() { close(h.release) }) }
	defer letGo()
	var shareBusy atomic.Int64
	e := newEnv(t, func(o *envOptions) {
		o.Config.HashConcurrency = 2 // the abuser's share is 1
		o.Config.HashQueue = queue
		// Only the old code waits this long: here nobody waits for a slot
		// the abuser holds.
		o.Config.HashWait = 10 * time.Second
		// Out of the way: this test is about the hash share. With the
		// default 10 wrong passwords per account, 16 concurrent checks of
		// one account each take a unit before hashing and the refused give
		// theirs back, so under load some were refused by that budget
		// (Retry-After 90) instead of by the share; the budget has its own
		// tests (password_budget_test.go).
		o.Config.PasswordFailures = account.Rate{N: 1000, Per: time.Minute}
		o.Config.OnHashBusy = func(reason string) {
			if reason == "share" {
				shareBusy.Add(1)
			}
		}
		o.Hasher = func(inner account.Hasher) account.Hasher { h.Hasher = inner; return h }
		o.Web.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	})
	tokens := make([]string, abuse)
	for i := range tokens {
		email := fmt.Sprintf("mallory%d@example.com", accountOf(i))
		if accountOf(i) == i || i == 0 {
			tokens[i] = e.register(email, testPassword)
		} else {
			tokens[i] = e.login(email, testPassword)
		}
	}
	e.register("ada@example.com", testPassword)

	results := make(chan response, abuse)
	body := fmt.Sprintf(`{"password": %q, "new_password": "Battery-Staple-5501"}`, slowWrong)
	for i := range abuse {
		go func() {
			r, err := hsPost(e.URL, "/api/v2/changepassword/", body, tokens[i], ipOf(i))
			if err != nil {
				r = response{Body: []byte(err.Error())}
			}
			results <- r
		}()
	}
	<-h.entered // the abuser's first hash runs, and stays until letGo

	// The abuser's share runs and its queue is full: the rest are refused
	// at once, before anyone's hash finished.
	for range abuse - 1 - queue {
		r := <-results
		if r.Status != http.StatusTooManyRequests || r.Code(t, "") != "throttled" || r.Header.Get("Retry-After") != "1" {
			t.Errorf("abusing change-password = %d %s Retry-After %q, want 429 throttled, Retry-After 1",
				r.Status, r.Body, r.Header.Get("Retry-After"))
		}
	}
	login := `{"email": "ada@example.com", "password": "` + testPassword + `", "recaptcha": "x"}`
	r, err := hsPost(e.URL, "/api/v2/login/", login, "", "198.51.100.7")
	if err != nil || r.Status != http.StatusOK {
		t.Errorf("another user's login while the abuser holds its share = %d %s %v, want 200", r.Status, r.Body, err)
	}
	letGo()
	for range 1 + queue {
		r := <-results
		if r.Status != http.StatusBadRequest || r.Code(t, "password") != "authorization" {
			t.Errorf("abusing change-password that got its turn = %d %s, want 400 password/authorization", r.Status, r.Body)
		}
	}
	if p := h.Peak(); p != 1 {
		t.Errorf("the abuser's hashes running at once = %d, want 1 (its share)", p)
	}
	if n := shareBusy.Load(); n != abuse-1-queue {
		t.Errorf("OnHashBusy(\"share\") calls = %d, want %d", n, abuse-1-queue)
	}
}
