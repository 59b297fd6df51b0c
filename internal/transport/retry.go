package transport

import (
	"context"
	"errors"
	"time"
)

// DefaultMaxRetries is [Policy.MaxRetries]'s default.
const DefaultMaxRetries = 3

// Policy is the one retry policy of every client that sends requests:
// GitHub's (githubapi), the KMS providers' (kmshttp) and the runner's OIDC
// token service's (oidc). What is retried is the same for all: a request
// that got no answer, by its [Kind] (a name that does not resolve at most
// [MaxDNSRetries] times; a TLS failure, a proxy's refusal or a
// cancellation never), and an answer the client marks [Retry] or
// [RetryAfter]. How often and how long to wait are the client's to set.
// The zero Policy is usable.
type Policy struct {
	// MaxRetries bounds the retries after failures marked [Retry] and
	// those that got no answer; 0 = [DefaultMaxRetries], negative = none.
	MaxRetries int
	// Backoff returns the wait before retry n (from 1); nil: [Backoff]
	// from one second.
	Backoff func(n int) time.Duration
	// Sleep waits d or until ctx ends, then returns ctx's error; nil: a
	// real timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Decided, if set, is told after each attempt whether another
	// follows after wait, and why (reason), before that wait starts. It
	// must not block.
	Decided func(attempt int, retry bool, wait time.Duration, reason string)
}

// Again is an attempt's answer that is worth another attempt: see [Retry]
// and [RetryAfter].
type Again struct {
	Err    error  // the answer, returned when no attempt follows
	Reason string // why another attempt, e.g. "503 Service Unavailable"
	// Last says how the attempt ended, for the error of a call that ctx
	// ends later, e.g. "503 (request ID AB:CD)"; "" is Err's text.
	Last string

	wait    time.Duration
	counted bool
}

func (a *Again) Error() string { return a.Err.Error() }
func (a *Again) Unwrap() error { return a.Err }

// Retry marks err, an answer such as a 5xx, as worth another attempt
// after the policy's backoff, counted against MaxRetries.
func Retry(err error, reason string) *Again {
	return &Again{Err: err, Reason: reason, counted: true}
}

// RetryAfter marks err, an answer that says when to ask again (a rate
// limit, a token not yet replicated), as worth another attempt after d,
// not counted against MaxRetries: the caller bounds these.
func RetryAfter(err error, d time.Duration, reason string) *Again {
	return &Again{Err: err, Reason: reason, wait: d}
}

// Do calls try once per attempt (numbered from 1) until it returns nil,
// or an error that is not worth another attempt, or the retries are
// spent, or ctx ends. try's error says what the attempt came to:
//   - a [*Failure] (no answer came) is retried by its kind; the last one
//     comes back as call's [*Error] (see [Error.With]);
//   - an [*Again] is retried as it says; the last one comes back as its Err;
//   - any other error comes back as it is.
//
// When ctx ends, during an attempt that got no answer or during a wait,
// Do returns call's [*Error] from [Error.Done], with what went wrong
// before. call is called only for those errors.
func (p Policy) Do(ctx context.Context, call func() *Error, try func(ctx context.Context, attempt int) error) error {
	maxRetries := p.MaxRetries
	switch {
	case maxRetries == 0:
		maxRetries = DefaultMaxRetries
	case maxRetries < 0:
		maxRetries = 0
	}
	var (
		retries, dnsFailures int
		last                 string // how the previous attempt ended
	)
	for attempt := 1; ; attempt++ {
		err := try(ctx, attempt)
		var (
			f      *Failure
			again  *Again
			retry  bool
			wait   time.Duration
			reason string
			final  = err
		)
		switch {
		case err == nil:
		case errors.As(err, &f):
			if ctx.Err() != nil {
				p.decided(attempt, false, 0, "")
				return call().Done(ctx, attempt, last)
			}
			if f.Kind == DNS {
				dnsFailures++
			}
			if f.Retry(dnsFailures) && retries < maxRetries {
				retries++
				retry, wait, reason = true, p.backoff(retries), f.Kind.Reason()
			} else {
				final = call().With(f, attempt)
			}
			last = f.Error()
		case errors.As(err, &again):
			final = again.Err
			switch {
			case !again.counted:
				retry, wait = true, again.wait
			case retries < maxRetries:
				retries++
				retry, wait = true, p.backoff(retries)
			}
			reason, last = again.Reason, again.Last
			if last == "" {
				last = again.Err.Error()
			}
		}
		p.decided(attempt, retry, wait, reason)
		if !retry {
			return final
		}
		if wait > 0 {
			if err := p.sleep(ctx, wait); err != nil {
				return call().Done(ctx, attempt, last)
			}
		}
		if ctx.Err() != nil {
			return call().Done(ctx, attempt, last)
		}
	}
}

func (p Policy) backoff(n int) time.Duration {
	if p.Backoff != nil {
		return p.Backoff(n)
	}
	return Backoff(time.Second, n)
}

// sleep waits d, or until ctx ends (its error then), by p.Sleep if set.
func (p Policy) sleep(ctx context.Context, d time.Duration) error {
	if p.Sleep != nil {
		return p.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (p Policy) decided(attempt int, retry bool, wait time.Duration, reason string) {
	if p.Decided != nil {
		p.Decided(attempt, retry, wait, reason)
	}
}
