package ratelimit

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
)

// deadClient returns a client of a port nobody listens on.
func deadClient(t *testing.T) *redis.Client {
	return newTestClient(t, &redis.Options{
		Addr:          "127.0.0.1:1",
		DialTimeout:   200 * time.Millisecond,
		DialerRetries: 1,
		MaxRetries:    -1,
	})
}

// fallbackRecord captures what a Fallback tells the outside world.
type fallbackRecord struct {
	mu    sync.Mutex
	calls []bool
	log   bytes.Buffer
}

func (r *fallbackRecord) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.log.Write(p)
}

func (r *fallbackRecord) onFallback(degraded bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, degraded)
}

// newFallback returns a Fallback whose log and callbacks go to rec.
func (r *fallbackRecord) newFallback(primary, local Limiter) *Fallback {
	return NewFallback(primary, local, slog.New(slog.NewTextHandler(r, nil)), r.onFallback)
}

// check compares the callbacks so far and counts the log lines at level.
func (r *fallbackRecord) check(t *testing.T, calls []bool, warnings, infos int) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if diff := cmp.Diff(calls, r.calls); diff != "" {
		t.Errorf("onFallback calls (-want +got):\n%s", diff)
	}
	log := r.log.String()
	if got := strings.Count(log, "level=WARN"); got != warnings {
		t.Errorf("warnings logged = %d, want %d; log:\n%s", got, warnings, log)
	}
	if got := strings.Count(log, "level=INFO"); got != infos {
		t.Errorf("infos logged = %d, want %d; log:\n%s", got, infos, log)
	}
}

// TestFallbackConformance: with Redis unreachable, a Fallback answers as
// its local Memory would.
func TestFallbackConformance(t *testing.T) {
	testLimiter(t, func(t *testing.T) (Limiter, timeline) {
		c := newFakeClock()
		var rec fallbackRecord
		return rec.newFallback(NewRedis(deadClient(t), "accountd:rl:"), NewMemory(c.Now)), fakeTime(c)
	})
}

// TestFallbackConformanceRedis: with Redis up, a Fallback answers as Redis.
func TestFallbackConformanceRedis(t *testing.T) {
	testRedisOptions(t)
	testLimiter(t, func(t *testing.T) (Limiter, timeline) {
		c, prefix := testRedis(t)
		var rec fallbackRecord
		t.Cleanup(func() { rec.check(t, nil, 0, 0) })
		return rec.newFallback(NewRedis(c, prefix), NewMemory(time.Now)), realTime
	})
}

