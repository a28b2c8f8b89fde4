package account

import (
	"context"
	"sync"
	"time"
)

// Who asks for a password hash decides its share of the hashing slots, so
// that one account or one client IP cannot starve everyone else (issue 12,
// defect 5): each party may run at most share hashes at once and keep at
// most queue requests waiting; beyond that it is answered 429 at once
// instead of queueing, while everyone else keeps getting slots. Waiters are
// served round robin across parties, each party's in arrival order.

// asker says who asks for a hash: the client IP, and the account when the
// caller is authenticated. Each is charged for the hash.
type asker struct {
	user int64
	ip   string
}

// byIP is an unauthenticated caller (login, register, reset complete): a
// password guess there names an account but does not prove the caller owns
// it, so only the IP is charged and strangers cannot use up a victim's share.
func byIP(c Client) asker { return asker{ip: c.network()} }

// byAccount is an authenticated caller: its account and its IP are charged.
func byAccount(u User, c Client) asker { return asker{user: u.ID, ip: c.network()} }

// slotKey is one party with a share: an account (user set) or an IP.
type slotKey struct {
	user int64
	ip   string
}

// slotKeys are the parties a request is charged to; the first one, when
// there is one, is the party whose turn it waits for.
type slotKeys struct {
	k [2]slotKey
	n int
}

// keysOf returns who a asks as; with skipIP the client IP is not a party
// (see Config.HashShareSkipIP). A request with no party still needs a free
// slot but has no share to exceed.
func keysOf(a asker, skipIP bool) slotKeys {
	var ks slotKeys
	if a.user != 0 {
		ks.k[ks.n] = slotKey{user: a.user}
		ks.n++
	}
	if a.ip != "" && !skipIP {
		ks.k[ks.n] = slotKey{ip: a.ip}
		ks.n++
	}
	return ks
}

// turn is the party whose turn the request waits for in the round robin.
func (ks slotKeys) turn() slotKey { return ks.k[0] }

// keyLoad is what one party holds: hashes running and requests waiting.
type keyLoad struct{ running, waiting int }

// slotWaiter is a request waiting for a slot. granted and ready are set
// under hashSlots.mu; ready is closed when the slot is granted.
type slotWaiter struct {
	keys    slotKeys
	ready   chan struct{}
	granted bool
}

// hashSlots hands out the hashing slots. One mutex and two maps: no
// goroutine, and on the fast path (a slot free, the share not used up) no
// allocation.
type hashSlots struct {
	mu    sync.Mutex
	free  int // slots not running a hash
	share int // hashes one party may run at once
	queue int // requests one party may have waiting
	load  map[slotKey]keyLoad
	// waiting holds the waiters by the party whose turn they wait for;
	// ring lists those parties in turn order, next is whose turn is next.
	waiting map[slotKey][]*slotWaiter
	ring    []slotKey
	next    int
	// queued, when set, is called (under mu) after a request starts
	// waiting: tests use it to know a waiter is in place.
	queued func()
}

// newHashSlots returns total slots, with a share and a queue per party.
func newHashSlots(total, share, queue int) *hashSlots {
	return &hashSlots{free: total, share: share, queue: queue,
		load: map[slotKey]keyLoad{}, waiting: map[slotKey][]*slotWaiter{}}
}

// errHashShare answers a party that already runs its share of hashes and
// has its queue full: a hash takes tens of milliseconds, so its turn comes
// back within a second.
var errHashShare = &Error{Kind: KindRateLimited, Code: "throttled", RetryAfter: 1,
	Message: "Request was throttled. Expected available in 1 seconds."}

// acquire takes a slot for the request of keys, waiting at most wait. It
// fails at once with errHashShare when a party of the request has its queue
// full, and with errBusy when no slot came in time or ctx ended. After a nil
// error the caller must release(keys).
func (p *hashSlots) acquire(ctx context.Context, keys slotKeys, wait time.Duration) error {
	p.mu.Lock()
	// No waiter fits a free slot (dispatch gives each as it frees), so one
	// that fits this request is nobody's turn: take it.
	if p.fits(keys) {
		p.take(keys)
		p.mu.Unlock()
		return nil
	}
	if p.queueFull(keys) {
		p.mu.Unlock()
		return errHashShare
	}
	w := &slotWaiter{keys: keys, ready: make(chan struct{})}
	p.enqueue(w)
	p.mu.Unlock()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-w.ready:
		return nil
	case <-t.C:
	case <-ctx.Done():
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if w.granted { // the slot came as the wait ended: the caller holds it
		return nil
	}
	p.dequeue(w)
	return errBusy
}

