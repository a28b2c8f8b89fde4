package account

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func ipKeys(ip string) slotKeys { return keysOf(asker{ip: ip}, false) }

func accountKeys(user int64, ip string) slotKeys { return keysOf(asker{user: user, ip: ip}, false) }

// testSlots returns slots and a channel that receives a value each time a
// request starts waiting, so a test knows its waiter is in place.
func testSlots(total, share, queue int) (*hashSlots, chan struct{}) {
	p := newHashSlots(total, share, queue)
	queued := make(chan struct{}, 1000)
	p.queued = func() { queued <- struct{}{} }
	return p, queued
}

// mustAcquire takes a slot that must be free for keys.
func mustAcquire(t *testing.T, p *hashSlots, keys slotKeys) {
	t.Helper()
	if err := p.acquire(context.Background(), keys, time.Hour); err != nil {
		t.Fatalf("acquire(%v) = %v, want a slot at once", keys.k[:keys.n], err)
	}
}

// goAcquire asks for a slot in a goroutine; the channel gets its result.
func goAcquire(p *hashSlots, keys slotKeys) <-chan error {
	done := make(chan error, 1)
	go func() { done <- p.acquire(context.Background(), keys, time.Hour) }()
	return done
}

// loadOf returns what a party holds.
func loadOf(p *hashSlots, k slotKey) keyLoad {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.load[k]
}

// wantIdle checks that the slots hold nothing once every request is done.
func wantIdle(t *testing.T, p *hashSlots, total int) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.free != total || len(p.load) != 0 || len(p.waiting) != 0 || len(p.ring) != 0 {
		t.Errorf("idle slots: free %d (want %d), load %v, waiting %d, ring %v, want all empty",
			p.free, total, p.load, len(p.waiting), p.ring)
	}
}

func TestKeysOf(t *testing.T) {
	for _, c := range []struct {
		a      asker
		skipIP bool
		want   []slotKey
	}{
		{asker{ip: "192.0.2.1"}, false, []slotKey{{ip: "192.0.2.1"}}},
		{asker{user: 7, ip: "192.0.2.1"}, false, []slotKey{{user: 7}, {ip: "192.0.2.1"}}},
		{asker{user: 7, ip: "192.0.2.1"}, true, []slotKey{{user: 7}}},
		{asker{ip: "192.0.2.1"}, true, nil},
		{asker{}, false, nil}, // no IP (a command-line caller): no party
	} {
		ks := keysOf(c.a, c.skipIP)
		if got := ks.k[:ks.n]; fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("keysOf(%+v, skipIP %v) = %v, want %v", c.a, c.skipIP, got, c.want)
		}
	}
}

// A party that runs its share waits; with its queue full it is answered
// at once; another party still gets the free slot.
func TestHashSlotsShare(t *testing.T) {
	p, queued := testSlots(2, 1, 1)
	ctx := context.Background()
	a, b := ipKeys("198.51.100.1"), ipKeys("203.0.113.9")
	mustAcquire(t, p, a)
	second := goAcquire(p, a)
	<-queued
	if err := p.acquire(ctx, a, time.Hour); err != errHashShare {
		t.Errorf("acquire by a party with its share running and its queue full = %v, want errHashShare", err)
	}
	mustAcquire(t, p, b) // the slot a may not take
	p.release(b)
	if got := loadOf(p, a.k[0]); got != (keyLoad{running: 1, waiting: 1}) {
		t.Errorf("after another party released, a holds %+v, want 1 running and 1 waiting", got)
	}
	p.release(a)
	if err := <-second; err != nil {
		t.Fatalf("a's waiter = %v, want the slot a released", err)
	}
	p.release(a)
	wantIdle(t, p, 2)
}

// A request of an account is charged to the account and to its IP: either
// one at its share makes it wait, a request of neither goes ahead.
func TestHashSlotsAccountAndIP(t *testing.T) {
	p, queued := testSlots(4, 1, 2)
	first := accountKeys(1, "192.0.2.1")
	mustAcquire(t, p, first)
	sameIP := goAcquire(p, accountKeys(2, "192.0.2.1"))
	<-queued
	sameAccount := goAcquire(p, accountKeys(1, "192.0.2.99"))
	<-queued
	other := accountKeys(3, "198.51.100.3")
	mustAcquire(t, p, other)
	p.release(first)
	for name, done := range map[string]<-chan error{"same IP": sameIP, "same account": sameAccount} {
		if err := <-done; err != nil {
			t.Errorf("waiter of the %s = %v, want a slot once the first released", name, err)
		}
	}
	p.release(accountKeys(2, "192.0.2.1"))
	p.release(accountKeys(1, "192.0.2.99"))
	p.release(other)
	wantIdle(t, p, 4)
}

