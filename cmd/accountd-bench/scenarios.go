package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

func resetBody(email string) []byte {
	return fmt.Appendf(nil, `{"email":%q,"recaptcha":"x"}`, email)
}

func loginBody(email, pw string) []byte {
	return fmt.Appendf(nil, `{"email":%q,"password":%q,"recaptcha":"x"}`, email, pw)
}

func completeBody(token, pw string) []byte {
	return fmt.Appendf(nil, `{"password":%q,"password_reset_token":%q,"recaptcha":"x"}`, pw, token)
}

// completePassword is the new password of complete's round r (from 0):
// another than the accounts' own in even rounds, their own in odd ones,
// since a reset to the current password is refused.
func completePassword(pw string, r int) string {
	if r%2 == 0 {
		return pw + "-reset"
	}
	return pw
}

// wrongPassword is the password of the enum-timing logins.
const wrongPassword = "Wrong-Horse-0000-Staple"

// bodies are the request bodies that repeat, one per account for known
// addresses and as many unknown ones: built once, so the load loop spends
// its time on requests, not on formatting them.
type bodies struct {
	reset                    [2][][]byte // known, unknown addresses
	login                    [][]byte    // the right password
	wrongKnown, wrongUnknown [][]byte    // the wrong password, for enum-timing
}

func newBodies(known []string, pw string) bodies {
	var bs bodies
	for n, email := range known {
		bs.reset[0] = append(bs.reset[0], resetBody(email))
		bs.reset[1] = append(bs.reset[1], resetBody(unknownEmail(n)))
		bs.login = append(bs.login, loginBody(email, pw))
		bs.wrongKnown = append(bs.wrongKnown, loginBody(email, wrongPassword))
		bs.wrongUnknown = append(bs.wrongUnknown, loginBody(unknownEmail(n), wrongPassword))
	}
	return bs
}

// resetCall is a reset request, for a known address on even i and an
// unknown one on odd i.
func (b *bench) resetCall(i int) call {
	n := i / 2 % len(b.known)
	if i%2 == 0 {
		return call{kind: "known", method: "POST", path: "/api/v2/resetpassword/", body: b.bodies.reset[0][n]}
	}
	return call{kind: "unknown", method: "POST", path: "/api/v2/resetpassword/", body: b.bodies.reset[1][n]}
}

// resetRequest measures POST /api/v2/resetpassword/ against the HTTP floor
// at the same concurrency, measured before and after it.
func (b *bench) resetRequest(ctx context.Context, c int) Row {
	floor := func() Limit {
		b.settle(ctx)
		l, err := httpFloor(ctx, c, b.cfg.floorDuration, resetBody(b.known[0]))
		if err != nil {
			b.logf("HTTP floor: %v", err)
		}
		return l
	}
	before := floor()
	load, rss := loadAverage(), watchProc(b.cfg.pid)
	res := drive(ctx, b.spec(c, func(i int) (call, bool) { return b.resetCall(i), true }))
	r := summarize("reset-request", c, res, http.StatusNoContent)
	b.observed(&r, load, rss)
	r.withLimit(bracket(before, floor()))
	return r
}

// login measures successful logins against the hash bound, measured
// before and after them.
func (b *bench) login(ctx context.Context, c int) Row {
	before := b.hashBound(ctx)
	load, rss := loadAverage(), watchProc(b.cfg.pid)
	res := drive(ctx, b.spec(c, func(i int) (call, bool) {
		return call{kind: "known", method: "POST", path: "/api/v2/login/",
			body: b.bodies.login[i%len(b.known)]}, true
	}))
	r := summarize("login", c, res, http.StatusOK)
	b.observed(&r, load, rss)
	r.withLimit(bracket(before, b.hashBound(ctx)))
	return r
}

// complete measures POST /api/v2/resetpassword/complete/ against the hash
// bound. A token works once and every complete voids the account's other
// tokens, so it goes in rounds: ask for a reset of every account, collect
// the tokens from the sink or the inbox (not timed), then complete them
// all (timed), until -duration of completes.
func (b *bench) complete(ctx context.Context, c int) Row {
	before := b.hashBound(ctx)
	load, rss := loadAverage(), watchProc(b.cfg.pid)
	var all loadResult
	missing, rounds := 0, 0
	for all.elapsed < b.cfg.duration && (b.cfg.max == 0 || len(all.samples) < b.cfg.max) && ctx.Err() == nil {
		want := b.known
		if b.cfg.max > 0 {
			want = want[:min(len(want), b.cfg.max-len(all.samples))]
		}
		// A reset to the current password is refused (docs/api.md#password-rules),
		// so rounds alternate between the password and another.
		res, lost, err := b.completeRound(ctx, c, b.cfg.duration-all.elapsed, want, completePassword(b.cfg.password, rounds))
		if err != nil {
			return Row{Scenario: "complete", Concurrency: c, Note: err.Error()}
		}
		missing, rounds = missing+lost, rounds+1
		all.elapsed += res.elapsed
		all.samples = append(all.samples, res.samples...)
	}
	if rounds%2 == 1 { // put the accounts' password back for the scenarios after (not timed)
		// Every known account: one still on its own password just answers 400.
		if _, _, err := b.completeRound(ctx, c, time.Hour, b.known, b.cfg.password); err != nil {
			return Row{Scenario: "complete", Concurrency: c, Note: "putting the password back: " + err.Error()}
		}
	}
	r := summarize("complete", c, all, http.StatusOK)
	r.Note = fmt.Sprintf("%d rounds of up to %d tokens; only the completes are timed", rounds, len(b.known))
	if missing > 0 {
		r.Note += fmt.Sprintf("; %d tokens never arrived", missing)
	}
	b.observed(&r, load, rss)
	r.withLimit(bracket(before, b.hashBound(ctx)))
	return r
}

