package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/accountd/accountd/internal/account"
)

// Email codes and sign-in devices (docs/api.md#two-factor-authentication email_code and new_device,
// §4.10 the "new sign-in" notice).

var signInTests = []test{
	{"EmailCodeSetReplaceDelete", func(t *testing.T, s account.Store) {
		ctx := t.Context()
		u := createUser(t, s, newUser(1))
		tok := createToken(t, s, u.ID, account.TokenLogin, "a")
		other := createToken(t, s, u.ID, account.TokenLogin, "b")
		_, err := s.EmailCode(ctx, tok.ID)
		wantErr(t, "EmailCode before any", err, account.ErrNotFound)
		first := account.EmailCode{TokenID: tok.ID, UserID: u.ID, Hash: []byte("hmac-1"),
			SentAt: at(0).In(elsewhere), ExpiresAt: at(10 * time.Minute).In(elsewhere)}
		noErr(t, "SetEmailCode", s.SetEmailCode(ctx, first))
		got, err := s.EmailCode(ctx, tok.ID)
		noErr(t, "EmailCode", err)
		first.SentAt, first.ExpiresAt = first.SentAt.UTC(), first.ExpiresAt.UTC()
		diff(t, "EmailCode", got, first)
		_, err = s.EmailCode(ctx, other.ID)
		wantErr(t, "EmailCode of another token", err, account.ErrNotFound)

		second := account.EmailCode{TokenID: tok.ID, UserID: u.ID, Hash: []byte("hmac-2"),
			SentAt: at(time.Minute), ExpiresAt: at(11 * time.Minute)}
		noErr(t, "SetEmailCode (replace)", s.SetEmailCode(ctx, second))
		got, err = s.EmailCode(ctx, tok.ID)
		noErr(t, "EmailCode after replace", err)
		diff(t, "EmailCode after replace", got, second)

		for i, want := range []bool{true, false} {
			ok, err := s.DeleteEmailCode(ctx, tok.ID)
			noErr(t, "DeleteEmailCode", err)
			if ok != want {
				t.Errorf("DeleteEmailCode #%d = %v, want %v", i+1, ok, want)
			}
		}
		_, err = s.EmailCode(ctx, tok.ID)
		wantErr(t, "EmailCode after delete", err, account.ErrNotFound)
	}},
	{"DeleteEmailCodeConcurrentOneWins", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		tok := createToken(t, s, u.ID, account.TokenLogin, "a")
		noErr(t, "SetEmailCode", s.SetEmailCode(t.Context(), account.EmailCode{TokenID: tok.ID, UserID: u.ID,
			Hash: []byte("hmac"), SentAt: at(0), ExpiresAt: at(10 * time.Minute)}))
		const n = 8
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		start := make(chan struct{})
		for range n {
			wg.Go(func() {
				<-start
				ok, err := s.DeleteEmailCode(t.Context(), tok.ID)
				if err != nil {
					t.Errorf("DeleteEmailCode: %v", err)
				}
				if ok {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			})
		}
		close(start)
		wg.Wait()
		if wins != 1 {
			t.Errorf("%d of %d concurrent DeleteEmailCode won, want exactly 1", wins, n)
		}
	}},
	{"SignInDeviceSaveAndReplace", func(t *testing.T, s account.Store) {
		ctx := t.Context()
		u := createUser(t, s, newUser(1))
		other := createUser(t, s, newUser(2))
		_, err := s.SignInDevice(ctx, u.ID, "192.0.2.7", "Firefox on Linux")
		wantErr(t, "SignInDevice before any", err, account.ErrNotFound)
		d := account.SignInDevice{UserID: u.ID, Network: "192.0.2.7", Browser: "Firefox on Linux",
			SignedInAt: at(0).In(elsewhere)}
		noErr(t, "SaveSignInDevice", s.SaveSignInDevice(ctx, d))
		got, err := s.SignInDevice(ctx, u.ID, "192.0.2.7", "Firefox on Linux")
		noErr(t, "SignInDevice", err)
		d.SignedInAt = d.SignedInAt.UTC()
		diff(t, "SignInDevice (signed in, never passed)", got, d)
		for _, c := range []struct {
			user             int64
			network, browser string
		}{
			{other.ID, "192.0.2.7", "Firefox on Linux"}, {u.ID, "192.0.2.8", "Firefox on Linux"},
			{u.ID, "192.0.2.7", "Chrome on Linux"}} {
			_, err := s.SignInDevice(ctx, c.user, c.network, c.browser)
			wantErr(t, "SignInDevice of another user, network or browser", err, account.ErrNotFound)
		}
		d.PassedAt = at(time.Minute)
		noErr(t, "SaveSignInDevice (passed)", s.SaveSignInDevice(ctx, d))
		got, err = s.SignInDevice(ctx, u.ID, "192.0.2.7", "Firefox on Linux")
		noErr(t, "SignInDevice after a pass", err)
		diff(t, "SignInDevice after a pass", got, d)
		passedOnly := account.SignInDevice{UserID: u.ID, Network: "2001:db8::/64", Browser: "curl", PassedAt: at(0)}
		noErr(t, "SaveSignInDevice (passed only)", s.SaveSignInDevice(ctx, passedOnly))
		got, err = s.SignInDevice(ctx, u.ID, "2001:db8::/64", "curl")
		noErr(t, "SignInDevice (passed only)", err)
		diff(t, "SignInDevice (passed only)", got, passedOnly)
	}},
	{"PruneSignInDevicesByAgeAndCap", func(t *testing.T, s account.Store) {
		ctx := t.Context()
		u := createUser(t, s, newUser(1))
		other := createUser(t, s, newUser(2))
		save := func(user int64, network string, signedIn, passed time.Time) {
			t.Helper()
			noErr(t, "SaveSignInDevice", s.SaveSignInDevice(ctx, account.SignInDevice{UserID: user,
				Network: network, Browser: "b", SignedInAt: signedIn, PassedAt: passed}))
		}
		save(u.ID, "old", at(-100*24*time.Hour), time.Time{})
		save(u.ID, "old-signin-recent-pass", at(-100*24*time.Hour), at(-time.Hour)) // the later time counts
		save(u.ID, "n1", at(-3*time.Hour), time.Time{})
		save(u.ID, "n2", at(-2*time.Hour), time.Time{})
		save(u.ID, "n3", at(-time.Minute), time.Time{})
		save(other.ID, "old", at(-100*24*time.Hour), time.Time{})
		noErr(t, "PruneSignInDevices", s.PruneSignInDevices(ctx, u.ID, at(-90*24*time.Hour), 3))
		for network, want := range map[string]bool{"old": false, "old-signin-recent-pass": true,
			"n1": false, "n2": true, "n3": true} {
			_, err := s.SignInDevice(ctx, u.ID, network, "b")
			if kept := err == nil; kept != want {
				t.Errorf("device %q kept = %v (%v), want %v", network, kept, err, want)
			}
		}
		if _, err := s.SignInDevice(ctx, other.ID, "old", "b"); err != nil {
			t.Errorf("another user's device was pruned: %v", err)
		}
	}},
	{"PurgeDeletedErasesCodesAndDevices", func(t *testing.T, s account.Store) {
		ctx := t.Context()
		u := createUser(t, s, newUser(1))
		tok := createToken(t, s, u.ID, account.TokenLogin, "a")
		noErr(t, "SetEmailCode", s.SetEmailCode(ctx, account.EmailCode{TokenID: tok.ID, UserID: u.ID,
			Hash: []byte("hmac"), SentAt: at(0), ExpiresAt: at(10 * time.Minute)}))
		noErr(t, "SaveSignInDevice", s.SaveSignInDevice(ctx, account.SignInDevice{UserID: u.ID,
			Network: "192.0.2.7", Browser: "b", SignedInAt: at(0)}))
		noErr(t, "MarkDeleted", s.MarkDeleted(ctx, u.ID, at(0)))
		_, err := s.PurgeDeleted(ctx, at(time.Hour))
		noErr(t, "PurgeDeleted", err)
		_, err = s.EmailCode(ctx, tok.ID)
		wantErr(t, "EmailCode after the purge", err, account.ErrNotFound)
		_, err = s.SignInDevice(ctx, u.ID, "192.0.2.7", "b")
		wantErr(t, "SignInDevice after the purge", err, account.ErrNotFound)
	}},
}
