package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Machine describes where the run happened.
type Machine struct {
	CPUs        int    `json:"cpus"`
	CPUModel    string `json:"cpu_model"`
	MemoryMiB   int64  `json:"memory_mib"`
	LoadStart   string `json:"load_average_start"`
	LoadEnd     string `json:"load_average_end,omitempty"`
	GoVersion   string `json:"go_version"`
	Kernel      string `json:"kernel,omitempty"`
	AccountdRSS string `json:"accountd_rss_at_start,omitempty"`
}

// machine reads /proc for the description of this machine.
func machine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), LoadStart: loadAverage()}
	m.CPUModel = procField("/proc/cpuinfo", "model name")
	if kb, err := strconv.ParseInt(strings.Fields(procField("/proc/meminfo", "MemTotal") + " 0")[0], 10, 64); err == nil {
		m.MemoryMiB = kb / 1024
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

// loadAverage returns the 1, 5 and 15 minute load averages.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// procField returns the value of the first "name: value" line of a /proc
// file, "" when absent.
func procField(path, name string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// statusKiB reads a "VmHWM:  1234 kB" line of /proc/<pid>/status.
func statusKiB(pid int, field string) (int64, error) {
	v := procField(fmt.Sprintf("/proc/%d/status", pid), field)
	f := strings.Fields(v)
	if len(f) == 0 {
		return 0, fmt.Errorf("/proc/%d/status has no %s", pid, field)
	}
	return strconv.ParseInt(f[0], 10, 64)
}

// procWatch follows the accountd process during one run: its resident
// memory and the CPU time it uses. It resets the kernel's high-water mark
// (VmHWM) at the start by writing 5 to /proc/<pid>/clear_refs, so VmHWM
// afterwards is the peak of this run; only if the reset is refused does it
// sample VmRSS every 50 ms instead.
type procWatch struct {
	pid      int
	reset    bool
	start    int64   // KiB at the start
	cpuStart float64 // CPU seconds at the start
	toolCPU  float64 // this process's CPU seconds at the start
	began    time.Time
	peak     atomic.Int64
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

// procUsage is what a procWatch saw.
type procUsage struct {
	peakMiB, startMiB float64
	cpuSeconds        float64 // user and system time of the process during the watch
	toolSeconds       float64 // the same for this tool: load, sink, and nothing else
	wallSeconds       float64 // how long the watch lasted
}

// watchProc starts watching pid; nil when pid is 0.
func watchProc(pid int) *procWatch {
	if pid == 0 {
		return nil
	}
	w := &procWatch{pid: pid, began: time.Now()}
	w.start, _ = statusKiB(pid, "VmRSS")
	w.cpuStart, _ = cpuSeconds(pid)
	w.toolCPU, _ = cpuSeconds(os.Getpid())
	w.reset = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0) == nil
	if w.reset {
		return w // VmHWM at the end is the peak: no sampling needed
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	w.wg.Go(func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if kb, err := statusKiB(pid, "VmRSS"); err == nil && kb > w.peak.Load() {
				w.peak.Store(kb)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
	return w
}

// stop ends the watch. The peak is VmHWM when it was reset at the start,
// else the highest sample; the resident memory at the start is given too,
// since the Go runtime gives memory back slowly and a run inherits what the
// one before it used.
func (w *procWatch) stop() procUsage {
	if w == nil {
		return procUsage{}
	}
	var kb int64
	if w.reset {
		kb, _ = statusKiB(w.pid, "VmHWM")
	} else {
		w.cancel()
		w.wg.Wait()
		kb = w.peak.Load()
	}
	u := procUsage{peakMiB: float64(kb) / 1024, startMiB: float64(w.start) / 1024,
		wallSeconds: time.Since(w.began).Seconds()}
	if cpu, err := cpuSeconds(os.Getpid()); err == nil && w.toolCPU > 0 {
		u.toolSeconds = cpu - w.toolCPU
	}
	if cpu, err := cpuSeconds(w.pid); err == nil && w.cpuStart > 0 {
		u.cpuSeconds = cpu - w.cpuStart
	}
	return u
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times: 100 on every
// Linux architecture Go supports.
const clockTicks = 100

// cpuSeconds returns the user and system CPU time of a process.
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(string(b))
}

// parseStatCPU reads utime and stime, fields 14 and 15 of /proc/<pid>/stat;
// the command name (field 2) may hold spaces and parentheses, so the count
// starts after its last ")".
func parseStatCPU(stat string) (float64, error) {
	i := strings.LastIndexByte(stat, ')')
	f := strings.Fields(stat[i+1:])
	if i < 0 || len(f) < 13 {
		return 0, errors.New("/proc/<pid>/stat: unexpected format")
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("/proc/<pid>/stat: unexpected format")
	}
	return float64(utime+stime) / clockTicks, nil
}

// queuedMail reads accountd_mail_queued from accountd's /metrics.
func queuedMail(ctx context.Context, adminURL string) (float64, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", adminURL+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	return metricValue(res.Body, "accountd_mail_queued")
}

// metricValue finds an unlabelled sample in the Prometheus text format.
func metricValue(r io.Reader, name string) (float64, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no %s in /metrics", name)
}
