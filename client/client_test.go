package client_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/accountd/accountd/client"
	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/captcha"
	"github.com/accountd/accountd/internal/openapitest"
	"github.com/accountd/accountd/internal/password"
	"github.com/accountd/accountd/internal/secretbox"
	"github.com/accountd/accountd/internal/testdb"
	"github.com/accountd/accountd/internal/web"
)

const testPassword = "Correct-Horse-7391"

// newServer is the real accountd handler on a SQLite file, every answer
// checked against docs/openapi.yaml.
func newServer(t *testing.T) string {
	t.Helper()
	store := testdb.SQLiteStore(t)
	hasher := password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16})
	svc := account.NewService(store, hasher, account.Config{DashboardURL: "https://dash.example.com",
		ResetTokenTTL: time.Hour, ResetEmailsPerHour: 3, MailDomain: "example.com", Policy: password.DefaultPolicy(),
		Secrets: secretbox.NewRandom()}, time.Now, nil)
	h := web.New(svc, captcha.None{}, slog.New(slog.NewTextHandler(io.Discard, nil)),
		web.NewMetrics(prometheus.NewRegistry()), web.Config{MinPasswordLength: 8})
	srv := httptest.NewServer(openapitest.Handler(t, h))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestClientAgainstAccountd walks the operations a client needs most with
// the typed client against the real handler: sign-up, sign-in, profile,
// API keys, sessions, two-factor state, and errors in both shapes.
func TestClientAgainstAccountd(t *testing.T) {
	ctx := context.Background()
	c := client.New(newServer(t), client.WithUserAgent("client-test/1.0"))

	reg, err := c.Register(ctx, client.RegisterRequest{Email: "ada@example.com", Password: testPassword, TOSAccepted: true})
	if err != nil || reg.Token == "" || reg.LoggedInExistingUser {
		t.Fatalf("Register = %+v, %v; want a new account's token", reg, err)
	}
	_, err = c.Login(ctx, client.LoginRequest{Email: "ada@example.com", Password: "Wrong-Password-1"})
	var apiErr *client.Error
	if !errors.As(err, &apiErr) || apiErr.Status != 400 || apiErr.FieldCode("non_field_errors") != "authorization" {
		t.Fatalf("Login with a wrong password = %v, want 400 non_field_errors/authorization", err)
	}
	token, err := c.Login(ctx, client.LoginRequest{Email: "ada@example.com", Password: testPassword})
	if err != nil {
		t.Fatalf("Login = %v", err)
	}
	ada := c.WithToken(token)

	tz := "Europe/Berlin"
	p, err := ada.UpdateProfile(ctx, client.ProfilePatch{Timezone: &tz})
	if err != nil || p.Email != "ada@example.com" || p.Timezone != tz || p.LastLogin == nil {
		t.Fatalf("UpdateProfile = %+v, %v; want ada's profile in %s", p, err, tz)
	}
	if _, offset := p.CreatedAt.Zone(); offset == 0 {
		t.Errorf("CreatedAt = %v, want it in %s's offset", p.CreatedAt, tz)
	}

	key, err := ada.CreateAPIKey(ctx, "backup script")
	if err != nil || len(key.Key) != 40 {
		t.Fatalf("CreateAPIKey = %+v, %v; want the full key", key, err)
	}
	if _, err := ada.RenameAPIKey(ctx, key.ID, "nightly backup"); err != nil {
		t.Fatalf("RenameAPIKey = %v", err)
	}
	keys, err := ada.APIKeys(ctx, 1, 10)
	if err != nil || keys.Count != 1 || keys.Results[0].Label != "nightly backup" || keys.Next != nil {
		t.Fatalf("APIKeys = %+v, %v; want the renamed key alone", keys, err)
	}
	if _, err := c.WithToken(key.Key).Profile(ctx); err != nil {
		t.Errorf("Profile with the API key = %v", err)
	}
	_, err = c.WithToken(key.Key).APIKeys(ctx, 0, 0)
	if !errors.As(err, &apiErr) || apiErr.Status != 403 || apiErr.Code != "api_key_not_allowed" {
		t.Errorf("APIKeys with an API key = %v, want 403 api_key_not_allowed", err)
	}
	if err := ada.DeleteAPIKey(ctx, key.ID); err != nil {
		t.Fatalf("DeleteAPIKey = %v", err)
	}
	_, err = ada.APIKey(ctx, key.ID)
	if !errors.As(err, &apiErr) || apiErr.Status != 404 || apiErr.Code != "not_found" {
		t.Errorf("APIKey after delete = %v, want 404 not_found", err)
	}

	sessions, err := ada.Sessions(ctx, 0, 0)
	if err != nil || sessions.Count != 2 || !sessions.Results[0].Current || sessions.Results[0].TwoFactor != "verified" {
		t.Fatalf("Sessions = %+v, %v; want the login's (current) and the register's", sessions, err)
	}
	if err := ada.RevokeOtherSessions(ctx); err != nil {
		t.Fatalf("RevokeOtherSessions = %v", err)
	}
	_, err = c.WithToken(reg.Token).Profile(ctx)
	if !errors.As(err, &apiErr) || apiErr.Status != 401 || apiErr.Code != "authentication_failed" {
		t.Errorf("Profile with the revoked register token = %v, want 401 authentication_failed", err)
	}

	m, err := ada.TwoFactorMethod(ctx)
	if err != nil || m.Type != client.MethodEmailCode || !m.Active {
		t.Errorf("TwoFactorMethod = %+v, %v; want the active email_code method", m, err)
	}
	st, err := ada.Activation(ctx)
	if err != nil || st.EmailIsVerified {
		t.Errorf("Activation = %+v, %v; want not verified yet", st, err)
	}
	if err := ada.Logout(ctx); err != nil {
		t.Fatalf("Logout = %v", err)
	}
	if _, err := ada.Profile(ctx); err == nil {
		t.Error("Profile after Logout succeeded, want 401")
	}
}

