// Command accountd is a self-hostable account service whose API is
// wire-compatible with the Registration and Login part of Webshare's API v2.
// main is the only package that knows every other one: it reads the
// configuration and wires the store, the service, the mail worker and the
// HTTP listeners together.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // profile time zones work on machines without tzdata
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "accountd:", err)
		}
		os.Exit(1)
	}
}

// run is accountd without the process around it, so tests can drive it.
// A -h is an answer, not a failure: its help goes to stdout and run
// returns nil.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return errors.New("no command given")
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage())
		return nil
	case "-version", "--version":
		return version(ctx, args[1:], getenv, stdout, stderr)
	}
	c, rest, ok := lookupCommand(args)
	if !ok {
		fmt.Fprint(stderr, usage())
		if args[0] == "mail" {
			return errors.New("mail takes list or retry")
		}
		return fmt.Errorf("unknown command %q", args[0])
	}
	err := c.run(ctx, rest, getenv, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}
