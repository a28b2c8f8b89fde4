package systemtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// peakRSS returns the process's peak resident set size (VmHWM) in KiB.
func peakRSS(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kib, err := strconv.Atoi(f[1])
			if err != nil {
				t.Fatal(err)
			}
			return kib
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}

// TestBurstOfHashingRequests: 300 concurrent logins and reset completions
// (each login an argon2id of ~19 MiB) keep the process under 300 MiB and
// get only 200, 400, 429 or 503, never a 500 or a dropped connection:
// hashing is bounded and the rest waits or is told to come back.
func TestBurstOfHashingRequests(t *testing.T) {
	n := StartNode(t, map[string]string{"ACCOUNTD_DATABASE_URL": filepath.Join(t.TempDir(), "a.db"),
		"ACCOUNTD_RATE_LIMITS": "off"})
	const pw = "Correct-Horse-7391"
	n.Token("/api/v2/register/", map[string]any{"email": "ada@example.com", "password": pw, "tos_accepted": true})

	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < 300; i++ {
		wg.Go(func() {
			<-start
			var a Answer
			switch i % 6 {
			case 0: // a reset completion with a token that opens nothing
				a = n.Call("POST", "/api/v2/resetpassword/complete/", "", map[string]any{
					"password": "Battery-Staple-5501", "password_reset_token": strings.Repeat("ab", 32)})
			case 1, 2: // wrong password
				a = n.Call("POST", "/api/v2/login/", "", map[string]any{"email": "ada@example.com", "password": "nope-" + strconv.Itoa(i)})
			case 3: // unknown address: the dummy hash
				a = n.Call("POST", "/api/v2/login/", "", map[string]any{"email": fmt.Sprintf("u%d@example.com", i), "password": pw})
			default:
				a = n.Call("POST", "/api/v2/login/", "", map[string]any{"email": "ada@example.com", "password": pw})
			}
			mu.Lock()
			statuses[a.Status]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	for status, count := range statuses {
		switch status {
		case 200, 400, 429, 503:
		default:
			t.Errorf("%d requests got status %d (0: no answer), want only 200, 400, 429 or 503", count, status)
		}
	}
	if statuses[200] == 0 {
		t.Errorf("no login succeeded in the burst: %v", statuses)
	}
	rss := peakRSS(t, n.cmd.Process.Pid)
	t.Logf("statuses %v, peak RSS %d MiB", statuses, rss/1024)
	if rss > 300*1024 {
		t.Errorf("peak RSS during the burst = %d MiB, want at most 300 MiB", rss/1024)
	}
	if a := n.Call("GET", "/api/v2/profile/", "", nil); a.Status != 401 {
		t.Errorf("after the burst the node answers %d, want 401 (alive and well)", a.Status)
	}
}
