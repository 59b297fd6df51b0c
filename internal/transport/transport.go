// Package transport classifies requests that got no HTTP answer, once,
// and retries them by one policy, for every client that sends them: the
// GitHub API client, the KMS clients and the runner's OIDC token service's.
// A request that failed so ends in an [*Error] of a [Kind] (a name that
// did not resolve, a refused connection, a proxy, TLS, a timeout, a
// cancellation), and [Kind.Retried] says whether another attempt is worth
// it, so that "transient", "unreachable" and "refused" mean the same
// whoever was asked. [Policy.Do] is the one retry loop.
package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Kind says why a request got no HTTP answer.
type Kind int

// The kinds of [Error].
const (
	Other    Kind = iota // a network failure of another kind, such as a reset connection
	DNS                  // the host's name did not resolve
	Refused              // the host refused the connection
	Proxy                // the proxy could not be reached or refused the tunnel
	TLS                  // the TLS handshake failed, e.g. an unknown certificate authority
	Timeout              // no answer in time: the attempt's timeout or ctx's deadline
	Canceled             // ctx was canceled, e.g. the job was cancelled
)

// MaxDNSRetries is how often a failed name lookup is tried again: a
// resolver's hiccup passes quickly, a wrong host name never does.
const MaxDNSRetries = 2

// String returns a short lower-case name, such as "dns" or "tls".
func (k Kind) String() string {
	switch k {
	case DNS:
		return "dns"
	case Refused:
		return "refused"
	case Proxy:
		return "proxy"
	case TLS:
		return "tls"
	case Timeout:
		return "timeout"
	case Canceled:
		return "canceled"
	}
	return "other"
}

// Retried reports whether a failure of kind k is worth another attempt.
// A certificate, a proxy's refusal or a cancellation stays as it is.
func (k Kind) Retried() bool {
	return k != TLS && k != Canceled
}

// Reason is the phrase for a wait after a failure of kind k, such as
// "connection refused".
func (k Kind) Reason() string {
	switch k {
	case DNS:
		return "DNS lookup failed"
	case Refused:
		return "connection refused"
	case Proxy:
		return "proxy failed"
	case Timeout:
		return "no response in time"
	}
	return "network error"
}

// Error is a request that got no HTTP answer: a network, DNS, proxy or
// TLS failure, a timeout, or a cancellation. For a deadline or
// cancellation of the caller's context, Err wraps ctx.Err(), so
// errors.Is(err, context.Canceled) holds. It never holds a URL's query, a
// header or proxy credentials.
type Error struct {
	Kind Kind
	// Service names who was asked, such as "Vault" or "AWS KMS"; "" is
	// GitHub's API. Step is what the request was for, with Service:
	// "sign", "log in".
	Service, Step string
	Method, Path  string // e.g. "POST", "/app/installations/42/access_tokens"; "" with Service
	Host          string // the host (host[:port]) asked
	Proxy         string // the proxy's host[:port] when one was used, else ""
	Attempts      int    // attempts made, 0 when ctx ended before the first
	Err           error  // the last failure, without the URL

	last string // what went wrong on the attempt before a cancellation
}

