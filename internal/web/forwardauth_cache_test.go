package web_test

import (
	"context"
	"encoding/base32"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/twofactor"
)

// The principal cache (account/principalcache.go): forward auth keeps its
// answers for ACCOUNTD_FORWARD_AUTH_CACHE, yet every change this node makes
// applies to the very next request, and a change it cannot see (another
// node without Redis, the CLI on the same database) within the cache's
// lifetime.

func withPrincipalCache(ttl time.Duration) func(*envOptions) {
	return func(o *envOptions) { o.Config.PrincipalCacheTTL = ttl }
}

// wantVerify asks /auth/verify with token and checks the status.
func wantVerify(t *testing.T, e *env, what, token string, status int) *http.Response {
	t.Helper()
	res := verify(t, e, "GET", "", token, nil)
	if res.StatusCode != status {
		t.Errorf("%s: /auth/verify = %d, want %d", what, res.StatusCode, status)
	}
	return res
}

func TestForwardAuthCacheForgetsEveryChangeAtOnce(t *testing.T) {
	e := newEnv(t, withForwardAuth(), withPrincipalCache(account.DefaultPrincipalCacheTTL))
	a := newAdminAPI(e, adminToken)
	ctx := context.Background()
	changes := []struct {
		name   string
		status int // what /auth/verify answers after the change
		change func(t *testing.T, email, token string)
	}{
		{"logout", 401, func(t *testing.T, _, token string) {
			sfWantStatus(t, "logout", e.do("POST", "/api/v2/logout/", nil, token), 204)
		}},
		{"a password change from another session", 401, func(t *testing.T, email, _ string) {
			other := e.login(email, testPassword)
			sfWantStatus(t, "changepassword", apiPost(e, "/api/v2/changepassword/",
				obj{"password": testPassword, "new_password": "Battery-Staple-5501"}, other), 204)
		}},
		{"suspension", 403, func(t *testing.T, email, _ string) {
			if _, err := e.Svc.Suspend(ctx, e.userID(email), "abuse_report", testOperator); err != nil {
				t.Fatal(err)
			}
		}},
		{"the admin API's revoke-tokens", 401, func(t *testing.T, email, _ string) {
			sfWantStatus(t, "revoke-tokens", a.call("POST", "/admin/v1/users/"+strconv.FormatInt(e.userID(email), 10)+"/revoke-tokens/", ""), 200)
		}},
		{"account deletion", 403, func(t *testing.T, _, token string) {
			sfWantStatus(t, "deleteaccount", e.do("POST", "/api/v2/deleteaccount/", obj{"password": testPassword, "recaptcha": "x"}, token), 204)
		}},
		{"turning TOTP on from another session", 401, func(t *testing.T, email, _ string) {
			// As enrolTOTP, but without moving the clock past the cache's lifetime.
			other := e.login(email, testPassword)
			m := e.do("POST", "/api/v2/twofactorauth/method/", obj{"type": "device_totp"}, other).JSON(t)
			secret, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(m["secret_key"].(string))
			step := twofactor.StepAt(e.Clock.Now())
			sfWantStatus(t, "activate", e.do("POST", fmt.Sprintf("/api/v2/twofactorauth/method/%v/activate/", m["id"]),
				obj{"code_1": twofactor.CodeAt(secret, step-1), "code_2": twofactor.CodeAt(secret, step)}, other), 200)
			// every other session now owes a code
		}},
	}
	for i, c := range changes {
		email := "user" + strconv.Itoa(i) + "@example.com"
		token := e.register(email, testPassword)
		wantVerify(t, e, c.name+", before", token, 204)
		wantVerify(t, e, c.name+", before, answered from the cache", token, 204)
		c.change(t, email, token)
		wantVerify(t, e, "right after "+c.name, token, c.status)
	}
}

// A change made where this node cannot see it — the store written directly,
// as another node or `accountd user …` would — is served from the cache
// until its lifetime ends, and not after; with the cache off, at once.
func TestForwardAuthCacheLifetime(t *testing.T) {
	for _, ttl := range []time.Duration{account.DefaultPrincipalCacheTTL, 0} {
		e := newEnv(t, withForwardAuth(), withPrincipalCache(ttl))
		token := e.register("ada@example.com", testPassword)
		wantVerify(t, e, "signed in", token, 204)
		tok, err := e.Store.TokenByHash(context.Background(), account.HashSecret(token))
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Store.RevokeToken(context.Background(), tok.ID, e.Clock.Now()); err != nil {
			t.Fatal(err)
		}
		if ttl == 0 {
			wantVerify(t, e, "cache off, revoked elsewhere", token, 401)
			continue
		}
		e.Clock.Advance(ttl - time.Millisecond)
		wantVerify(t, e, "revoked elsewhere, within the cache's lifetime", token, 204)
		e.Clock.Advance(time.Millisecond)
		wantVerify(t, e, "revoked elsewhere, the cache's lifetime over", token, 401)
	}
}

// pausingStore holds TokenByHash, after it read the token, until released:
// a forward-auth request that loads its answer while a logout commits.
type pausingStore struct {
	account.Store
	mu      sync.Mutex
	pause   bool
	read    chan struct{}
	release chan struct{}
}

func (p *pausingStore) TokenByHash(ctx context.Context, hash []byte) (account.Token, error) {
	t, err := p.Store.TokenByHash(ctx, hash)
	p.mu.Lock()
	pause := p.pause
	p.pause = false
	p.mu.Unlock()
	if pause {
		p.read <- struct{}{}
		<-p.release
	}
	return t, err
}

func (p *pausingStore) InTx(ctx context.Context, fn func(tx account.Store) error) error {
	return p.Store.InTx(ctx, fn) // transactions see the real store
}

// An answer loaded before a logout committed may be given to the request
// that loaded it, but never kept: the next request is refused.
func TestForwardAuthCacheKeepsNoAnswerLoadedBeforeAChange(t *testing.T) {
	ps := &pausingStore{read: make(chan struct{}), release: make(chan struct{})}
	e := newEnv(t, withForwardAuth(), withPrincipalCache(account.DefaultPrincipalCacheTTL),
		func(o *envOptions) { o.WrapStore = func(s account.Store) account.Store { ps.Store = s; return ps } })
	token := e.register("ada@example.com", testPassword)
	ps.mu.Lock()
	ps.pause = true
	ps.mu.Unlock()
	done := make(chan int)
	go func() {
		res := verify(t, e, "GET", "", token, nil)
		done <- res.StatusCode
	}()
	<-ps.read // the token is read, still valid
	sfWantStatus(t, "logout", e.do("POST", "/api/v2/logout/", nil, token), 204)
	close(ps.release)
	if got := <-done; got != 204 && got != 401 {
		t.Errorf("the request racing the logout: %d, want 204 or 401", got)
	}
	wantVerify(t, e, "after the logout", token, 401)
}
