package web

import (
	"log"
	"net/http"
	"time"
)

// HTTPServer returns an http.Server for h with the timeouts and header
// limit of docs/architecture.md#http; errLog receives net/http's own errors. accountd's
// listeners use it, and so does the load tool's HTTP floor, so the floor is
// measured on the same setup.
func HTTPServer(h http.Handler, errLog *log.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          errLog,
	}
}
