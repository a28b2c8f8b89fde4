package main

import (
	"math"
	"slices"
	"time"
)

// Latency is a latency distribution in milliseconds.
type Latency struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// percentile returns the p-th percentile (0 < p ≤ 100) of sorted by the
// nearest-rank method: the smallest value with at least p % of the values at
// or below it. It is NaN for no values.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// millis returns the durations in milliseconds, sorted.
func millis(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = float64(d) / float64(time.Millisecond)
	}
	slices.Sort(out)
	return out
}

// latencyOf summarises durations; zero for none.
func latencyOf(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	ms := millis(ds)
	return Latency{P50: percentile(ms, 50), P90: percentile(ms, 90), P99: percentile(ms, 99), Max: ms[len(ms)-1]}
}

// KS returns the two-sample Kolmogorov–Smirnov statistic D of a and b (the
// largest distance between their empirical distribution functions) and its
// asymptotic two-sided p-value Q_KS(√(nm/(n+m))·D), as
// scipy.stats.ks_2samp(a, b, method="asymp") computes it with the limiting
// Kolmogorov distribution (scipy.special.kolmogorov). Neither input is
// modified. With an empty sample it returns D = 0, p = 1.
func KS(a, b []float64) (d, p float64) {
	n, m := len(a), len(b)
	if n == 0 || m == 0 {
		return 0, 1
	}
	x, y := slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b))
	i, j := 0, 0
	for i < n && j < m {
		// Step past every copy of the smallest value in both samples before
		// comparing, so ties across the samples do not count as a gap.
		v := min(x[i], y[j])
		for i < n && x[i] == v {
			i++
		}
		for j < m && y[j] == v {
			j++
		}
		d = max(d, math.Abs(float64(i)/float64(n)-float64(j)/float64(m)))
	}
	// Once one sample is used up its function is 1 and the other's only
	// climbs towards it: the gap can only shrink, so the loop saw the largest.
	en := math.Sqrt(float64(n) * float64(m) / float64(n+m))
	return d, kolmogorovQ(en * d)
}

// kolmogorovQ is the survival function of the Kolmogorov distribution,
// Q(λ) = 2 Σ_{k≥1} (−1)^{k−1} exp(−2k²λ²). That alternating series converges
// slowly for small λ, where the equivalent Jacobi form of the distribution
// function, 1 − √(2π)/λ Σ_{k≥1} exp(−(2k−1)²π²/(8λ²)), is used instead.
func kolmogorovQ(lambda float64) float64 {
	if lambda <= 0 {
		return 1
	}
	var q float64
	if lambda < 1.18 {
		var s float64
		for k := 1; k <= 100; k++ {
			t := math.Exp(-float64((2*k-1)*(2*k-1)) * math.Pi * math.Pi / (8 * lambda * lambda))
			s += t
			if t < 1e-17 {
				break
			}
		}
		q = 1 - math.Sqrt(2*math.Pi)/lambda*s
	} else {
		sign := 1.0
		for k := 1; k <= 100; k++ {
			t := math.Exp(-2 * float64(k*k) * lambda * lambda)
			q += sign * t
			sign = -sign
			if t < 1e-17 {
				break
			}
		}
		q *= 2
	}
	return min(max(q, 0), 1)
}
