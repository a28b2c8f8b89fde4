package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/accountd/accountd/internal/password"
	"github.com/accountd/accountd/internal/web"
)

// Limit is a bound on accountd's throughput measured in the same run.
type Limit struct {
	Name      string  `json:"name"`       // "http-floor" or "hash-bound"
	PerSecond float64 `json:"per_second"` // the mean of Before and After when both are set
	Before    float64 `json:"before,omitempty"`
	After     float64 `json:"after,omitempty"`
	Detail    string  `json:"detail,omitempty"`
}

// bracket is the limit measured before and after a run: on a shared
// machine the two differ, and their mean is the fairer yardstick.
func bracket(before, after Limit) Limit {
	before.Before, before.After = before.PerSecond, after.PerSecond
	before.PerSecond = (before.PerSecond + after.PerSecond) / 2
	return before
}

// floorServer is the "HTTP floor": a Go net/http server with the timeouts of
// accountd's newServer (cmd/accountd/serve.go), on 127.0.0.1:0, answering
// 204 on one route. Whatever accountd does beyond this costs throughput.
func floorServer() (*http.Server, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /floor", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	})
	// accountd's own server setup, so the floor is measured on it.
	srv := web.HTTPServer(mux, log.New(io.Discard, "", 0))
	go srv.Serve(ln) //nolint:errcheck // returns when closed
	return srv, "http://" + ln.Addr().String(), nil
}

// httpFloor drives the floor server with the client and concurrency of the
// scenarios, sending the body of a reset request, and returns its requests
// per second.
func httpFloor(ctx context.Context, concurrency int, d time.Duration, body []byte) (Limit, error) {
	srv, base, err := floorServer()
	if err != nil {
		return Limit{}, err
	}
	defer srv.Close()
	res := drive(ctx, loadSpec{base: base, concurrency: concurrency, duration: d,
		next: func(int) (call, bool) {
			return call{kind: "floor", method: "POST", path: "/floor", body: body}, true
		}})
	ok := 0
	for _, s := range res.samples {
		if s.status == http.StatusNoContent {
			ok++
		}
	}
	return Limit{Name: "http-floor", PerSecond: float64(ok) / res.elapsed.Seconds()}, nil
}

// hashBound returns argon2id hashes per second on every core with accountd's
// parameters (password.DefaultParams): one goroutine per core hashing for d.
func hashBound(ctx context.Context, d time.Duration) Limit {
	p := password.DefaultParams()
	h := password.NewHasher(p)
	cores := runtime.NumCPU()
	var n atomic.Int64
	start := time.Now()
	end := start.Add(d)
	var wg sync.WaitGroup
	for range cores {
		wg.Go(func() {
			for time.Now().Before(end) && ctx.Err() == nil {
				if _, err := h.Hash("Bench-Horse-7391-Staple"); err == nil {
					n.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return Limit{Name: "hash-bound", PerSecond: float64(n.Load()) / time.Since(start).Seconds(),
		Detail: argonDetail(p, cores)}
}

func argonDetail(p password.Params, cores int) string {
	return fmt.Sprintf("argon2id m=%dKiB t=%d p=%d, %d goroutines", p.Memory, p.Time, p.Threads, cores)
}
