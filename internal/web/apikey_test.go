package web_test

import (
	"encoding/json"
	"net/http"
	"testing"
)

// TestPaginationLinksUseThePublicURL: behind a TLS proxy the request arrives
// over plain HTTP with the proxy's view of the Host; the next and previous
// links still point at the public https URL (with its path prefix).
func TestPaginationLinksUseThePublicURL(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.Web.PublicURL = "https://accounts.example.com/auth/" })
	ada := e.register("ada@example.com", testPassword)
	for _, label := range []string{"a", "b", "c"} {
		sfCreateKey(t, e, ada, label)
	}
	req, err := http.NewRequest("GET", e.URL+"/api/v2/apikey/?page=2&page_size=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "accountd.internal:8080"
	req.Header.Set("Authorization", "Token "+ada)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var page struct{ Next, Previous string }
	if err := json.NewDecoder(res.Body).Decode(&page); err != nil || res.StatusCode != 200 {
		t.Fatalf("GET page 2 = %d, %v; want 200 with a JSON body", res.StatusCode, err)
	}
	const base = "https://accounts.example.com/auth/api/v2/apikey/"
	if page.Next != base+"?page=3&page_size=1" || page.Previous != base+"?page_size=1" {
		t.Errorf("next, previous = %q, %q; want %q, %q", page.Next, page.Previous,
			base+"?page=3&page_size=1", base+"?page_size=1")
	}
}