// completeRound gets a reset token for each address and completes them,
// for d at most; it returns the completes and how many tokens never came.
func (b *bench) completeRound(ctx context.Context, c int, d time.Duration, emails []string, pw string) (loadResult, int, error) {
	tokens, err := b.resetTokens(ctx, emails)
	if err != nil {
		return loadResult{}, 0, err
	}
	res := drive(ctx, loadSpec{base: b.cfg.url, concurrency: c, duration: d, max: len(tokens),
		next: func(i int) (call, bool) {
			return call{kind: "known", method: "POST", path: "/api/v2/resetpassword/complete/",
				body: completeBody(tokens[i], pw)}, true
		}})
	return res, len(emails) - len(tokens), nil
}

// hashBound measures the hash bound once accountd is idle.
func (b *bench) hashBound(ctx context.Context) Limit {
	b.settle(ctx)
	return hashBound(ctx, b.cfg.hashDuration)
}

// resetTokens asks for a reset of each address and returns the tokens that
// arrived, in no particular order.
func (b *bench) resetTokens(ctx context.Context, emails []string) ([]string, error) {
	cur, err := b.tokens.cursor(ctx)
	if err != nil {
		return nil, err
	}
	res := drive(ctx, loadSpec{base: b.cfg.url, concurrency: b.cfg.setupConcurrency, duration: time.Hour,
		max: len(emails), next: func(i int) (call, bool) {
			return call{kind: "known", method: "POST", path: "/api/v2/resetpassword/", body: resetBody(emails[i])}, true
		}})
	for _, s := range res.samples {
		if s.status != http.StatusNoContent {
			return nil, fmt.Errorf("asking for reset tokens: status %d %s", s.status, s.body)
		}
	}
	got := b.tokens.waitTokens(ctx, cur, emails, b.cfg.drainTimeout)
	if len(got) == 0 {
		return nil, fmt.Errorf("no reset token arrived in %v (is ACCOUNTD_SMTP_URL the sink, or the dev inbox on?)", b.cfg.drainTimeout)
	}
	out := make([]string, 0, len(got))
	for _, e := range emails {
		if t, ok := got[e]; ok {
			out = append(out, t)
		}
	}
	return out, nil
}

// enumTiming sends known and unknown addresses interleaved, -enum-n of
// each, to the reset request and to login (a wrong password for the known
// ones), and compares the two latency distributions.
func (b *bench) enumTiming(ctx context.Context, c int) []Row {
	order := enumOrder(b.cfg.enumN, b.cfg.enumOrder == "alternate")
	spec := func(known, unknown func(n int) call) loadSpec {
		return loadSpec{base: b.cfg.url, concurrency: c, duration: b.cfg.enumDuration, max: len(order),
			next: func(i int) (call, bool) {
				n := order[i].n % len(b.known)
				if order[i].known {
					return known(n), true
				}
				return unknown(n), true
			}}
	}
	post := func(path string, bodies [][]byte, kind string) func(int) call {
		return func(n int) call { return call{kind: kind, method: "POST", path: path, body: bodies[n]} }
	}
	const reset, login = "/api/v2/resetpassword/", "/api/v2/login/"
	bs := b.bodies
	return []Row{
		b.enumRun(ctx, "enum-timing/reset", c, http.StatusNoContent,
			spec(post(reset, bs.reset[0], "known"), post(reset, bs.reset[1], "unknown"))),
		b.enumRun(ctx, "enum-timing/login", c, http.StatusBadRequest,
			spec(post(login, bs.wrongKnown, "known"), post(login, bs.wrongUnknown, "unknown"))),
	}
}

// enumRun runs one comparison of known and unknown addresses.
func (b *bench) enumRun(ctx context.Context, name string, c, want int, spec loadSpec) Row {
	b.settle(ctx)
	load, rss := loadAverage(), watchProc(b.cfg.pid)
	res := drive(ctx, spec)
	r := summarize(name, c, res, want)
	r.Enum = enumOf(res)
	r.Note = b.cfg.enumOrder + " order"
	b.observed(&r, load, rss)
	return r
}

// enumSlot is one request of an enum-timing run: its kind, and its place
// among the requests of that kind.
type enumSlot struct {
	known bool
	n     int
}

