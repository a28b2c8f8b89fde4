package main

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// version is `accountd version` (and -version): what was built, from
// what. Go records no build time, so the commit's time stands for it; a
// build without VCS stamping (go build -buildvcs=false, a tarball) says
// "unknown" for the commit.
func version(_ context.Context, args []string, _ func(string) string, stdout, stderr io.Writer) error {
	rest, err := parseFlags(newFlags("version", stdout, stderr), args)
	if err == nil {
		err = noArgs("version", rest)
	}
	if err != nil {
		return err
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	fmt.Fprint(stdout, versionText(bi))
	return nil
}

// versionText describes a build; bi may be nil.
func versionText(bi *debug.BuildInfo) string {
	const unknown = "unknown"
	ver, goVer, vcs := unknown, unknown, map[string]string{}
	if bi != nil {
		if v := bi.Main.Version; v != "" {
			ver = v // "(devel)" when built from a checkout rather than a tagged module
		}
		if bi.GoVersion != "" {
			goVer = bi.GoVersion
		}
		for _, s := range bi.Settings {
			vcs[s.Key] = s.Value
		}
	}
	commit, when := unknown, unknown
	if r := vcs["vcs.revision"]; r != "" {
		commit = r
		if vcs["vcs.modified"] == "true" {
			commit += " (with uncommitted changes)"
		}
	}
	if t := vcs["vcs.time"]; t != "" {
		when = t
	}
	var b strings.Builder
	fmt.Fprintf(&b, "accountd %s\n", ver)
	fmt.Fprintf(&b, "commit:      %s\n", commit)
	fmt.Fprintf(&b, "commit time: %s\n", when)
	fmt.Fprintf(&b, "go:          %s\n", goVer)
	return b.String()
}
