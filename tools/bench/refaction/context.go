//go:build !refsignal

package main

import "context"

// newContext returns the steps' context: no signal handling.
func newContext() (context.Context, context.CancelFunc) {
	return context.Background(), func() {}
}
