package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/accountd/accountd/internal/account"
)

// `accountd import users FILE` (docs/operations.md#importing-users): the
// rules are account.Service.ImportUsers'; this file reads the file and
// speaks to the operator.

// defaultProgressLines is how often, in lines read, the import prints its
// counts.
const defaultProgressLines = 100_000

// importUsers returns the command; stdin is what FILE "-" reads.
func importUsers(stdin io.Reader) func(context.Context, []string, func(string) string, io.Writer, io.Writer) error {
	return func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
		fs := newFlags("import users", stdout, stderr)
		batch := fs.Int("batch", account.DefaultImportBatch,
			"lines per transaction: larger is faster, smaller holds SQLite's write lock for less time")
		progress := fs.Int("progress", defaultProgressLines, "print the counts to stderr every this many lines; 0: never")
		cfg, rest, err := parseConfigFor(args, getenv, fs, opsFlags()...)
		if err != nil {
			return err
		}
		switch {
		case len(rest) != 1:
			return errUsage("import users", "want one FILE, or - for the standard input")
		case *batch < 1:
			return errUsage("import users", "-batch must be at least 1")
		case *progress < 0:
			return errUsage("import users", "-progress must be 0 (never) or more")
		}
		in, closeIn, err := openImportFile(rest[0], stdin)
		if err != nil {
			return err
		}
		defer closeIn()
		a, err := opsApp(ctx, cfg, stderr)
		if err != nil {
			return err
		}
		defer a.Close()
		p := &importProgress{w: stderr, every: *progress, start: time.Now()}
		sum, err := a.svc.ImportUsers(ctx, in, account.ImportOptions{BatchSize: *batch, OnBatch: p.batch,
			OnBadLine: func(line int, err error) { fmt.Fprintf(stderr, "line %d: %v\n", line, err) }})
		fmt.Fprintf(stdout, "read %d lines: %d imported, %d skipped (an account has the address), %d bad\n",
			sum.Read, sum.Imported, sum.Existing, sum.Bad)
		switch {
		case err != nil:
			return fmt.Errorf("%w\nthe accounts imported so far stay; run the same import again to add the rest "+
				"(it skips the addresses that have an account)", err)
		case sum.Bad > 0:
			return fmt.Errorf("%d lines not imported: each is named above with its number and why", sum.Bad)
		}
		return nil
	}
}

// openImportFile opens FILE, or stdin for "-".
func openImportFile(name string, stdin io.Reader) (io.Reader, func(), error) {
	if name == "-" {
		return stdin, func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}

// importProgress prints the running counts each time a batch takes the
// lines read past a multiple of every.
type importProgress struct {
	w     io.Writer
	every int
	start time.Time
	next  int
}

func (p *importProgress) batch(sum account.ImportSummary) {
	if p.every == 0 || sum.Read < max(p.next, p.every) {
		return
	}
	p.next = (sum.Read/p.every + 1) * p.every
	rate := float64(sum.Read) / max(time.Since(p.start).Seconds(), 1e-3)
	fmt.Fprintf(p.w, "progress: %d lines read: %d imported, %d skipped, %d bad (%.0f lines/s)\n",
		sum.Read, sum.Imported, sum.Existing, sum.Bad, rate)
}
