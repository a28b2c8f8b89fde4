package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// call is one HTTP request of a scenario.
type call struct {
	kind   string // what the request stands for ("known", "unknown"), for statistics by kind
	method string
	path   string
	body   []byte // JSON; nil sends none
	agent  string // User-Agent; "" sends the tool's name
	token  string // sent as "Authorization: Token …" when not ""
}

// loadSpec says how to drive one run.
type loadSpec struct {
	base string // http://host:port
	// others are more nodes of the same deployment: client w sends to
	// base, others[0], … in turn (w modulo their number).
	others      []string
	concurrency int
	// duration bounds the time during which new requests start; requests in
	// flight at the end are awaited, not cancelled.
	duration time.Duration
	max      int     // requests at most; 0 for no bound
	rate     float64 // requests per second over all clients; 0 for a closed loop
	// next returns the i-th request (i from 0); false ends the run.
	next func(i int) (call, bool)
	// done, when set, is called by the client with each finished request.
	done func(i int, c call, s sample)
}

// sample is one finished request.
type sample struct {
	kind    string
	status  int // 0 for a transport error
	start   time.Time
	latency time.Duration
	body    string // the start of the body of a 4xx or 5xx answer, for messages
}

// loadResult is what a run measured.
type loadResult struct {
	elapsed time.Duration // from the first start to the last answer
	samples []sample
}

// userAgent is the User-Agent of requests that set none.
const userAgent = "accountd-bench/1"

// newClient returns an HTTP/1.1 client that keeps one idle connection per
// concurrent caller, so a run measures requests rather than TCP handshakes.
func newClient(concurrency int) *http.Client {
	return &http.Client{
		Timeout: time.Minute,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        concurrency,
			MaxIdleConnsPerHost: concurrency,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
	}
}

// drive runs spec with a fresh client and returns every sample. Each of
// spec.concurrency goroutines sends one request at a time; with a rate, they
// take turns from a pacer instead of sending as fast as answers come.
func drive(ctx context.Context, spec loadSpec) loadResult {
	bases := append([]string{spec.base}, spec.others...)
	client := newClient(spec.concurrency)
	defer client.CloseIdleConnections()
	issue, stop := context.WithTimeout(ctx, spec.duration)
	defer stop()
	var pace <-chan struct{}
	if spec.rate > 0 {
		pace = pacer(issue, spec.rate, spec.concurrency)
	}
	var next atomic.Int64
	per := make([][]sample, spec.concurrency)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range spec.concurrency {
		wg.Go(func() {
			for {
				if pace != nil {
					select {
					case <-issue.Done():
						return
					case <-pace:
					}
				}
				if issue.Err() != nil {
					return
				}
				i := int(next.Add(1) - 1)
				if spec.max > 0 && i >= spec.max {
					return
				}
				c, ok := spec.next(i)
				if !ok {
					return
				}
				s := do(ctx, client, bases[w%len(bases)], c)
				if spec.done != nil {
					spec.done(i, c, s)
				}
				per[w] = append(per[w], s)
			}
		})
	}
	wg.Wait()
	res := loadResult{elapsed: time.Since(start)}
	for _, p := range per {
		res.samples = append(res.samples, p...)
	}
	return res
}

// pacer ticks rate times a second until ctx ends. Its buffer lets clients
// catch up after a stall without the schedule drifting.
func pacer(ctx context.Context, rate float64, buffer int) <-chan struct{} {
	ch := make(chan struct{}, buffer)
	go func() {
		start := time.Now()
		for i := 0; ; i++ {
			at := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
			t := time.NewTimer(time.Until(at))
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			select {
			case ch <- struct{}{}:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}

// do sends one request and reads the whole answer, so the connection goes
// back to the pool.
func do(ctx context.Context, client *http.Client, base string, c call) sample {
	s := sample{kind: c.kind}
	var body io.Reader
	if c.body != nil {
		body = bytes.NewReader(c.body)
	}
	req, err := http.NewRequestWithContext(ctx, c.method, base+c.path, body)
	if err != nil {
		return s
	}
	if c.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", userAgent)
	if c.agent != "" {
		req.Header.Set("User-Agent", c.agent)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Token "+c.token)
	}
	s.start = time.Now()
	res, err := client.Do(req)
	if err != nil {
		s.latency = time.Since(s.start)
		s.body = err.Error()
		return s
	}
	if res.StatusCode >= 400 {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 300))
		s.body = string(b)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	s.latency = time.Since(s.start)
	s.status = res.StatusCode
	return s
}