// release gives back the slot of a request of keys and hands free slots to
// the waiters whose turn it is.
func (p *hashSlots) release(keys slotKeys) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.free++
	for _, k := range keys.k[:keys.n] {
		l := p.load[k]
		l.running--
		p.setLoad(k, l)
	}
	p.dispatch()
}

// fits reports whether a slot is free and no party of keys runs its share.
func (p *hashSlots) fits(keys slotKeys) bool {
	if p.free == 0 {
		return false
	}
	for _, k := range keys.k[:keys.n] {
		if p.load[k].running >= p.share {
			return false
		}
	}
	return true
}

// queueFull reports whether a party of keys already has queue requests waiting.
func (p *hashSlots) queueFull(keys slotKeys) bool {
	for _, k := range keys.k[:keys.n] {
		if p.load[k].waiting >= p.queue {
			return true
		}
	}
	return false
}

// take charges a running hash to keys.
func (p *hashSlots) take(keys slotKeys) {
	p.free--
	for _, k := range keys.k[:keys.n] {
		l := p.load[k]
		l.running++
		p.load[k] = l
	}
}

// setLoad stores a party's load, forgetting a party that holds nothing so
// the map stays as small as the set of parties being served.
func (p *hashSlots) setLoad(k slotKey, l keyLoad) {
	if l == (keyLoad{}) {
		delete(p.load, k)
		return
	}
	p.load[k] = l
}

// enqueue adds w to the queue of its turn party, and the party to the ring.
func (p *hashSlots) enqueue(w *slotWaiter) {
	for _, k := range w.keys.k[:w.keys.n] {
		l := p.load[k]
		l.waiting++
		p.load[k] = l
	}
	t := w.keys.turn()
	if len(p.waiting[t]) == 0 {
		p.ring = append(p.ring, t)
	}
	p.waiting[t] = append(p.waiting[t], w)
	if p.queued != nil {
		p.queued()
	}
}

// dequeue removes w, which gave up waiting, from its party's queue.
func (p *hashSlots) dequeue(w *slotWaiter) {
	t := w.keys.turn()
	q := p.waiting[t]
	for i, x := range q {
		if x == w {
			p.unqueue(t, i)
			return
		}
	}
}

// unqueue removes the i-th waiter of party t's queue and its waiting
// counts, and t from the ring when its queue is now empty.
func (p *hashSlots) unqueue(t slotKey, i int) {
	q := p.waiting[t]
	w := q[i]
	for _, k := range w.keys.k[:w.keys.n] {
		l := p.load[k]
		l.waiting--
		p.setLoad(k, l)
	}
	q = append(q[:i], q[i+1:]...)
	if len(q) > 0 {
		p.waiting[t] = q
		return
	}
	delete(p.waiting, t)
	for j, k := range p.ring {
		if k == t {
			p.ring = append(p.ring[:j], p.ring[j+1:]...)
			if j < p.next {
				p.next--
			}
			return
		}
	}
}

// dispatch grants free slots while a waiter fits one, taking the parties in
// turn: after a party is served, the next party in the ring comes first.
func (p *hashSlots) dispatch() {
	for p.free > 0 && len(p.ring) > 0 {
		j, i, ok := p.nextFit()
		if !ok {
			return
		}
		t := p.ring[j]
		w := p.waiting[t][i]
		p.next = j + 1
		p.unqueue(t, i)
		p.take(w.keys)
		w.granted = true
		close(w.ready)
	}
}

// nextFit finds, from the party whose turn is next, the first party with a
// waiter that fits a free slot: the ring index of the party and the index of
// its oldest such waiter.
func (p *hashSlots) nextFit() (j, i int, ok bool) {
	n := len(p.ring)
	for step := range n {
		j = (p.next + step) % n
		for i, w := range p.waiting[p.ring[j]] {
			if p.fits(w.keys) {
				return j, i, true
			}
		}
	}
	return 0, 0, false
}