// TestFallbackUnreachable: many concurrent requests while Redis is
// unreachable all get answers from memory; the outage is reported once.
func TestFallbackUnreachable(t *testing.T) {
	var rec fallbackRecord
	f := rec.newFallback(NewRedis(deadClient(t), "accountd:rl:"), NewMemory(newFakeClock().Now))
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			for range 10 {
				res, err := f.Allow(context.Background(), "login:ip:1.2.3.4", PerMinute(50))
				if err != nil {
					t.Errorf("Allow error = %v, want an answer from memory", err)
					return
				}
				if res.Allowed {
					allowed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if got := allowed.Load(); got != 50 {
		t.Errorf("allowed = %d of 200, want 50", got)
	}
	rec.check(t, []bool{true}, 1, 0)
}

// TestFallbackNotAnOutage: an invalid limit or a caller that gave up is
// an error for the caller, not a sign that Redis is down.
func TestFallbackNotAnOutage(t *testing.T) {
	var rec fallbackRecord
	f := rec.newFallback(NewRedis(deadClient(t), "accountd:rl:"), NewMemory(newFakeClock().Now))
	if _, err := f.Allow(context.Background(), "k", Limit{Rate: 1}); !errors.Is(err, ErrInvalidLimit) {
		t.Errorf("Allow with an invalid limit error = %v, want ErrInvalidLimit", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if res, err := f.Allow(ctx, "k", PerMinute(1)); err == nil {
		t.Errorf("Allow with a cancelled context = %+v, nil; want an error", res)
	}
	rec.check(t, nil, 0, 0)
}

// TestFallbackOneProbe: while degraded, a call that waits on the primary
// does not make the others wait; they answer from memory.
func TestFallbackOneProbe(t *testing.T) {
	hole := startBlackHole(t)
	c := newTestClient(t, &redis.Options{Addr: hole.addr(), MaxRetries: -1, DialerRetries: 1, ReadTimeout: time.Minute})
	var rec fallbackRecord
	f := rec.newFallback(NewRedis(c, "accountd:rl:"), NewMemory(newFakeClock().Now))
	lim := PerMinute(10)

	// Call A reaches the server, which then drops it: an outage.
	done := make(chan Result)
	go func() { done <- allowNoFail(t, f, lim) }()
	(<-hole.conns).Close()
	if res := <-done; !res.Allowed || res.Remaining != 9 {
		t.Fatalf("Allow during the outage = %+v, want allowed from memory with Remaining 9", res)
	}
	rec.check(t, []bool{true}, 1, 0)

	// Call B probes the primary and hangs there.
	go func() { done <- allowNoFail(t, f, lim) }()
	probe := <-hole.conns
	// Call C does not wait for it. Its deadline only keeps a broken
	// Fallback from hanging the test: waiting on the primary would make C
	// fail with the deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := f.Allow(ctx, "login:ip:1.2.3.4", lim)
	if err != nil || !res.Allowed || res.Remaining != 8 {
		t.Fatalf("Allow while another call probes = %+v, %v; want allowed from memory with Remaining 8", res, err)
	}
	probe.Close()
	if res := <-done; !res.Allowed || res.Remaining != 7 {
		t.Fatalf("Allow of the failed probe = %+v, want allowed from memory with Remaining 7", res)
	}
	rec.check(t, []bool{true}, 1, 0)
}

func allowNoFail(t *testing.T, l Limiter, lim Limit) Result {
	res, err := l.Allow(context.Background(), "login:ip:1.2.3.4", lim)
	if err != nil {
		t.Errorf("Allow error = %v", err)
	}
	return res
}

// TestFallbackRecovers: Redis behind a proxy that the test cuts and
// restores; the Fallback switches to memory and back, reporting each change
// once.
func TestFallbackRecovers(t *testing.T) {
	direct, prefix := testRedis(t)
	proxy := startProxy(t, direct.Options().Addr)
	opt := *direct.Options()
	opt.Addr, opt.MaxRetries, opt.DialerRetries = proxy.addr(), -1, 1
	c := newTestClient(t, &opt)
	var rec fallbackRecord
	f := rec.newFallback(NewRedis(c, prefix), NewMemory(newFakeClock().Now))
	lim := PerHour(100) // no refill during the test
	const key = "login:ip:1.2.3.4"

	// want is the Remaining each answer should show: Redis and memory
	// count separately, which tells which one answered.
	steps := []struct {
		down      bool
		remaining []int
		calls     []bool
		warn      int
		info      int
	}{
		{false, []int{99, 98}, nil, 0, 0},
		{true, []int{99, 98, 97}, []bool{true}, 1, 0},
		{false, []int{97, 96}, []bool{true, false}, 1, 1},
		{true, []int{96}, []bool{true, false, true}, 2, 1},
		{false, []int{95}, []bool{true, false, true, false}, 2, 2},
	}
	for i, s := range steps {
		proxy.setDown(s.down)
		for _, want := range s.remaining {
			if res := allow(t, f, key, lim); !res.Allowed || res.Remaining != want {
				t.Fatalf("step %d (Redis down: %v): Allow = %+v, want allowed with Remaining %d", i, s.down, res, want)
			}
		}
		rec.check(t, s.calls, s.warn, s.info)
	}
}

// tcpProxy forwards connections to a target until it is set down: then it
// drops its connections and closes every new one at once.
type tcpProxy struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]struct{}
}

func startProxy(t *testing.T, target string) *tcpProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, target: target, conns: make(map[net.Conn]struct{})}
	p.wg.Go(p.serve)
	t.Cleanup(func() {
		p.setDown(true)
		ln.Close()
		p.wg.Wait()
	})
	return p
}

func (p *tcpProxy) addr() string { return p.ln.Addr().String() }

func (p *tcpProxy) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for c := range p.conns {
			c.Close()
		}
		clear(p.conns)
	}
}

func (p *tcpProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Go(func() { p.forward(c) })
	}
}

func (p *tcpProxy) forward(c net.Conn) {
	defer c.Close()
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer s.Close()
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		return
	}
	p.conns[c], p.conns[s] = struct{}{}, struct{}{}
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	copyAndClose := func(dst, src net.Conn) {
		io.Copy(dst, src)
		dst.Close()
		src.Close()
		done <- struct{}{}
	}
	go copyAndClose(s, c)
	go copyAndClose(c, s)
	<-done
	<-done
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, s)
	p.mu.Unlock()
}

// blackHole accepts connections, hands them to the test and never answers.
type blackHole struct {
	ln    net.Listener
	conns chan net.Conn
}

func startBlackHole(t *testing.T) *blackHole {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &blackHole{ln: ln, conns: make(chan net.Conn, 16)}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			h.conns <- c
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
		close(h.conns)
		for c := range h.conns {
			c.Close()
		}
	})
	return h
}

func (h *blackHole) addr() string { return h.ln.Addr().String() }
