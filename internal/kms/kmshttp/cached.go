package kmshttp

import (
	"context"
	"sync"
	"time"
)

// Margin is how long before its expiry a cached credential is renewed, so
// that it cannot run out between the check and the request that uses it.
// oauth2's ReuseTokenSource renews ten seconds early; a KMS request may
// be retried for longer than that (see [Client.Do]).
const Margin = time.Minute

// Cached holds one provider credential, such as a signer's access token,
// and gets it again when it has less than [Margin] left. It is the only
// way to the credential: a provider asks [Cached.Get], never a field. The
// zero Cached is not usable; see [NewCached]. It is safe for concurrent
// use: one fetch runs at a time, and callers that find the credential
// missing or low wait for it. A struct credential is best kept as a
// pointer: the compiler makes one Get for every pointer type, and one per
// other type, in a binary whose size is budgeted.
type Cached[T any] struct {
	now   func() time.Time
	fetch func(context.Context) (T, time.Time, error)

	mu      sync.Mutex
	value   T
	expires time.Time // zero: never, as far as is known
	ok      bool
}

// NewCached returns a Cached that gets its credential with fetch, which
// returns it and its expiry (zero when unknown: a credential handed in,
// which is kept for the Cached's life), and reads the clock with now (nil:
// time.Now).
func NewCached[T any](now func() time.Time, fetch func(context.Context) (T, time.Time, error)) *Cached[T] {
	if now == nil {
		now = time.Now
	}
	return &Cached[T]{now: now, fetch: fetch}
}

// Get returns the credential held if it has more than [Margin] left, or
// else fetches and keeps it. A failed fetch keeps nothing: the next call
// fetches again.
func (c *Cached[T]) Get(ctx context.Context) (T, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ok && (c.expires.IsZero() || c.now().Add(Margin).Before(c.expires)) {
		return c.value, nil
	}
	v, expires, err := c.fetch(ctx)
	if err != nil {
		var zero T
		return zero, err
	}
	c.value, c.expires, c.ok = v, expires, true
	return v, nil
}
