package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/accountd/accountd/internal/account"
)

// createMethod stores an inactive device_totp method of user.
func createMethod(t *testing.T, s account.Store, user int64, sealed string) account.TwoFactorMethod {
	t.Helper()
	m := account.TwoFactorMethod{UserID: user, Type: account.MethodDeviceTOTP, SecretSealed: []byte(sealed),
		LastStep: -1, CreatedAt: at(-time.Hour).In(elsewhere), UpdatedAt: at(-time.Hour).In(elsewhere)}
	noErr(t, "CreateTwoFactorMethod", s.CreateTwoFactorMethod(t.Context(), &m))
	if m.ID == 0 {
		t.Fatal("CreateTwoFactorMethod left ID = 0")
	}
	m.CreatedAt, m.UpdatedAt = m.CreatedAt.UTC(), m.UpdatedAt.UTC()
	return m
}

var twoFactorTests = []test{
	{"MethodCreateAndActivate", func(t *testing.T, s account.Store) {
		ctx := t.Context()
		u := createUser(t, s, newUser(1))
		other := createUser(t, s, newUser(2))
		_, err := s.ActiveTwoFactorMethod(ctx, u.ID)
		wantErr(t, "ActiveTwoFactorMethod before any", err, account.ErrNotFound)
		first := createMethod(t, s, u.ID, "sealed-1")
		got, err := s.TwoFactorMethod(ctx, u.ID, first.ID)
		noErr(t, "TwoFactorMethod", err)
		diff(t, "TwoFactorMethod", got, first)
		_, err = s.TwoFactorMethod(ctx, other.ID, first.ID)
		wantErr(t, "TwoFactorMethod of another user", err, account.ErrNotFound)
		wantErr(t, "SetActiveTwoFactorMethod of another user's method",
			s.SetActiveTwoFactorMethod(ctx, other.ID, first.ID, 5, at(0)), account.ErrNotFound)

		noErr(t, "SetActiveTwoFactorMethod(first)", s.SetActiveTwoFactorMethod(ctx, u.ID, first.ID, 7, at(0)))
		second := createMethod(t, s, u.ID, "sealed-2")
		noErr(t, "SetActiveTwoFactorMethod(second)", s.SetActiveTwoFactorMethod(ctx, u.ID, second.ID, 9, at(time.Minute)))
		active, err := s.ActiveTwoFactorMethod(ctx, u.ID)
		noErr(t, "ActiveTwoFactorMethod", err)
		if active.ID != second.ID || !active.Active || active.LastStep != 9 || !active.UpdatedAt.Equal(at(time.Minute)) {
			t.Errorf("ActiveTwoFactorMethod = %+v, want the second, active, step 9, updated at +1m", active)
		}
		if old, _ := s.TwoFactorMethod(ctx, u.ID, first.ID); old.Active {
			t.Error("the first method is still active after the second was activated")
		}
		noErr(t, "SetActiveTwoFactorMethod(0)", s.SetActiveTwoFactorMethod(ctx, u.ID, 0, 0, at(2*time.Minute)))
		_, err = s.ActiveTwoFactorMethod(ctx, u.ID)
		wantErr(t, "ActiveTwoFactorMethod after deactivating all", err, account.ErrNotFound)
	}},
	{"AdvanceTOTPStepIsCompareAndSet", func(t *testing.T, s account.Store) {
		ctx := t.Context()
		u := createUser(t, s, newUser(1))
		m := createMethod(t, s, u.ID, "sealed")
		for _, c := range []struct {
			step int64
			want bool
		}{{10, true}, {10, false}, {9, false}, {11, true}} {
			ok, err := s.AdvanceTOTPStep(ctx, m.ID, c.step)
			noErr(t, "AdvanceTOTPStep", err)
			if ok != c.want {
				t.Errorf("AdvanceTOTPStep(%d) = %v, want %v", c.step, ok, c.want)
			}
		}
	}},
	{"AdvanceTOTPStepConcurrentOneWins", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		m := createMethod(t, s, u.ID, "sealed")
		const n = 8
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		start := make(chan struct{})
		for range n {
			wg.Go(func() {
				<-start
				ok, err := s.AdvanceTOTPStep(t.Context(), m.ID, 42)
				if err != nil {
					t.Errorf("AdvanceTOTPStep: %v", err)
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
			t.Errorf("%d concurrent AdvanceTOTPStep(42) won %d times, want exactly 1", n, wins)
		}
	}},
	{"TokenTwoFactorState", func(t *testing.T, s account.Store) {
		ctx := t.Context()
		u := createUser(t, s, newUser(1))
		a := createToken(t, s, u.ID, account.TokenLogin, "a")
		b := createToken(t, s, u.ID, account.TokenLogin, "b")
		key := createToken(t, s, u.ID, account.TokenAPIKey, "k")
		noErr(t, "PendOtherLoginTokens", s.PendOtherLoginTokens(ctx, u.ID, a.ID))
		b.TwoFactorPending = true
		checkTokens(t, s, "PendOtherLoginTokens", a, b, key)
		for want := 1; want <= 2; want++ {
			n, err := s.AddTokenTwoFactorFailure(ctx, b.ID)
			noErr(t, "AddTokenTwoFactorFailure", err)
			if n != want {
				t.Errorf("AddTokenTwoFactorFailure = %d, want %d", n, want)
			}
		}
		noErr(t, "SetTokenTwoFactor(verified)", s.SetTokenTwoFactor(ctx, b.ID, false))
		b.TwoFactorPending = false
		checkTokens(t, s, "SetTokenTwoFactor", b)
		if n, _ := s.AddTokenTwoFactorFailure(ctx, b.ID); n != 1 {
			t.Errorf("AddTokenTwoFactorFailure after verification = %d, want 1 (count cleared)", n)
		}
		wantErr(t, "SetTokenTwoFactor(unknown)", s.SetTokenTwoFactor(ctx, 1<<40, true), account.ErrNotFound)
	}},
	{"RecoveryCodesSingleUse", func(t *testing.T, s account.Store) {
		ctx := t.Context()
		u := createUser(t, s, newUser(1))
		other := createUser(t, s, newUser(2))
		h := func(c string) []byte { return account.HashSecret(c) }
		noErr(t, "ReplaceRecoveryCodes", s.ReplaceRecoveryCodes(ctx, u.ID, [][]byte{h("a"), h("b")}, at(0)))
		use := func(user int64, code string, want bool) {
			t.Helper()
			ok, err := s.UseRecoveryCode(ctx, user, h(code), at(time.Minute))
			noErr(t, "UseRecoveryCode", err)
			if ok != want {
				t.Errorf("UseRecoveryCode(%q) = %v, want %v", code, ok, want)
			}
		}
		use(other.ID, "a", false)
		use(u.ID, "a", true)
		use(u.ID, "a", false)
		if n, _ := s.CountRecoveryCodes(ctx, u.ID); n != 1 {
			t.Errorf("CountRecoveryCodes = %d, want 1", n)
		}
		noErr(t, "ReplaceRecoveryCodes again", s.ReplaceRecoveryCodes(ctx, u.ID, [][]byte{h("c")}, at(0)))
		use(u.ID, "b", false)
		use(u.ID, "c", true)
	}},
	{"AccountFailures", func(t *testing.T, s account.Store) {
		ctx := t.Context()
		u := createUser(t, s, newUser(1))
		n, last, err := s.TwoFactorFailures(ctx, u.ID)
		noErr(t, "TwoFactorFailures", err)
		if n != 0 || !last.IsZero() {
			t.Errorf("TwoFactorFailures of a new user = %d, %v; want 0, zero", n, last)
		}
		for want := 1; want <= 3; want++ {
			n, err := s.RecordTwoFactorFailure(ctx, u.ID, at(time.Duration(want)*time.Second).In(elsewhere))
			noErr(t, "RecordTwoFactorFailure", err)
			if n != want {
				t.Errorf("RecordTwoFactorFailure = %d, want %d", n, want)
			}
		}
		n, last, _ = s.TwoFactorFailures(ctx, u.ID)
		if n != 3 || !last.Equal(at(3*time.Second)) || last.Location() != time.UTC {
			t.Errorf("TwoFactorFailures = %d, %v; want 3, %v in UTC", n, last, at(3*time.Second))
		}
		noErr(t, "ClearTwoFactorFailures", s.ClearTwoFactorFailures(ctx, u.ID))
		if n, _, _ = s.TwoFactorFailures(ctx, u.ID); n != 0 {
			t.Errorf("TwoFactorFailures after clear = %d, want 0", n)
		}
	}},
	twoFactorPurgeTest,
}

var twoFactorPurgeTest = test{"PurgeDeletedErasesTwoFactor", func(t *testing.T, s account.Store) {
	ctx := t.Context()
	u := createUser(t, s, newUser(1))
	m := createMethod(t, s, u.ID, "sealed")
	noErr(t, "SetActiveTwoFactorMethod", s.SetActiveTwoFactorMethod(ctx, u.ID, m.ID, 1, at(0)))
	noErr(t, "ReplaceRecoveryCodes", s.ReplaceRecoveryCodes(ctx, u.ID, [][]byte{account.HashSecret("a")}, at(0)))
	noErr(t, "MarkDeleted", s.MarkDeleted(ctx, u.ID, at(0)))
	_, err := s.PurgeDeleted(ctx, at(time.Hour))
	noErr(t, "PurgeDeleted", err)
	_, err = s.TwoFactorMethod(ctx, u.ID, m.ID)
	wantErr(t, "TwoFactorMethod after the purge", err, account.ErrNotFound)
	if n, _ := s.CountRecoveryCodes(ctx, u.ID); n != 0 {
		t.Errorf("CountRecoveryCodes after the purge = %d, want 0", n)
	}
}}
