package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// health is `accountd health`: asks the admin listener of a running
// accountd whether it is alive (/healthz) or, with -ready, ready to serve
// (/readyz: the database answers). The container image's HEALTHCHECK runs
// it, since the image has no curl or shell.
func health(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("health", stdout, stderr)
	ready := fs.Bool("ready", false, "ask /readyz (the database answers) rather than /healthz (the process answers)")
	cfg, rest, err := parseConfigFor(args, getenv, fs, "admin-addr")
	if err == nil {
		err = noArgs("health", rest)
	}
	if err != nil {
		return err
	}
	url, err := healthURL(cfg.AdminAddr, *ready)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health: %s: %w", url, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("health: %s answered %s", url, res.Status)
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}

// healthURL is the probe's URL on the admin listener at addr; a listener on
// all interfaces (":9090", "0.0.0.0:9090", "[::]:9090") is asked on loopback.
func healthURL(addr string, ready bool) (string, error) {
	if addr == "" || addr == "off" {
		return "", errors.New("health: the admin listener is off (ACCOUNTD_ADMIN_ADDR=off); nothing to ask")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("health: ACCOUNTD_ADMIN_ADDR %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	path := "/healthz"
	if ready {
		path = "/readyz"
	}
	return "http://" + net.JoinHostPort(host, port) + path, nil
}
