package main

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	tens := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	hundred := make([]float64, 100)
	for i := range hundred {
		hundred[i] = float64(i + 1)
	}
	for _, c := range []struct {
		sorted []float64
		p      float64
		want   float64
	}{
		{tens, 50, 5},
		{tens, 90, 9},
		{tens, 99, 10},
		{tens, 100, 10},
		{tens, 1, 1},
		{hundred, 99, 99},
		{hundred, 50, 50},
		{hundred, 99.5, 100},
		{[]float64{7}, 50, 7},
		{[]float64{7}, 99, 7},
	} {
		if got := percentile(c.sorted, c.p); got != c.want {
			t.Errorf("percentile(%v, %v) = %v, want %v", c.sorted, c.p, got, c.want)
		}
	}
	if got := percentile(nil, 50); !math.IsNaN(got) {
		t.Errorf("percentile(nil, 50) = %v, want NaN", got)
	}
}

func TestLatencyOf(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- { // unsorted on purpose
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	got := latencyOf(ds)
	want := Latency{P50: 50, P90: 90, P99: 99, Max: 100}
	if got != want {
		t.Errorf("latencyOf(1..100 ms) = %+v, want %+v", got, want)
	}
	if got := latencyOf(nil); got != (Latency{}) {
		t.Errorf("latencyOf(nil) = %+v, want zero", got)
	}
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// TestKolmogorovQ checks the survival function against
// scipy.special.kolmogorov and the textbook critical values of the
// Kolmogorov distribution (Q = 0.10, 0.05, 0.01, 0.001 at λ ≈ 1.224, 1.358,
// 1.628, 1.949), on both sides of the switch between the two series.
func TestKolmogorovQ(t *testing.T) {
	for _, c := range []struct{ lambda, want, tol float64 }{
		{0, 1, 0},
		{0.3, 0.9999906941986655, 1e-12},
		{0.5, 0.9639452436648751, 1e-12},
		{1.0, 0.26999967167735456, 1e-12}, // scipy.special.kolmogorov(1)
		{1.17999, 0.12345, 1e-3},
		{1.18001, 0.12345, 1e-3},
		{1.224, 0.10, 1e-3},
		{1.358, 0.05, 1e-3},
		{1.628, 0.01, 1e-4},
		{1.949, 0.001, 1e-5},
		{2.0, 0.0006709252557796953, 1e-12}, // scipy.special.kolmogorov(2)
		{10, 0, 1e-15},
	} {
		if got := kolmogorovQ(c.lambda); !near(got, c.want, c.tol) {
			t.Errorf("kolmogorovQ(%v) = %v, want %v ± %v", c.lambda, got, c.want, c.tol)
		}
	}
	// The two series must agree where they meet.
	if a, b := kolmogorovQ(math.Nextafter(1.18, 0)), kolmogorovQ(1.18); !near(a, b, 1e-12) {
		t.Errorf("kolmogorovQ just below 1.18 = %v, at 1.18 = %v: the two series disagree", a, b)
	}
}

func seq(from, to float64) []float64 {
	var out []float64
	for v := from; v <= to; v++ {
		out = append(out, v)
	}
	return out
}

func TestKS(t *testing.T) {
	for _, c := range []struct {
		name         string
		a, b         []float64
		wantD, wantP float64
	}{
		// scipy.stats.ks_2samp([1,2,3,4,5], [3,4,5,6,7], method="asymp"):
		// D = 0.4, λ = √2.5·0.4.
		{"shifted", seq(1, 5), seq(3, 7), 0.4, 0.8186211744710058},
		// Disjoint samples: D = 1, λ = √(100·100/200) = 7.07, p ≈ 0.
		{"disjoint", seq(1, 100), seq(101, 200), 1, 0},
		{"identical", seq(1, 50), seq(1, 50), 0, 1},
		// Ties across samples: both functions jump at 2 together.
		{"ties", []float64{1, 2, 2, 3}, []float64{2, 2, 3, 3}, 0.25, kolmogorovQ(math.Sqrt(2) * 0.25)},
		// Unequal sizes: F_a(2) = 1, F_b(2) = 0.5.
		{"unequal", []float64{1, 2}, []float64{1, 2, 3, 4}, 0.5, kolmogorovQ(math.Sqrt(8.0/6) * 0.5)},
		{"empty", nil, seq(1, 3), 0, 1},
	} {
		a, b := slices.Clone(c.a), slices.Clone(c.b)
		d, p := KS(a, b)
		if !near(d, c.wantD, 1e-12) || !near(p, c.wantP, 1e-9) {
			t.Errorf("%s: KS(%v, %v) = (%v, %v), want (%v, %v)", c.name, c.a, c.b, d, p, c.wantD, c.wantP)
		}
		if !slices.Equal(a, c.a) || !slices.Equal(b, c.b) {
			t.Errorf("%s: KS modified its inputs", c.name)
		}
		if d2, p2 := KS(b, a); d2 != d || p2 != p {
			t.Errorf("%s: KS(b, a) = (%v, %v), want the same as KS(a, b) = (%v, %v)", c.name, d2, p2, d, p)
		}
	}
}

// TestKSSameDistribution checks the p-value's calibration loosely: two
// interleaved halves of one smooth sample are alike, a shift by a tenth of
// the spread over 2,000 values each is not.
func TestKSSameDistribution(t *testing.T) {
	var a, b, shifted []float64
	for i := range 4000 {
		v := math.Sin(float64(i)*12.9898) * 43758.5453
		v -= math.Floor(v) // a deterministic pseudo-random number in [0, 1)
		if i%2 == 0 {
			a = append(a, v)
			shifted = append(shifted, v+0.1)
		} else {
			b = append(b, v)
		}
	}
	if _, p := KS(a, b); p < 0.01 {
		t.Errorf("KS of two halves of one sample: p = %v, want ≥ 0.01", p)
	}
	if _, p := KS(shifted, b); p > 1e-6 {
		t.Errorf("KS of a sample shifted by 0.1 against the other half: p = %v, want < 1e-6", p)
	}
}

func TestEnumOrder(t *testing.T) {
	for _, alternate := range []bool{false, true} {
		order := enumOrder(500, alternate)
		if len(order) != 1000 {
			t.Fatalf("enumOrder(500, %v) has %d slots, want 1000", alternate, len(order))
		}
		next := map[bool]int{}
		runs := 0
		for i, s := range order {
			if s.n != next[s.known] {
				t.Fatalf("enumOrder(500, %v)[%d] = %+v, want n = %d: each kind numbered in order", alternate, i, s, next[s.known])
			}
			next[s.known]++
			if i > 0 && order[i-1].known == s.known {
				runs++
			}
		}
		if next[true] != 500 || next[false] != 500 {
			t.Errorf("enumOrder(500, %v) has %d known and %d unknown, want 500 each", alternate, next[true], next[false])
		}
		// Alternating never repeats a kind; a shuffle does, about half the time.
		if alternate && (runs != 0 || !order[0].known) {
			t.Errorf("enumOrder(500, true) repeats a kind %d times, want strict alternation starting with known", runs)
		}
		if !alternate && (runs < 400 || runs > 600) {
			t.Errorf("enumOrder(500, false) repeats a kind %d times of 999, want about half: not shuffled?", runs)
		}
	}
}

func TestMailOf(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	sent, accepted := map[string]time.Time{}, map[string]time.Time{}
	// 300 requests 10 ms apart (3 s); each accepted 100 ms later, and the
	// last 200 after the load ended at 1.1 s.
	for i := range 300 {
		m := fmt.Sprintf("r-%d", i)
		sent[m] = t0.Add(time.Duration(i) * 10 * time.Millisecond)
		accepted[m] = sent[m].Add(100 * time.Millisecond)
	}
	sent["r-lost"] = t0
	lat, m := mailOf(sent, accepted, t0.Add(1100*time.Millisecond))
	if lat.P50 != 100 || lat.P99 != 100 {
		t.Errorf("mailOf() latency = %+v, want 100 ms throughout", lat)
	}
	if m.Delivered != 300 || m.Missing != 1 || !near(m.EmailsPerS, 100, 1e-9) {
		t.Errorf("mailOf() = %+v, want 300 delivered, 1 missing, 100/s", m)
	}
	// During the load: the first acceptance at 0.1 s, 101 by 1.1 s.
	if !near(m.DuringLoadPerS, 101, 1e-9) || !near(m.DrainPerS, 100, 1e-9) {
		t.Errorf("mailOf() during %v, drain %v; want 101/s and 100/s (199 in 1.99 s)", m.DuringLoadPerS, m.DrainPerS)
	}
}