// TestIntrospector asks the real admin API about a live token, a revoked
// one, and with a wrong admin token.
func TestIntrospector(t *testing.T) {
	ctx := context.Background()
	store := testdb.SQLiteStore(t)
	hasher := password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16})
	svc := account.NewService(store, hasher, account.Config{DashboardURL: "https://dash.example.com",
		TokenIdleTTL: 14 * 24 * time.Hour, Policy: password.DefaultPolicy(), Secrets: secretbox.NewRandom()}, time.Now, nil)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	api := httptest.NewServer(web.New(svc, captcha.None{}, log, web.NewMetrics(prometheus.NewRegistry()), web.Config{MinPasswordLength: 8}))
	t.Cleanup(api.Close)
	const adminToken = "client-test-admin-token-0123456789abcdef"
	admin := httptest.NewServer(web.NewAdmin(svc, log, prometheus.NewRegistry(), web.AdminConfig{TokenHash: web.AdminTokenHash(adminToken)}))
	t.Cleanup(admin.Close)

	reg, err := client.New(api.URL).Register(ctx, client.RegisterRequest{Email: "ada@example.com", Password: testPassword, TOSAccepted: true})
	if err != nil {
		t.Fatal(err)
	}
	in := client.NewIntrospector(admin.URL, adminToken)
	who, err := in.Introspect(ctx, reg.Token)
	if err != nil || !who.Active || who.Email != "ada@example.com" || who.Kind != "login" || who.UserID == 0 || who.ExpiresAt == nil {
		t.Fatalf("Introspect(live token) = %+v, %v; want active, ada, login, with an end", who, err)
	}
	if err := client.New(api.URL).WithToken(reg.Token).Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if who, err := in.Introspect(ctx, reg.Token); err != nil || who.Active || who.Email != "" {
		t.Errorf("Introspect(logged-out token) = %+v, %v; want inactive and nothing else", who, err)
	}
	var apiErr *client.Error
	if _, err := client.NewIntrospector(admin.URL, "wrong").Introspect(ctx, reg.Token); !errors.As(err, &apiErr) || apiErr.Status != 401 {
		t.Errorf("Introspect with a wrong admin token = %v, want a 401 *Error", err)
	}
}