// enumOrder returns n known and n unknown slots, shuffled, or alternating
// known, unknown, … when alternate is set. Shuffled is the default: with
// strict alternation anything periodic in the server (a garbage collection
// every other argon2id hash, say) falls on the same kind every time and
// looks like a difference between the kinds.
func enumOrder(n int, alternate bool) []enumSlot {
	out := make([]enumSlot, 0, 2*n)
	for i := range n {
		out = append(out, enumSlot{known: true, n: i}, enumSlot{known: false, n: i})
	}
	if alternate {
		return out
	}
	rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	// Number each kind again in its new order, so each kind still walks
	// its addresses in turn.
	var k, u int
	for i := range out {
		if out[i].known {
			out[i].n, k = k, k+1
		} else {
			out[i].n, u = u, u+1
		}
	}
	return out
}

// enumOf compares the latencies of the known and unknown requests that got
// an answer.
func enumOf(res loadResult) *Enum {
	var known, unknown []time.Duration
	for _, s := range res.samples {
		switch {
		case s.status == 0:
		case s.kind == "known":
			known = append(known, s.latency)
		case s.kind == "unknown":
			unknown = append(unknown, s.latency)
		}
	}
	k, u := millis(known), millis(unknown)
	e := &Enum{Known: KindStats{N: len(k), P50: percentile(k, 50), P90: percentile(k, 90)},
		Unknown: KindStats{N: len(u), P50: percentile(u, 50), P90: percentile(u, 90)}}
	e.D, e.P = KS(k, u)
	return e
}

// mailLatency measures reset emails from request to SMTP acceptance at the
// sink: first as fast as c clients can ask (the emails/s accountd sustains),
// then paced below that rate (the latency a user sees).
func (b *bench) mailLatency(ctx context.Context, c int) []Row {
	if b.sink == nil {
		return []Row{{Scenario: "mail-latency", Concurrency: c,
			Note: "skipped: needs -smtp-listen, with accountd's ACCOUNTD_SMTP_URL pointed at it"}}
	}
	sat := b.mailRun(ctx, "mail-latency", c, 0)
	r := b.cfg.mailRate
	if r == 0 && sat.Mail != nil {
		r = 0.8 * min(1000, sat.Mail.EmailsPerS)
	}
	if r <= 0 {
		return []Row{sat}
	}
	return []Row{sat, b.mailRun(ctx, "mail-latency/paced", c, r)}
}

// mailRun sends reset requests for known addresses, each with a marker in
// its User-Agent that accountd quotes in the email, and matches them at the
// sink.
func (b *bench) mailRun(ctx context.Context, name string, c int, rate float64) Row {
	b.settle(ctx)
	b.runs++
	prefix := fmt.Sprintf("%s%d", b.runID, b.runs)
	b.sink.trackMarks(prefix + "-")
	var mu sync.Mutex
	sent := map[string]time.Time{}
	spec := b.spec(c, func(i int) (call, bool) {
		return call{kind: "known", method: "POST", path: "/api/v2/resetpassword/",
			body: b.bodies.reset[0][i%len(b.known)], agent: markAgent(fmt.Sprintf("%s-%d", prefix, i))}, true
	})
	spec.max, spec.rate = b.cfg.mailMax, rate
	spec.done = func(i int, _ call, s sample) {
		if s.status == http.StatusNoContent {
			mu.Lock()
			sent[fmt.Sprintf("%s-%d", prefix, i)] = s.start
			mu.Unlock()
		}
	}
	load, rss := loadAverage(), watchProc(b.cfg.pid)
	res := drive(ctx, spec)
	loadEnd := time.Now()
	marks := b.sink.waitMarks(ctx, len(sent), 15*time.Second, b.cfg.drainTimeout)
	r := summarize(name, c, res, http.StatusNoContent)
	r.Latency, r.Mail = mailOf(sent, marks, loadEnd)
	r.Mail.PacedRate = rate
	b.observed(&r, load, rss)
	return r
}

// mailOf matches requests to acceptances: the latencies, how many arrived,
// and the rates at which they arrived: over all, while requests were still
// being sent (the worker competing with them for the database), and after
// loadEnd (the worker draining the queue alone).
func mailOf(sent, accepted map[string]time.Time, loadEnd time.Time) (Latency, *MailResult) {
	var lat []time.Duration
	var first, last time.Time
	var during, after int
	for mark, t0 := range sent {
		t1, ok := accepted[mark]
		if !ok {
			continue
		}
		lat = append(lat, t1.Sub(t0))
		if first.IsZero() || t1.Before(first) {
			first = t1
		}
		last = later(last, t1)
		if t1.After(loadEnd) {
			after++
		} else {
			during++
		}
	}
	m := &MailResult{Delivered: len(lat), Missing: len(sent) - len(lat)}
	if span := last.Sub(first).Seconds(); len(lat) > 1 && span > 0 {
		m.EmailsPerS = float64(len(lat)-1) / span
	}
	if span := loadEnd.Sub(first).Seconds(); during > 0 && span > 0 {
		m.DuringLoadPerS = float64(during) / span
	}
	if span := last.Sub(loadEnd).Seconds(); after > 100 && span > 0 {
		m.DrainPerS = float64(after) / span
	}
	return latencyOf(lat), m
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
