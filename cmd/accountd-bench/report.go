package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is everything one run of the tool measured.
type Report struct {
	Label    string    `json:"label,omitempty"` // what was measured, e.g. "sqlite"
	URL      string    `json:"url"`
	Command  string    `json:"command"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Machine  Machine   `json:"machine"`
	Rows     []Row     `json:"rows"`
}

// Row is one scenario at one concurrency.
type Row struct {
	Scenario    string         `json:"scenario"`
	Concurrency int            `json:"concurrency"`
	Requests    int            `json:"requests"`
	Statuses    map[string]int `json:"statuses"`    // HTTP status → count; "error" for transport errors
	WantStatus  int            `json:"want_status"` // the status the scenario's requests should get
	Errors      int            `json:"errors"`      // requests without it
	Seconds     float64        `json:"seconds"`     // measured time
	RPS         float64        `json:"req_per_s"`
	Latency     Latency        `json:"latency_ms"`
	Limit       *Limit         `json:"limit,omitempty"`
	Ratio       float64        `json:"ratio,omitempty"` // RPS / Limit.PerSecond
	PeakRSSMiB  float64        `json:"peak_rss_mib,omitempty"`
	StartRSSMiB float64        `json:"start_rss_mib,omitempty"`  // resident memory when the run began
	CPUSeconds  float64        `json:"accountd_cpu_s,omitempty"` // accountd's user+system time during the run
	CPUCores    float64        `json:"accountd_cores,omitempty"` // CPUSeconds over the watched time, for mail-latency the wait for the emails too
	ToolCores   float64        `json:"tool_cores,omitempty"`     // the same for this tool (load generator and sink)
	Enum        *Enum          `json:"enum,omitempty"`
	Mail        *MailResult    `json:"mail,omitempty"`
	Note        string         `json:"note,omitempty"`
}

// KindStats is the latency of one kind of request in an enum-timing run.
type KindStats struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50_ms"`
	P90 float64 `json:"p90_ms"`
}

// Enum is the comparison of known and unknown addresses.
type Enum struct {
	Known   KindStats `json:"known"`
	Unknown KindStats `json:"unknown"`
	D       float64   `json:"ks_d"`
	P       float64   `json:"ks_p"`
}

// MailResult is what a mail-latency run saw at the SMTP sink.
type MailResult struct {
	Delivered  int     `json:"delivered"`
	Missing    int     `json:"missing"`
	EmailsPerS float64 `json:"emails_per_s"` // delivered / (last − first acceptance)
	// DuringLoadPerS counts the emails accepted while requests were still
	// being sent, DrainPerS those after (when more than 100 were left).
	DuringLoadPerS float64 `json:"during_load_per_s,omitempty"`
	DrainPerS      float64 `json:"drain_per_s,omitempty"`
	PacedRate      float64 `json:"paced_rate,omitempty"`
	// Latency (request start → SMTP acceptance) is the Row's Latency.
}

// summarize turns samples into a row; want is the expected status. Its
// req/s counts the answers with the expected status only.
func summarize(scenario string, concurrency int, res loadResult, want int) Row {
	r := Row{Scenario: scenario, Concurrency: concurrency, Requests: len(res.samples),
		Statuses: map[string]int{}, WantStatus: want, Seconds: res.elapsed.Seconds()}
	var lat []time.Duration
	ok := 0
	for _, s := range res.samples {
		key := "error"
		if s.status != 0 {
			key = strconv.Itoa(s.status)
			lat = append(lat, s.latency)
		}
		r.Statuses[key]++
		if s.status == want {
			ok++
		} else {
			r.Errors++
		}
	}
	if res.elapsed > 0 {
		r.RPS = float64(ok) / res.elapsed.Seconds()
	}
	r.Latency = latencyOf(lat)
	return r
}

// withLimit sets the row's limit and its ratio to it.
func (r *Row) withLimit(l Limit) {
	r.Limit = &l
	if l.PerSecond > 0 {
		r.Ratio = r.RPS / l.PerSecond
	}
}

// errorsCell lists the unexpected statuses, "0" when there are none.
func (r Row) errorsCell() string {
	want := strconv.Itoa(r.WantStatus)
	if r.Errors == 0 {
		return "0"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(r.Statuses)) {
		if k != want {
			parts = append(parts, fmt.Sprintf("%s×%d", k, r.Statuses[k]))
		}
	}
	return strings.Join(parts, " ")
}

