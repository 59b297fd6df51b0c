//go:build refsignal

package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// newContext returns the steps' context, cancelled on SIGINT or SIGTERM,
// as the action's main does.
func newContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}
