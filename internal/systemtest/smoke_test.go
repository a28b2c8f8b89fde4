package systemtest

import (
	"path/filepath"
	"testing"
)

// TestNodeStartsAndStops: the harness itself — a node answers, and SIGTERM
// stops it.
func TestNodeStartsAndStops(t *testing.T) {
	n := StartNode(t, map[string]string{"ACCOUNTD_DATABASE_URL": filepath.Join(t.TempDir(), "a.db")})
	tok := n.Token("/api/v2/register/", map[string]any{"email": "ada@example.com", "password": "Correct-Horse-7391", "tos_accepted": true})
	if a := n.Call("GET", "/api/v2/profile/", tok, nil); a.Status != 200 {
		t.Errorf("profile = %d %s, want 200", a.Status, a.Raw)
	}
	n.Stop()
}
