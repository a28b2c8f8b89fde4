package main

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestDrive(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.Header.Get("User-Agent") != userAgent || r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	var done atomic.Int64
	res := drive(t.Context(), loadSpec{base: srv.URL, concurrency: 4, duration: 10 * time.Second, max: 100,
		next: func(i int) (call, bool) {
			return call{kind: "k", method: "POST", path: "/", body: []byte("{}")}, true
		},
		done: func(int, call, sample) { done.Add(1) }})
	if len(res.samples) != 100 || hits.Load() != 100 || done.Load() != 100 {
		t.Fatalf("drive(max 100) = %d samples, %d hits, %d done; want 100 each", len(res.samples), hits.Load(), done.Load())
	}
	for _, s := range res.samples {
		if s.status != http.StatusNoContent || s.latency <= 0 || s.start.IsZero() {
			t.Fatalf("sample %+v, want a 204 with a latency and a start", s)
		}
	}
}

func TestDrivePaced(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	res := drive(t.Context(), loadSpec{base: srv.URL, concurrency: 4, duration: 500 * time.Millisecond, rate: 100,
		next: func(i int) (call, bool) { return call{method: "GET", path: "/"}, true }})
	// 100/s for half a second: about 50, whatever the server could take.
	if n := len(res.samples); n < 35 || n > 60 {
		t.Errorf("drive(100/s for 0.5 s) sent %d requests, want about 50", n)
	}
	res = drive(t.Context(), loadSpec{base: srv.URL, concurrency: 2, duration: time.Second,
		next: func(i int) (call, bool) { return call{method: "GET", path: "/"}, i < 7 }})
	if len(res.samples) != 7 {
		t.Errorf("drive(next ends after 7) sent %d requests, want 7", len(res.samples))
	}
}

func TestHTTPFloor(t *testing.T) {
	l, err := httpFloor(t.Context(), 2, 200*time.Millisecond, []byte(`{"email":"a@b.c"}`))
	if err != nil || l.Name != "http-floor" || l.PerSecond <= 0 {
		t.Errorf("httpFloor() = %+v, %v; want a positive rate", l, err)
	}
}

// TestDriveSpreadsOverNodes: with more nodes (-also-url), the clients take
// turns, so every node gets load.
func TestDriveSpreadsOverNodes(t *testing.T) {
	var hits [2]atomic.Int64
	var urls [2]string
	for i := range hits {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits[i].Add(1)
			w.WriteHeader(http.StatusNoContent)
		}))
		defer srv.Close()
		urls[i] = srv.URL
	}
	res := drive(t.Context(), loadSpec{base: urls[0], others: urls[1:], concurrency: 4, duration: 10 * time.Second, max: 200,
		next: func(i int) (call, bool) { return call{kind: "k", method: "GET", path: "/"}, true }})
	if len(res.samples) != 200 || hits[0].Load() == 0 || hits[1].Load() == 0 || hits[0].Load()+hits[1].Load() != 200 {
		t.Fatalf("200 requests over two nodes: %d and %d hits, want both used", hits[0].Load(), hits[1].Load())
	}
}
