package kmshttp

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// TestCached checks when a cached credential is fetched again: never
// while more than Margin is left or its expiry is unknown, always once
// less is left, and after a failed fetch.
func TestCached(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name      string
		life      time.Duration // 0: no expiry known
		later     time.Duration // when the second Get runs
		wantFetch int
	}{
		{name: "fresh", life: time.Hour, later: 30 * time.Minute, wantFetch: 1},
		{name: "just over the margin", life: time.Hour, later: time.Hour - Margin - time.Second, wantFetch: 1},
		{name: "within the margin", life: time.Hour, later: time.Hour - Margin + time.Second, wantFetch: 2},
		{name: "at the margin", life: time.Hour, later: time.Hour - Margin, wantFetch: 2},
		{name: "expired", life: time.Hour, later: 2 * time.Hour, wantFetch: 2},
		{name: "no expiry known", later: 48 * time.Hour, wantFetch: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			now, fetches := start, 0
			c := NewCached(func() time.Time { return now }, func(context.Context) (int, time.Time, error) {
				fetches++
				if tt.life == 0 {
					return fetches, time.Time{}, nil
				}
				return fetches, now.Add(tt.life), nil
			})
			if v, err := c.Get(t.Context()); err != nil || v != 1 {
				t.Fatalf("Get() = %d, %v; want the first credential", v, err)
			}
			now = start.Add(tt.later)
			v, err := c.Get(t.Context())
			if err != nil || v != tt.wantFetch || fetches != tt.wantFetch {
				t.Errorf("Get() after %v = %d, %v with %d fetches; want credential %d", tt.later, v, err, fetches, tt.wantFetch)
			}
		})
	}
}

// TestCachedError checks that a failed fetch is not kept.
func TestCachedError(t *testing.T) {
	t.Parallel()
	fail := true
	c := NewCached(nil, func(context.Context) (string, time.Time, error) {
		if fail {
			return "", time.Time{}, errors.New("refused")
		}
		return "token", time.Time{}, nil
	})
	if _, err := c.Get(t.Context()); err == nil {
		t.Fatal("Get() error = nil, want the fetch's")
	}
	fail = false
	if v, err := c.Get(t.Context()); err != nil || v != "token" {
		t.Errorf("Get() after a failure = %q, %v; want a new fetch", v, err)
	}
}

// TestCachedConcurrent checks that callers that find no credential wait
// for one fetch rather than each fetching.
func TestCachedConcurrent(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	fetches := 0
	c := NewCached(nil, func(context.Context) (int, time.Time, error) {
		mu.Lock()
		defer mu.Unlock()
		fetches++
		return fetches, time.Now().Add(time.Hour), nil
	})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if v, err := c.Get(t.Context()); err != nil || v != 1 {
				t.Errorf("Get() = %d, %v; want the one credential", v, err)
			}
		})
	}
	wg.Wait()
	if fetches != 1 {
		t.Errorf("8 concurrent Get() fetched %d times, want 1", fetches)
	}
}