// ms formats milliseconds with three significant digits or so.
func ms(v float64) string {
	switch {
	case v == 0 || math.IsNaN(v):
		return "–"
	case v < 10:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case v < 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

// rate formats a per-second figure.
func rate(v float64) string {
	if v < 100 {
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

var tableHeader = []string{"scenario", "c", "requests", "errors", "req/s", "p50 ms", "p90 ms", "p99 ms",
	"limit", "ratio", "peak RSS", "notes"}

// cells returns the row as the columns of tableHeader.
func (r Row) cells() []string {
	limit, ratio, rss := "", "", ""
	if r.Limit != nil {
		limit = r.Limit.Name + " " + rate(r.Limit.PerSecond) + "/s"
		ratio = strconv.FormatFloat(100*r.Ratio, 'f', 0, 64) + " %"
	}
	if r.PeakRSSMiB > 0 {
		rss = strconv.FormatFloat(r.PeakRSSMiB, 'f', 0, 64) + " MiB"
		if r.StartRSSMiB > 0 {
			rss += " (" + strconv.FormatFloat(r.StartRSSMiB, 'f', 0, 64) + " at start)"
		}
	}
	return []string{r.Scenario, strconv.Itoa(r.Concurrency), strconv.Itoa(r.Requests),
		r.errorsCell(), rate(r.RPS), ms(r.Latency.P50), ms(r.Latency.P90), ms(r.Latency.P99),
		limit, ratio, rss, r.notes()}
}

// notes says what the columns cannot: the KS test, the mail figures.
func (r Row) notes() string {
	var parts []string
	if e := r.Enum; e != nil {
		parts = append(parts, fmt.Sprintf("KS D=%.3f p=%.3g; median known %s unknown %s ms; p90 known %s unknown %s ms",
			e.D, e.P, ms(e.Known.P50), ms(e.Unknown.P50), ms(e.Known.P90), ms(e.Unknown.P90)))
	}
	if m := r.Mail; m != nil {
		s := fmt.Sprintf("%d delivered at %s emails/s", m.Delivered, rate(m.EmailsPerS))
		if m.DrainPerS > 0 {
			s += fmt.Sprintf(" (%s/s while requests came, %s/s draining after)", rate(m.DuringLoadPerS), rate(m.DrainPerS))
		}
		if m.Missing > 0 {
			s += fmt.Sprintf(", %d missing", m.Missing)
		}
		if m.PacedRate > 0 {
			s += fmt.Sprintf("; requests paced at %s/s", rate(m.PacedRate))
		}
		parts = append(parts, s+"; latency is request → SMTP acceptance")
	}
	if r.CPUSeconds > 0 {
		s := fmt.Sprintf("accountd busy %.2f cores", r.CPUCores)
		if ok := r.Requests - r.Errors; ok > 0 {
			s += fmt.Sprintf(", %s ms CPU/request", ms(1000*r.CPUSeconds/float64(ok)))
		}
		if r.ToolCores > 0 {
			s += fmt.Sprintf("; the tool %.2f cores", r.ToolCores)
		}
		parts = append(parts, s)
	}
	if l := r.Limit; l != nil && l.Before > 0 {
		parts = append(parts, fmt.Sprintf("%s %s/s before, %s/s after", l.Name, rate(l.Before), rate(l.After)))
	}
	if r.Note != "" {
		parts = append(parts, r.Note)
	}
	return strings.Join(parts, "; ")
}

// writeTable writes the rows as an aligned table for people.
func writeTable(w io.Writer, rep Report) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(tableHeader, "\t"))
	for _, r := range rep.Rows {
		fmt.Fprintln(tw, strings.Join(r.cells(), "\t"))
	}
	return tw.Flush()
}

// writeMarkdown writes the rows as a Markdown table, for docs/benchmarks.md.
func writeMarkdown(w io.Writer, rep Report) error {
	esc := strings.NewReplacer("|", `\|`)
	var b strings.Builder
	b.WriteString("| " + strings.Join(tableHeader, " | ") + " |\n|")
	for range tableHeader {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range rep.Rows {
		cells := r.cells()
		for i := range cells {
			cells[i] = esc.Replace(cells[i])
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeJSON writes the report for scripts.
func writeJSON(w io.Writer, rep Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sanitize(rep))
}

// sanitize replaces NaN and infinities, which JSON cannot carry, by 0.
func sanitize(rep Report) Report {
	fix := func(v *float64) {
		if math.IsNaN(*v) || math.IsInf(*v, 0) {
			*v = 0
		}
	}
	rows := slices.Clone(rep.Rows)
	for i := range rows {
		r := &rows[i]
		for _, v := range []*float64{&r.RPS, &r.Ratio, &r.Latency.P50, &r.Latency.P90, &r.Latency.P99, &r.Latency.Max} {
			fix(v)
		}
		if r.Enum != nil {
			e := *r.Enum
			for _, v := range []*float64{&e.D, &e.P, &e.Known.P50, &e.Known.P90, &e.Unknown.P50, &e.Unknown.P90} {
				fix(v)
			}
			r.Enum = &e
		}
	}
	rep.Rows = rows
	return rep
}

// write writes the report in the format asked for.
func write(w io.Writer, rep Report, format string) error {
	switch format {
	case "table":
		return writeTable(w, rep)
	case "markdown":
		return writeMarkdown(w, rep)
	case "json":
		return writeJSON(w, rep)
	}
	return fmt.Errorf("-format %q: want table, markdown or json", format)
}
