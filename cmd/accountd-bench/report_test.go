package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSummarize(t *testing.T) {
	var samples []sample
	for i := 1; i <= 100; i++ {
		samples = append(samples, sample{kind: "known", status: 204, latency: time.Duration(i) * time.Millisecond})
	}
	samples = append(samples,
		sample{kind: "known", status: 503, latency: 500 * time.Millisecond},
		sample{kind: "unknown", status: 0, latency: time.Second}) // transport error: no latency
	r := summarize("reset-request", 8, loadResult{elapsed: 2 * time.Second, samples: samples}, 204)
	want := Row{Scenario: "reset-request", Concurrency: 8, Requests: 102, Seconds: 2,
		Statuses: map[string]int{"204": 100, "503": 1, "error": 1}, WantStatus: 204, Errors: 2, RPS: 50,
		Latency: Latency{P50: 51, P90: 91, P99: 100, Max: 500}}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("summarize() mismatch (-want +got):\n%s", diff)
	}
	if got := r.errorsCell(); got != "503×1 error×1" {
		t.Errorf("errorsCell() = %q, want %q", got, "503×1 error×1")
	}
	r.withLimit(Limit{Name: "http-floor", PerSecond: 200})
	if r.Ratio != 0.25 {
		t.Errorf("withLimit(200/s) ratio = %v, want 0.25", r.Ratio)
	}
}

func sampleReport() Report {
	return Report{Label: "sqlite", Rows: []Row{
		{Scenario: "reset-request", Concurrency: 64, Requests: 30000, Statuses: map[string]int{"204": 30000},
			RPS: 2999.6, Latency: Latency{P50: 12.345, P90: 20.01, P99: 31.5, Max: 80},
			Limit: &Limit{Name: "http-floor", PerSecond: 15000}, Ratio: 0.19997, PeakRSSMiB: 61.4},
		{Scenario: "enum-timing/login", Concurrency: 1, Requests: 4000, Statuses: map[string]int{"400": 4000},
			RPS: 20.5, Latency: Latency{P50: 48, P90: 52, P99: 60},
			Enum: &Enum{Known: KindStats{2000, 48.1, 52.2}, Unknown: KindStats{2000, 47.9, 51.8}, D: 0.0216, P: 0.7391}},
		{Scenario: "mail-latency/paced", Concurrency: 8, Requests: 8000, Statuses: map[string]int{"204": 8000},
			RPS: 800, Latency: Latency{P50: 3.2, P90: 7, P99: 140},
			Mail: &MailResult{Delivered: 7998, Missing: 2, EmailsPerS: 799.9, PacedRate: 800}, Note: "load 1.50"},
	}}
}

func TestWriteTable(t *testing.T) {
	var b bytes.Buffer
	if err := writeTable(&b, sampleReport()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("writeTable() wrote %d lines, want a header and 3 rows:\n%s", len(lines), b.String())
	}
	// Columns line up: every row has "req/s" values starting where the header's does.
	col := strings.Index(lines[0], "req/s")
	for _, want := range []string{"3000", "20.5", "800"} {
		found := false
		for _, l := range lines[1:] {
			found = found || strings.HasPrefix(l[col:], want+" ")
		}
		if !found {
			t.Errorf("no row has %q under req/s (column %d):\n%s", want, col, b.String())
		}
	}
	for _, want := range []string{
		"http-floor 15000/s", "20 %", "61 MiB", "12.3", "20.0", "31.5",
		"KS D=0.022 p=0.739; median known 48.1 unknown 47.9 ms",
		"7998 delivered at 800 emails/s, 2 missing; requests paced at 800/s", "load 1.50",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("writeTable() output lacks %q:\n%s", want, b.String())
		}
	}
}

func TestWriteMarkdown(t *testing.T) {
	rep := sampleReport()
	rep.Rows[2].Note = "load 1.50 | busy" // a pipe inside a cell must not split it
	var b bytes.Buffer
	if err := writeMarkdown(&b, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `load 1.50 \| busy`) {
		t.Errorf("writeMarkdown() did not escape the pipe in a note:\n%s", b.String())
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("writeMarkdown() wrote %d lines, want header, rule and 3 rows:\n%s", len(lines), b.String())
	}
	for i, l := range lines {
		if got := strings.Count(strings.ReplaceAll(l, `\|`, ""), "|"); got != len(tableHeader)+1 {
			t.Errorf("line %d has %d cell separators, want %d: %s", i, got, len(tableHeader)+1, l)
		}
	}
}

