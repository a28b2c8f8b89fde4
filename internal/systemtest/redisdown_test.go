package systemtest

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRedisUnreachable: with Redis away the node keeps answering, limits in
// its own memory, and says so in its log and its metrics.
func TestRedisUnreachable(t *testing.T) {
	n := StartNode(t, map[string]string{"ACCOUNTD_DATABASE_URL": filepath.Join(t.TempDir(), "a.db"),
		"ACCOUNTD_REDIS_URL": "redis://127.0.0.1:1/0"})
	for i := 0; i < 10; i++ {
		if a := n.Call("POST", "/api/v2/resetpassword/", "", map[string]any{"email": "ada@example.com"}); a.Status != 204 {
			t.Fatalf("reset request %d with Redis away = %d %s, want 204", i+1, a.Status, a.Raw)
		}
	}
	if a := n.Call("POST", "/api/v2/resetpassword/", "", map[string]any{"email": "ada@example.com"}); a.Status != 429 {
		t.Errorf("11th reset request from one IP with Redis away = %d, want 429 (limited in memory)", a.Status)
	}
	if m := n.Metrics(); !strings.Contains(m, "accountd_ratelimit_redis_degraded 1") {
		t.Error("/metrics does not report accountd_ratelimit_redis_degraded 1")
	}
	Eventually(t, 10*time.Second, "the log does not say the limiter fell back to memory", func() bool {
		return strings.Contains(n.Log.String(), "rate limiter unavailable: answering from local memory")
	})
	// go-redis's own complaints go into the structured log, not to stderr
	// in its own format.
	Eventually(t, 10*time.Second, "the log has no structured line from the redis client", func() bool {
		return strings.Contains(n.Log.String(), `msg="redis client" message="connection pool: failed to dial`)
	})
	for _, line := range strings.Split(n.Log.String(), "\n") {
		if strings.HasPrefix(line, "redis: ") {
			t.Errorf("an unstructured line from go-redis in the log: %q", line)
		}
	}
}
