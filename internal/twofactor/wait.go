package twofactor

import "time"

// The per-account budget of wrong codes (docs/api.md#two-factor-authentication): the first FreeFailures
// consecutive failures cost nothing; after them every attempt waits
// 2^(n-FreeFailures) seconds, at most MaxWait. It counts TOTP, email and
// recovery codes together, from any IP and token, so spreading guesses
// over many addresses buys nothing.
const (
	FreeFailures = 5
	MaxWait      = time.Hour
)

// FailureWait is how long after the last of n consecutive wrong codes the
// next attempt must wait: 0 below FreeFailures, then
// min(2^(n-FreeFailures) s, MaxWait). Inside the wait even a right code is
// refused (429 with Retry-After), or the wait would protect nothing.
func FailureWait(n int) time.Duration {
	if n < FreeFailures {
		return 0
	}
	// 2^12 s already passes an hour; stop shifting before it can overflow.
	if e := n - FreeFailures; e < 12 {
		return min(time.Duration(1<<e)*time.Second, MaxWait)
	}
	return MaxWait
}

// NoticeAt reports whether the n-th consecutive failure is one the owner
// is emailed about ("someone knows your password"): the 5th and the 20th.
func NoticeAt(n int) bool { return n == FreeFailures || n == 20 }
