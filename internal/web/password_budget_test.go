package web_test

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/ratelimit"
	"github.com/accountd/accountd/internal/testenv"
)

// Tests of the password-failure budget and the per-IP keys against the
// attacks of issue 12 (defects 1, 2, 3, 6, 11), on the in-memory limiter and,
// when ACCOUNTD_TEST_REDIS_URL is set, on Redis.

// testRedisLimiter returns a Redis limiter on ACCOUNTD_TEST_REDIS_URL under
// a fresh key prefix (keys expire by themselves once their bucket is full).
func testRedisLimiter(t *testing.T) ratelimit.Limiter {
	t.Helper()
	opt, err := redis.ParseURL(os.Getenv("ACCOUNTD_TEST_REDIS_URL"))
	if err != nil {
		t.Fatalf("ACCOUNTD_TEST_REDIS_URL: %v", err)
	}
	c := redis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	return ratelimit.NewRedis(c, "accountd:webtest:"+rand.Text()+":")
}

// limiterKinds runs test with the rate limits on, in memory and in Redis.
func limiterKinds(t *testing.T, test func(t *testing.T, opts func(*envOptions))) {
	t.Run("memory", func(t *testing.T) { test(t, withLimits(nil)) })
	t.Run("redis", func(t *testing.T) {
		if os.Getenv("ACCOUNTD_TEST_REDIS_URL") == "" {
			testenv.Skip(t, testenv.Redis, "ACCOUNTD_TEST_REDIS_URL is not set")
		}
		test(t, func(o *envOptions) {
			withLimits(nil)(o)
			o.Web.Limiter = testRedisLimiter(t)
		})
	})
}

// burst sends n requests at once (released together) and returns how many
// got each status.
func burst(n int, send func(i int) int) map[int]int {
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		start  = make(chan struct{})
		counts = map[int]int{}
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			status := send(i)
			mu.Lock()
			counts[status]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return counts
}

// post sends a JSON POST from ip behind the trusted proxy, with a token when
// not "", and returns the response without failing the test (goroutines).
func (e *env) post(ip, path, body, token string) (response, error) {
	req, err := http.NewRequest("POST", e.URL+path, strings.NewReader(body))
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
	return response{Status: res.StatusCode, Header: res.Header}, nil
}

// TestLoginFailureBudgetNotRaced (defect 1): 20 logins sent at once, 19
// wrong and the right one, with a budget of 10 failures: at most 10 wrong
// ones are checked, the others get 429, and once the budget is spent even
// the right password is throttled from that network.
func TestLoginFailureBudgetNotRaced(t *testing.T) {
	limiterKinds(t, func(t *testing.T, opts func(*envOptions)) {
		e := newEnv(t, opts)
		e.register("ada@example.com", testPassword)
		counts := burst(20, func(i int) int {
			pw := fmt.Sprintf("wrong-password-%d", i)
			if i == 19 {
				pw = testPassword
			}
			r, err := e.post("203.0.113.9", "/api/v2/login/", `{"email": "ada@example.com", "password": "`+pw+`"}`, "")
			if err != nil {
				t.Error(err)
			}
			return r.Status
		})
		// A success gives its attempt back, so the right password may be
		// checked besides 10 wrong ones, never more wrong ones.
		if counts[400] > 10 || counts[200] > 1 {
			t.Errorf("20 concurrent logins with a budget of 10 = %v, want at most 10 wrong passwords checked (400)", counts)
		}
		if counts[200]+counts[400]+counts[429] != 20 {
			t.Errorf("statuses = %v, want only 200, 400 and 429", counts)
		}
		if counts[200] == 0 {
			r := e.from("203.0.113.9", "/api/v2/login/", `{"email": "ada@example.com", "password": "`+testPassword+`"}`)
			if r.Status != 429 {
				t.Errorf("the right password after the burst = %d, want 429", r.Status)
			}
		}
	})
}

// TestCurrentPasswordChecksAreBudgeted (defect 3): with a stolen login
// token, wrong current passwords on change password, change email and
// delete account count per account; after 10, even the right one is 429.
func TestCurrentPasswordChecksAreBudgeted(t *testing.T) {
	tests := []struct {
		path string
		body func(pw string) string
	}{
		{"/api/v2/changepassword/", func(pw string) string {
			return `{"password": "` + pw + `", "new_password": "Battery-Staple-5501"}`
		}},
		{"/api/v2/changeemail/", func(pw string) string {
			return `{"password": "` + pw + `", "new_email": "eve@example.com"}`
		}},
		{"/api/v2/deleteaccount/", func(pw string) string { return `{"password": "` + pw + `", "recaptcha": "x"}` }},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			limiterKinds(t, func(t *testing.T, opts func(*envOptions)) {
				e := newEnv(t, opts)
				tok := e.register("ada@example.com", testPassword)
				// Guesses from many addresses: the budget is the account's.
				counts := burst(20, func(i int) int {
					ip := fmt.Sprintf("198.51.%d.%d", i/200, i%200+1)
					r, err := e.post(ip, tt.path, tt.body(fmt.Sprintf("wrong-password-%d", i)), tok)
					if err != nil {
						t.Error(err)
					}
					return r.Status
				})
				if counts[400] > 10 || counts[400]+counts[429] != 20 {
					t.Errorf("20 concurrent wrong passwords = %v, want at most 10 checked (400), the rest 429", counts)
				}
				r, err := e.post("192.0.2.1", tt.path, tt.body(testPassword), tok)
				if err != nil {
					t.Fatal(err)
				}
				if r.Status != 429 {
					t.Errorf("the right password after 20 wrong ones = %d, want 429", r.Status)
				}
			})
		})
	}
}

