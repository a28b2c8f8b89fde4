package ratelimit

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
)

// Fallback is a Limiter that asks a primary limiter (Redis) and, when that
// fails, answers from a local one (Memory), so that the service keeps
// answering while Redis is unreachable. During an outage the limits are
// per node and count only the events seen during the outage.
//
// While degraded, one call at a time probes the primary; the others answer
// from the local limiter at once instead of each waiting for a timeout.
// A probe that succeeds ends the outage.
type Fallback struct {
	primary, local Limiter
	log            *slog.Logger
	onFallback     func(degraded bool)

	degraded atomic.Bool
	probing  atomic.Bool
	mu       sync.Mutex // orders changes of degraded and their callbacks
}

// NewFallback returns a Limiter answering from primary, or from local when
// primary returns an error. It logs a warning through log once per outage and
// a message once it recovers, and calls onFallback(true) when an outage
// begins and onFallback(false) when it ends (for a metric). log and
// onFallback may be nil.
func NewFallback(primary, local Limiter, log *slog.Logger, onFallback func(degraded bool)) *Fallback {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Fallback{primary: primary, local: local, log: log, onFallback: onFallback}
}

// Allow counts one event for key under l and says whether it is allowed.
// A denied event is not counted.
func (f *Fallback) Allow(ctx context.Context, key string, l Limit) (Result, error) {
	return f.do(ctx, key, l, Limiter.Allow)
}

// Peek returns the Result that Allow would return now, counting nothing.
func (f *Fallback) Peek(ctx context.Context, key string, l Limit) (Result, error) {
	return f.do(ctx, key, l, Limiter.Peek)
}

// Return gives back one event counted for key under l, to whichever
// limiter answers now: an event counted on one side of an outage and
// returned on the other is lost, which only makes the limit stricter for
// that key until its bucket refills.
func (f *Fallback) Return(ctx context.Context, key string, l Limit) error {
	_, err := f.do(ctx, key, l, func(lim Limiter, ctx context.Context, key string, l Limit) (Result, error) {
		return Result{}, lim.Return(ctx, key, l)
	})
	return err
}

type limiterOp func(Limiter, context.Context, string, Limit) (Result, error)

func (f *Fallback) do(ctx context.Context, key string, l Limit, op limiterOp) (Result, error) {
	// An invalid limit is the caller's mistake, not an outage.
	if _, err := l.gcra(); err != nil {
		return Result{}, err
	}
	probe := false
	if f.degraded.Load() {
		if !f.probing.CompareAndSwap(false, true) {
			return op(f.local, ctx, key, l)
		}
		defer f.probing.Store(false)
		probe = true
	}
	res, err := op(f.primary, ctx, key, l)
	if err == nil {
		// Only a call made during the outage may end it: a call sent before
		// the outage and answered late proves nothing about now.
		if probe {
			f.setDegraded(false, nil)
		}
		return res, nil
	}
	if ctx.Err() != nil {
		// The caller gave up (a client went away); that says nothing
		// about Redis, and nobody waits for the answer.
		return Result{}, err
	}
	f.setDegraded(true, err)
	return op(f.local, ctx, key, l)
}

// setDegraded records the state d, logging and calling onFallback when it
// changes.
func (f *Fallback) setDegraded(d bool, err error) {
	if f.degraded.Load() == d {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.degraded.Load() == d {
		return
	}
	f.degraded.Store(d)
	if d {
		f.log.Warn("rate limiter unavailable: answering from local memory, limits are per node until it recovers", "err", err)
	} else {
		f.log.Info("rate limiter recovered: answering from the shared limiter again")
	}
	if f.onFallback != nil {
		f.onFallback(d)
	}
}
