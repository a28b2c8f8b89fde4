package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/accountd/accountd/client"
)

// Sign in, then read the profile with the new login token. (The server here
// is a stand-in that answers as accountd does.)
func Example() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/api/v2/login/":
			fmt.Fprint(w, `{"token": "0123456789abcdefghij0123456789abcdefghij"}`)
		case r.Header.Get("Authorization") != "Token 0123456789abcdefghij0123456789abcdefghij":
			w.Header().Set("WWW-Authenticate", "Token")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"detail": "Invalid token.", "code": "authentication_failed"}`)
		default:
			fmt.Fprint(w, `{"id": 1, "email": "ada@example.com", "timezone": "UTC",
				"created_at": "2026-11-27T13:58:10.246406+00:00", "last_login": null}`)
		}
	}))
	defer srv.Close()

	ctx := context.Background()
	c := client.New(srv.URL)
	token, err := c.Login(ctx, client.LoginRequest{Email: "ada@example.com", Password: "Correct-Horse-7391"})
	if err != nil {
		fmt.Println(err)
		return
	}
	profile, err := c.WithToken(token).Profile(ctx)
	fmt.Println(profile.Email, profile.CreatedAt.Year(), profile.LastLogin == nil, err)

	_, err = c.WithToken("a-revoked-token").Profile(ctx)
	var e *client.Error
	if errors.As(err, &e) {
		fmt.Println(e.Status, e.Code)
	}
	// Output:
	// ada@example.com 2026 true <nil>
	// 401 authentication_failed
}