// TestRegisterExistingCountsAsLogin (defect 6): registering with an
// existing address and its password is a login attempt, in the same
// budget: once locked out, /register/ does not log in either, and
// concurrent guesses through it are checked at most 10 times.
func TestRegisterExistingCountsAsLogin(t *testing.T) {
	limiterKinds(t, func(t *testing.T, opts func(*envOptions)) {
		// The per-IP register limit (10/hour) is raised: the login budget
		// alone must hold.
		e := newEnv(t, opts, func(o *envOptions) { o.Web.Limits.Register = ratelimit.PerHour(1000) })
		e.register("ada@example.com", testPassword)
		counts := burst(20, func(i int) int {
			body := fmt.Sprintf(`{"email": "ada@example.com", "password": "wrong-password-%d", "tos_accepted": true}`, i)
			r, err := e.post("203.0.113.10", "/api/v2/register/", body, "")
			if err != nil {
				t.Error(err)
			}
			return r.Status
		})
		if counts[400] > 10 || counts[400]+counts[429] != 20 {
			t.Errorf("20 concurrent registrations with wrong passwords = %v, want at most 10 checked (400)", counts)
		}
		right := `{"email": "ada@example.com", "password": "` + testPassword + `", "tos_accepted": true}`
		if r := e.from("203.0.113.10", "/api/v2/register/", right); r.Status != 429 {
			t.Errorf("register with the right password after the guesses = %d %s, want 429", r.Status, r.Body)
		}
	})
}

// TestRegisterExistingAfterLoginLockout (defect 6): a network locked out
// of login for an address cannot log in through /register/.
func TestRegisterExistingAfterLoginLockout(t *testing.T) {
	e := newEnv(t, withLimits(nil))
	e.register("ada@example.com", testPassword)
	for i := range 10 {
		body := fmt.Sprintf(`{"email": "ada@example.com", "password": "wrong-password-%d"}`, i)
		if r := e.from("203.0.113.11", "/api/v2/login/", body); r.Status != 400 {
			t.Fatalf("wrong login %d = %d, want 400", i+1, r.Status)
		}
	}
	right := `{"email": "ada@example.com", "password": "` + testPassword + `", "tos_accepted": true}`
	if r := e.from("203.0.113.11", "/api/v2/register/", right); r.Status != 429 {
		t.Errorf("register with the right password after 10 failed logins = %d %s, want 429", r.Status, r.Body)
	}
}

// TestLockedUnknownAddressLooksLikeKnown: the budget is keyed on the typed
// address, so a locked address answers the same whether or not it has an
// account.
func TestLockedUnknownAddressLooksLikeKnown(t *testing.T) {
	e := newEnv(t, withLimits(nil))
	e.register("ada@example.com", testPassword)
	answer := func(email, ip string) response {
		for i := range 10 {
			body := fmt.Sprintf(`{"email": %q, "password": "wrong-password-%d"}`, email, i)
			if r := e.from(ip, "/api/v2/login/", body); r.Status != 400 {
				t.Fatalf("wrong login %d for %s = %d, want 400", i+1, email, r.Status)
			}
		}
		return e.from(ip, "/api/v2/login/", `{"email": "`+email+`", "password": "wrong-password-x"}`)
	}
	known, unknown := answer("ada@example.com", "203.0.113.20"), answer("nobody@example.com", "203.0.113.21")
	if known.Status != 429 || unknown.Status != known.Status || string(unknown.Body) != string(known.Body) ||
		unknown.Header.Get("Retry-After") != known.Header.Get("Retry-After") {
		t.Errorf("locked known address = %d %s (Retry-After %s), unknown = %d %s (Retry-After %s), want the same 429",
			known.Status, known.Body, known.Header.Get("Retry-After"),
			unknown.Status, unknown.Body, unknown.Header.Get("Retry-After"))
	}
}