// Waiters are served one party at a time in turn, so a party with many
// waiters ahead delays another party by one hash, not by all of them.
func TestHashSlotsRoundRobin(t *testing.T) {
	p, queued := testSlots(1, 1, 4)
	holder := ipKeys("192.0.2.250")
	mustAcquire(t, p, holder)
	granted := make(chan string)
	keys := map[string]slotKeys{}
	for _, name := range []string{"a1", "a2", "a3", "b1"} {
		keys[name] = ipKeys(name[:1])
		go func() {
			if err := p.acquire(context.Background(), keys[name], time.Hour); err != nil {
				granted <- name + ": " + err.Error()
				return
			}
			granted <- name
		}()
		<-queued // each waits before the next asks: the arrival order is known
	}
	release := holder
	for _, want := range []string{"a1", "b1", "a2", "a3"} {
		p.release(release)
		got := <-granted
		if got != want {
			t.Fatalf("next slot went to %s, want %s", got, want)
		}
		release = keys[got]
	}
	p.release(release)
	wantIdle(t, p, 1)
}

// A request that waits past its time, or whose request ended, is answered
// busy and leaves no trace in the queue.
func TestHashSlotsWaitEnds(t *testing.T) {
	p, _ := testSlots(1, 1, 4)
	holder := ipKeys("192.0.2.250")
	mustAcquire(t, p, holder)
	if err := p.acquire(context.Background(), ipKeys("192.0.2.1"), time.Nanosecond); err != errBusy {
		t.Errorf("acquire past its wait = %v, want errBusy", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.acquire(ctx, ipKeys("192.0.2.2"), time.Hour); err != errBusy {
		t.Errorf("acquire of an ended request = %v, want errBusy", err)
	}
	p.release(holder)
	wantIdle(t, p, 1)
}

// Requests with no party (no IP, or IPs skipped) only wait for a free slot.
func TestHashSlotsNoParty(t *testing.T) {
	p, queued := testSlots(1, 1, 1)
	none := keysOf(asker{ip: "192.0.2.1"}, true)
	mustAcquire(t, p, none)
	waiters := make([]<-chan error, 3)
	for i := range waiters {
		waiters[i] = goAcquire(p, none)
		<-queued
	}
	for _, done := range waiters {
		p.release(none)
		if err := <-done; err != nil {
			t.Fatalf("waiter with no party = %v, want a slot", err)
		}
	}
	p.release(none)
	wantIdle(t, p, 1)
}

// Many goroutines of a few parties: never more hashes than slots, never a
// party past its share, and everything given back at the end.
func TestHashSlotsConcurrent(t *testing.T) {
	const total, share, queue = 3, 1, 2
	p := newHashSlots(total, share, queue)
	var mu sync.Mutex
	running := map[slotKey]int{}
	all := 0
	var granted, refused atomic.Int64
	check := func(keys slotKeys, d int) {
		mu.Lock()
		defer mu.Unlock()
		all += d
		if all > total {
			t.Errorf("%d hashes at once, want at most %d", all, total)
		}
		for _, k := range keys.k[:keys.n] {
			running[k] += d
			if running[k] > share {
				t.Errorf("party %+v runs %d hashes, want at most %d", k, running[k], share)
			}
		}
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := range 64 {
		wg.Go(func() {
			<-start
			for i := range 50 {
				keys := accountKeys(int64(g%4+1), "192.0.2."+strconv.Itoa((g+i)%3))
				err := p.acquire(context.Background(), keys, time.Hour)
				if errors.Is(err, errHashShare) {
					refused.Add(1)
					continue
				}
				if err != nil {
					t.Errorf("acquire = %v, want a slot or errHashShare", err)
					return
				}
				granted.Add(1)
				check(keys, 1)
				check(keys, -1)
				p.release(keys)
			}
		})
	}
	close(start)
	wg.Wait()
	t.Logf("granted %d, refused %d", granted.Load(), refused.Load())
	if granted.Load() == 0 {
		t.Error("no request got a slot")
	}
	wantIdle(t, p, total)
}

// BenchmarkHashSlots measures taking and giving back a free slot, the cost
// every hashing request pays besides the hash.
func BenchmarkHashSlots(b *testing.B) {
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		p := newHashSlots(2, 1, 32)
		keys := accountKeys(42, "192.0.2.1")
		for b.Loop() {
			if err := p.acquire(ctx, keys, time.Second); err != nil {
				b.Fatal(err)
			}
			p.release(keys)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		p := newHashSlots(1<<20, 1, 32)
		var n atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			keys := ipKeys("192.0.2." + strconv.FormatInt(n.Add(1), 10))
			for pb.Next() {
				if err := p.acquire(ctx, keys, time.Second); err != nil {
					b.Error(err)
					return
				}
				p.release(keys)
			}
		})
	})
}
