package testenv

import (
	"strings"
	"testing"
)

func TestSummaryCountsSkips(t *testing.T) {
	t.Setenv("ACCOUNTD_TEST_REQUIRE", "")
	if got := Summary("internal/x"); got != "" {
		t.Fatalf("Summary before any skip = %q, want \"\"", got)
	}
	for range 2 {
		t.Run("postgres", func(t *testing.T) { Skip(t, Postgres, "ACCOUNTD_TEST_POSTGRES_URL is not set") })
	}
	t.Run("chromium", func(t *testing.T) { Skip(t, Chromium, "chromium not found") })
	got := Summary("internal/x")
	for _, want := range []string{
		"accountd: internal/x: 3 tests skipped",
		"2 for PostgreSQL (set ACCOUNTD_TEST_POSTGRES_URL=postgres://",
		"1 for Chromium (apt-get install chromium)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Summary = %q, want it to contain %q", got, want)
		}
	}
	if strings.Count(got, "\n") != 0 {
		t.Errorf("Summary = %q, want one line", got)
	}
}

func TestRequired(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want bool
	}{
		{"", false},
		{"all", true},
		{"redis", false},
		{"redis,postgres", true},
		{"chromium postgres", true},
		{"postgresql", false},
	} {
		t.Setenv("ACCOUNTD_TEST_REQUIRE", tc.env)
		if got := Required(Postgres); got != tc.want {
			t.Errorf("with ACCOUNTD_TEST_REQUIRE=%q, Required(Postgres) = %v, want %v", tc.env, got, tc.want)
		}
	}
}