// TestIPv6ClientsKeyedByPrefix (defect 2): rotating the low 64 bits of an
// IPv6 address does not give fresh buckets.
func TestIPv6ClientsKeyedByPrefix(t *testing.T) {
	t.Run("login", func(t *testing.T) {
		e := newEnv(t, withLimits(nil))
		e.register("ada@example.com", testPassword)
		for i := range 40 {
			ip := fmt.Sprintf("2001:db8:1:2:%x::%x", i+1, i+7)
			e.from(ip, "/api/v2/login/", fmt.Sprintf(`{"email": "ada@example.com", "password": "wrong-password-%d"}`, i))
		}
		r := e.from("2001:db8:1:2:ffff:1:2:3", "/api/v2/login/", `{"email": "ada@example.com", "password": "`+testPassword+`"}`)
		if r.Status != 429 {
			t.Errorf("the right password after 40 wrong ones from one /64 = %d, want 429", r.Status)
		}
		// Another /64 is another client.
		if r := e.from("2001:db8:1:3::1", "/api/v2/login/", `{"email": "ada@example.com", "password": "`+testPassword+`"}`); r.Status != 200 {
			t.Errorf("the right password from another /64 = %d %s, want 200", r.Status, r.Body)
		}
	})
	t.Run("reset", func(t *testing.T) {
		e := newEnv(t, withLimits(nil), withFrozenLimiter())
		throttled := 0
		for i := range 30 {
			ip := fmt.Sprintf("2001:db8:9:9:%x:%x::1", i, i*7)
			if r := e.from(ip, "/api/v2/resetpassword/", `{"email": "ada@example.com"}`); r.Status == 429 {
				throttled++
			}
		}
		if throttled != 20 {
			t.Errorf("30 reset requests from one /64 with a limit of 10 a minute: %d throttled, want 20", throttled)
		}
	})
	t.Run("prefix is configurable", func(t *testing.T) {
		e := newEnv(t, withLimits(nil), func(o *envOptions) { o.Web.IPv6Prefix = 128 })
		for i := range 12 {
			ip := fmt.Sprintf("2001:db8:9:9::%x", i+1)
			if r := e.from(ip, "/api/v2/resetpassword/", `{"email": "ada@example.com"}`); r.Status != 204 {
				t.Errorf("reset request %d from its own /128 = %d, want 204", i+1, r.Status)
			}
		}
	})
}

// TestRandomTokensShareTheIPLimit (defect 11): made-up tokens do not each
// get a bucket of the general limit; they count for the IP.
func TestRandomTokensShareTheIPLimit(t *testing.T) {
	e := newEnv(t, withLimits(nil), withFrozenLimiter())
	throttled := 0
	for range 300 {
		tok := randomToken()
		r := e.request("GET", "/api/v2/profile/", "", http.Header{"Authorization": {"Token " + tok},
			"X-Forwarded-For": {"203.0.113.30"}})
		switch r.Status {
		case 429:
			throttled++
		case 401:
		default:
			t.Fatalf("a made-up token = %d %s, want 401 or 429", r.Status, r.Body)
		}
	}
	if throttled != 60 {
		t.Errorf("300 requests with made-up tokens from one IP, general limit 240/min: %d throttled, want 60", throttled)
	}
}

// randomToken returns a well-formed token that no account has.
func randomToken() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 40)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// TestPasswordSprayFromManyNetworksIsCapped (ASVS 2.2.1, issue 14): wrong
// passwords for one address from many networks share one budget; once it
// is spent even the right password from a new network waits (429), and
// another address is not affected.
func TestPasswordSprayFromManyNetworksIsCapped(t *testing.T) {
	limiterKinds(t, func(t *testing.T, opts func(*envOptions)) {
		e := newEnv(t, opts, func(o *envOptions) {
			o.Config.AddressPasswordFailures = account.Rate{N: 20, Per: time.Hour}
		})
		e.register("ada@example.com", testPassword)
		e.register("bob@example.com", testPassword)
		for i := range 20 {
			ip := fmt.Sprintf("198.51.%d.7", i)
			if r := e.from(ip, "/api/v2/login/", `{"email": "ada@example.com", "password": "wrong-password"}`); r.Status != 400 {
				t.Fatalf("wrong password %d from %s = %d, want 400", i+1, ip, r.Status)
			}
		}
		r := e.from("192.0.2.200", "/api/v2/login/", `{"email": "ada@example.com", "password": "`+testPassword+`"}`)
		if r.Status != 429 || r.Header.Get("Retry-After") == "" {
			t.Errorf("the right password from a new network after 20 failures from 20 = %d, want 429 with Retry-After", r.Status)
		}
		if r := e.from("198.51.0.7", "/api/v2/login/", `{"email": "bob@example.com", "password": "`+testPassword+`"}`); r.Status != 200 {
			t.Errorf("another address from a spraying network = %d, want 200", r.Status)
		}
	})
}

// withFrozenLimiter counts the rate limits on a clock that does not move, so
// a test can count exactly how many requests a limit refuses however slowly
// it runs (a real-time limiter gives slots back while the test sends).
func withFrozenLimiter() func(*envOptions) {
	frozen := &clock{t: time.Date(2026, 11, 27, 13, 58, 10, 0, time.UTC)}
	return func(o *envOptions) { o.Web.Limiter = ratelimit.NewMemory(frozen.Now) }
}