func TestWriteJSON(t *testing.T) {
	rep := sampleReport()
	rep.Rows[0].Latency.P99 = math.NaN()
	rep.Rows[1].Enum.P = math.NaN() // KS p of an empty sample
	var b bytes.Buffer
	if err := writeJSON(&b, rep); err != nil {
		t.Fatalf("writeJSON() with a NaN error = %v, want nil", err)
	}
	var back Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Rows[1].Enum.P != 0 || back.Rows[1].Enum.D != 0.0216 || back.Rows[0].Latency.P99 != 0 ||
		back.Rows[2].Mail.Delivered != 7998 {
		t.Errorf("JSON round trip = %+v", back.Rows)
	}
	if !math.IsNaN(rep.Rows[0].Latency.P99) || !math.IsNaN(rep.Rows[1].Enum.P) {
		t.Error("writeJSON changed the report it was given")
	}
}

func TestMs(t *testing.T) {
	for v, want := range map[float64]string{0: "–", 1.234: "1.23", 12.34: "12.3", 123.4: "123", math.NaN(): "–"} {
		if got := ms(v); got != want {
			t.Errorf("ms(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestMetricValue(t *testing.T) {
	text := "# HELP accountd_mail_queued Emails waiting.\n# TYPE accountd_mail_queued gauge\n" +
		"accountd_mail_queued_total 9\naccountd_mail_queued 42\naccountd_mail_dead 1\n"
	v, err := metricValue(strings.NewReader(text), "accountd_mail_queued")
	if err != nil || v != 42 {
		t.Errorf("metricValue() = %v, %v, want 42, nil", v, err)
	}
	if _, err := metricValue(strings.NewReader("x 1\n"), "accountd_mail_queued"); err == nil {
		t.Error("metricValue() without the metric: error = nil, want one")
	}
}

func TestBracket(t *testing.T) {
	l := bracket(Limit{Name: "hash-bound", PerSecond: 40, Detail: "argon2id"}, Limit{Name: "hash-bound", PerSecond: 30})
	want := Limit{Name: "hash-bound", PerSecond: 35, Before: 40, After: 30, Detail: "argon2id"}
	if l != want {
		t.Errorf("bracket(40, 30) = %+v, want %+v", l, want)
	}
	r := Row{Scenario: "login", RPS: 28, Statuses: map[string]int{}}
	r.withLimit(l)
	if r.Ratio != 0.8 || !strings.Contains(r.notes(), "hash-bound 40.0/s before, 30.0/s after") {
		t.Errorf("row with the bracket: ratio %v, notes %q; want 0.8 and both figures", r.Ratio, r.notes())
	}
}

func TestParseStatCPU(t *testing.T) {
	// A command name with a space and a parenthesis, utime 250, stime 50.
	stat := "1234 (acc ount) d) S 1 1234 1234 0 -1 4194560 500 0 0 0 250 50 0 0 20 0 8 0 100 2000000 3000"
	got, err := parseStatCPU(stat)
	if err != nil || got != 3 {
		t.Errorf("parseStatCPU() = %v, %v; want 3 seconds", got, err)
	}
	if _, err := parseStatCPU("garbage"); err == nil {
		t.Error("parseStatCPU(garbage) error = nil, want one")
	}
	if got, err := cpuSeconds(os.Getpid()); err != nil || got < 0 {
		t.Errorf("cpuSeconds(self) = %v, %v", got, err)
	}
}

func TestCPUNote(t *testing.T) {
	r := Row{Scenario: "reset-request", Requests: 2000, Seconds: 10, CPUSeconds: 15, CPUCores: 1.5, ToolCores: 0.4,
		Statuses: map[string]int{"204": 2000}}
	if want := "accountd busy 1.50 cores, 7.50 ms CPU/request; the tool 0.40 cores"; !strings.Contains(r.notes(), want) {
		t.Errorf("notes() = %q, want it to contain %q", r.notes(), want)
	}
}
