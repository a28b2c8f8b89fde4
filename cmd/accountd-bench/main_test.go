package main

import (
	"io"
	"os"
	"slices"
	"testing"

	"github.com/accountd/accountd/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

func TestParseFlags(t *testing.T) {
	c, err := parseFlags([]string{"-c", "1, 8,64", "-url", "http://localhost:18080", "login", "complete"}, io.Discard)
	if err != nil {
		t.Fatalf("parseFlags() error = %v, want nil", err)
	}
	if !slices.Equal(c.conc, []int{1, 8, 64}) || !slices.Equal(c.scenarios, []string{"login", "complete"}) {
		t.Errorf("parseFlags() = conc %v scenarios %v, want [1 8 64] [login complete]", c.conc, c.scenarios)
	}
	c, err = parseFlags(nil, io.Discard)
	if err != nil || !slices.Equal(c.scenarios, scenarioNames) || !slices.Equal(c.enumConc, []int{1, 8}) {
		t.Errorf("parseFlags(nil) = %v %v, %v; want every scenario, enum at 1 and 8", c.scenarios, c.enumConc, err)
	}
}

func TestParseFlagsRefuses(t *testing.T) {
	for _, args := range [][]string{
		{"-url", "http://192.0.2.1:8080"},
		{"-url", "http://example.com"},
		{"-url", "https://127.0.0.1:8080"},
		{"-admin-url", "http://10.0.0.1:9090"},
		{"-smtp-listen", "0.0.0.0:2525"},
		{"-smtp-listen", ":2525"},
		{"-c", "8,x"},
		{"-c", "0"},
		{"-format", "xml"},
		{"nonsense"},
	} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("parseFlags(%q) error = nil, want one", args)
		}
	}
	for _, args := range [][]string{
		{"-url", "http://[::1]:8080", "-smtp-listen", "[::1]:2525"},
		{"-admin-url", ""},
	} {
		if _, err := parseFlags(args, io.Discard); err != nil {
			t.Errorf("parseFlags(%q) error = %v, want nil", args, err)
		}
	}
}
