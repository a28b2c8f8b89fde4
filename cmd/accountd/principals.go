package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// principalsChannel is the Redis channel on which nodes say "a credential
// changed here": each listener empties its cache of forward-auth answers
// (account.Service.ForgetPrincipals). The message is the sender's node id,
// so a node skips its own news. Channels are not per logical database in
// Redis, so the name carries the database number of ACCOUNTD_REDIS_URL:
// deployments on one server in different databases stay apart.
const principalsChannel = "accountd:principals-changed:"

// principalNews tells the other nodes, through Redis, that this node
// changed a credential, and listens for theirs. Without Redis (one node)
// it is nil and every method does nothing. A lost message costs at most
// ACCOUNTD_FORWARD_AUTH_CACHE of staleness on the node that missed it.
type principalNews struct {
	rdb     *redis.Client
	channel string
	log     *slog.Logger
	node    string
	// pending holds one unsent "changed": news coalesces, since any
	// message empties a listener's whole cache.
	pending chan struct{}
}

func newPrincipalNews(rdb *redis.Client, log *slog.Logger) *principalNews {
	b := make([]byte, 8)
	rand.Read(b)
	return &principalNews{rdb: rdb, log: log, node: hex.EncodeToString(b), pending: make(chan struct{}, 1),
		channel: principalsChannel + strconv.Itoa(rdb.Options().DB)}
}

// changed notes news to publish; it never blocks a request.
func (n *principalNews) changed() {
	if n == nil {
		return
	}
	select {
	case n.pending <- struct{}{}:
	default:
	}
}

// publishLoop publishes noted news until ctx ends.
func (n *principalNews) publishLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-n.pending:
			n.publish(ctx)
		}
	}
}

// flush publishes news still pending: a command that changed a credential
// (accountd user suspend …) tells the nodes before it exits.
func (n *principalNews) flush() {
	if n == nil {
		return
	}
	select {
	case <-n.pending:
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n.publish(ctx)
	default:
	}
}

func (n *principalNews) publish(ctx context.Context) {
	if err := n.rdb.Publish(ctx, n.channel, n.node).Err(); err != nil {
		n.log.WarnContext(ctx, "telling the other nodes that a credential changed", "err", err,
			"effect", "their forward-auth answers may lag up to ACCOUNTD_FORWARD_AUTH_CACHE")
	}
}

// listen calls forget for every other node's news until ctx ends. It also
// forgets whenever the subscription is (re)made or broken, since news may
// have been missed meanwhile.
func (n *principalNews) listen(ctx context.Context, forget func()) {
	sub := n.rdb.Subscribe(ctx, n.channel)
	// Receive does not return when ctx ends (go-redis reads without a
	// deadline): closing the subscription does, so shutdown does not hang.
	stop := context.AfterFunc(ctx, func() { sub.Close() })
	defer stop()
	defer sub.Close()
	for {
		msg, err := sub.Receive(ctx)
		if ctx.Err() != nil {
			return
		}
		switch m := msg.(type) {
		case *redis.Message:
			if m.Payload != n.node {
				forget()
			}
		case *redis.Subscription:
			forget()
		}
		if err != nil {
			forget()
			select { // Redis is down: try again in a second, not in a loop
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
	}
}
