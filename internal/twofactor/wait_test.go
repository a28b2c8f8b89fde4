package twofactor

import (
	"math"
	"testing"
	"time"
)

func TestFailureWait(t *testing.T) {
	for _, v := range []struct {
		n    int
		want time.Duration
	}{
		{-1, 0}, {0, 0}, {4, 0},
		{5, time.Second}, {6, 2 * time.Second}, {10, 32 * time.Second},
		{16, 2048 * time.Second}, {17, time.Hour}, {20, time.Hour},
		{1000, time.Hour}, {math.MaxInt, time.Hour},
	} {
		if got := FailureWait(v.n); got != v.want {
			t.Errorf("FailureWait(%d) = %v, want %v", v.n, got, v.want)
		}
	}
	for n := 1; n < 100; n++ {
		if FailureWait(n) < FailureWait(n-1) {
			t.Errorf("FailureWait(%d) = %v is shorter than after %d failures", n, FailureWait(n), n-1)
		}
	}
}

func TestNoticeAt(t *testing.T) {
	var got []int
	for n := range 100 {
		if NoticeAt(n) {
			got = append(got, n)
		}
	}
	if len(got) != 2 || got[0] != 5 || got[1] != 20 {
		t.Errorf("notices at %v failures, want [5 20]", got)
	}
}
