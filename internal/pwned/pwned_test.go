package pwned

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// rangeServer speaks the range protocol for a corpus of passwords and
// records the paths it was asked for.
func rangeServer(t *testing.T, corpus []string, asked *[]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		prefix := strings.TrimPrefix(r.URL.Path, "/range/")
		*asked = append(*asked, prefix)
		fmt.Fprintln(w, "0018A45C4D1DEF81644B54AB7F969B88D65:1")
		for _, p := range corpus {
			sum := sha1.Sum([]byte(p))
			h := strings.ToUpper(hex.EncodeToString(sum[:]))
			if h[:5] == prefix {
				fmt.Fprintf(w, "%s:42\r\n", h[5:])
			}
		}
		fmt.Fprintln(w, "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0") // padding
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestBreachedAsksOnlyForThePrefix(t *testing.T) {
	var asked []string
	srv := rangeServer(t, []string{"P@ssw0rd-leaked"}, &asked)
	c := New(srv.URL+"/range", nil, slog.New(slog.DiscardHandler))
	if !c.Breached(context.Background(), "P@ssw0rd-leaked") {
		t.Error("Breached(a password in the corpus) = false, want true")
	}
	if c.Breached(context.Background(), "Correct-Horse-7391-unique") {
		t.Error("Breached(a password not in the corpus) = true, want false")
	}
	for _, p := range asked {
		if len(p) != 5 {
			t.Errorf("the endpoint was asked for %q, want a 5-character prefix only", p)
		}
	}
}

func TestBreachedSkipsWhenTheServiceIsDown(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", 503) }))
	defer down.Close()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { time.Sleep(time.Second) }))
	defer slow.Close()
	for name, c := range map[string]*Checker{
		"503":     New(down.URL, nil, log),
		"timeout": New(slow.URL, &http.Client{Timeout: 100 * time.Millisecond}, log),
	} {
		if c.Breached(context.Background(), "P@ssw0rd-leaked") {
			t.Errorf("Breached with the service %s = true, want false (skipped)", name)
		}
	}
	if n := strings.Count(logs.String(), "breached-password check skipped"); n != 2 {
		t.Errorf("%d skip warnings logged, want 2:\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), "P@ssw0rd") {
		t.Error("the log contains the password")
	}
}