// Error says what failed, where, and after how many attempts, e.g.
// "GET /app: connection to api.github.com refused after 4 attempts: dial
// tcp 140.82.112.6:443: connect: connection refused", or "Vault sign:
// connection to vault.example:8200 refused after 4 attempts: …".
func (e *Error) Error() string {
	var b strings.Builder
	if e.Service != "" {
		fmt.Fprintf(&b, "%s %s: ", e.Service, e.Step)
	} else {
		fmt.Fprintf(&b, "%s %s: ", e.Method, e.Path)
	}
	switch e.Kind {
	case DNS:
		fmt.Fprintf(&b, "cannot resolve %s", e.Host)
	case Refused:
		fmt.Fprintf(&b, "connection to %s refused", e.Host)
	case Proxy:
		fmt.Fprintf(&b, "proxy %s failed for %s", e.Proxy, e.Host)
	case TLS:
		fmt.Fprintf(&b, "TLS connection to %s failed", e.Host)
	case Timeout:
		fmt.Fprintf(&b, "request to %s timed out", e.Host)
	case Canceled:
		fmt.Fprintf(&b, "request to %s canceled", e.Host)
	default:
		fmt.Fprintf(&b, "no answer from %s", e.Host)
	}
	if e.Proxy != "" && e.Kind != Proxy {
		fmt.Fprintf(&b, " via proxy %s", e.Proxy)
	}
	if e.Attempts > 0 {
		b.WriteString(" after " + plural(e.Attempts, "attempt"))
	}
	if e.last != "" {
		b.WriteString(" (last: " + e.last + ")")
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

// With fills in e for failure f after attempts, and returns e.
func (e *Error) With(f *Failure, attempts int) *Error {
	e.Kind, e.Attempts, e.Err = f.Kind, attempts, f.Err
	return e
}

// Done fills in e for a call that ctx ended after attempts, last being
// what went wrong before, and returns e: a [Canceled] or [Timeout] error
// that wraps ctx.Err().
func (e *Error) Done(ctx context.Context, attempts int, last string) *Error {
	e.Kind, e.Attempts, e.Err, e.last = Timeout, attempts, ctx.Err(), last
	if errors.Is(ctx.Err(), context.Canceled) {
		e.Kind = Canceled
	}
	return e
}

// Failure is one attempt that got no HTTP answer, classified.
type Failure struct {
	Kind Kind
	Err  error
	// Final says the attempt is not worth repeating whatever its kind,
	// as after a proxy's refusal.
	Final bool
}

func (f *Failure) Error() string { return f.Err.Error() }
func (f *Failure) Unwrap() error { return f.Err }

// Retry reports whether another attempt is worth making after f, the
// dnsFailures-th failed name lookup of the call so far.
func (f *Failure) Retry(dnsFailures int) bool {
	return f.Kind.Retried() && !f.Final && dnsFailures <= MaxDNSRetries
}

// ProxyRefusedError is a proxy's non-200 answer to CONNECT.
type ProxyRefusedError struct{ Status string }

func (e *ProxyRefusedError) Error() string {
	return "proxy answered CONNECT with " + e.Status
}

// Classify turns the failure of an attempt bounded by actx (timeout after
// its start; 0 for none of its own) into a [*Failure], without Go's
// *url.Error, which would repeat the URL.
func Classify(actx context.Context, timeout time.Duration, err error) *Failure {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		err = ue.Err
	}
	var (
		refused     *ProxyRefusedError
		unknownCA   x509.UnknownAuthorityError
		hostname    x509.HostnameError
		invalid     x509.CertificateInvalidError
		systemRoots x509.SystemRootsError
		verify      *tls.CertificateVerificationError
		record      tls.RecordHeaderError
		alert       tls.AlertError
		op          *net.OpError
		dns         *net.DNSError
	)
	switch {
	case errors.As(err, &refused):
		return &Failure{Kind: Proxy, Err: err, Final: true}
	case errors.As(err, &unknownCA), errors.As(err, &hostname), errors.As(err, &invalid), errors.As(err, &systemRoots),
		errors.As(err, &verify), errors.As(err, &record), errors.As(err, &alert):
		return &Failure{Kind: TLS, Err: err}
	case errors.As(err, &op) && op.Op == "proxyconnect":
		// Go's transport wraps every failure to reach the proxy this way.
		return &Failure{Kind: Proxy, Err: err}
	case errors.As(err, &dns):
		return &Failure{Kind: DNS, Err: err}
	case errors.Is(err, syscall.ECONNREFUSED):
		return &Failure{Kind: Refused, Err: err}
	case timeout > 0 && errors.Is(actx.Err(), context.DeadlineExceeded):
		return &Failure{Kind: Timeout, Err: fmt.Errorf("no response within %s: %w", timeout, context.DeadlineExceeded)}
	}
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return &Failure{Kind: Timeout, Err: err}
	}
	return &Failure{Kind: Other, Err: err}
}

// Backoff returns the wait before retry n (from 1): base doubled per
// retry, with ±25% jitter so that many jobs failing together do not retry
// together.
func Backoff(base time.Duration, n int) time.Duration {
	d := base << min(max(n-1, 0), 16)
	return time.Duration(float64(d) * (0.75 + 0.5*rand.Float64()))
}

// ProxyHost returns the host[:port] of the proxy hc's transport uses for
// target, without credentials, or "" for none or a transport it cannot ask.
func ProxyHost(hc *http.Client, target string) string {
	rt := hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	t, ok := rt.(*http.Transport)
	if !ok || t.Proxy == nil {
		return ""
	}
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		return ""
	}
	u, err := t.Proxy(req)
	if err != nil || u == nil {
		return ""
	}
	return u.Host
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}
