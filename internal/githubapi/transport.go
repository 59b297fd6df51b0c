package githubapi

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"
)

// TransportKind says why a request got no HTTP answer.
type TransportKind int

// The kinds of [TransportError].
const (
	TransportOther    TransportKind = iota // a network failure of another kind, such as a reset connection
	TransportDNS                           // the API host's name did not resolve
	TransportRefused                       // the API host refused the connection
	TransportProxy                         // the proxy could not be reached or refused the tunnel
	TransportTLS                           // the TLS handshake failed, e.g. an unknown certificate authority
	TransportTimeout                       // no answer in time: the attempt's timeout or ctx's deadline
	TransportCanceled                      // ctx was canceled, e.g. the job was cancelled
)

// String returns a short lower-case name, such as "dns" or "tls".
func (k TransportKind) String() string {
	switch k {
	case TransportDNS:
		return "dns"
	case TransportRefused:
		return "refused"
	case TransportProxy:
		return "proxy"
	case TransportTLS:
		return "tls"
	case TransportTimeout:
		return "timeout"
	case TransportCanceled:
		return "canceled"
	}
	return "other"
}

// retried reports whether a failure of kind k is worth another attempt.
// A certificate, a proxy's refusal or a cancellation stays as it is.
func (k TransportKind) retried() bool {
	return k != TransportTLS && k != TransportCanceled
}

// reason is the phrase for a [Wait] after a failure of kind k.
func (k TransportKind) reason() string {
	switch k {
	case TransportDNS:
		return "DNS lookup failed"
	case TransportRefused:
		return "connection refused"
	case TransportProxy:
		return "proxy failed"
	case TransportTimeout:
		return "no response in time"
	}
	return "network error"
}

// TransportError is a request that got no HTTP answer from GitHub: a
// network, DNS, proxy or TLS failure, a timeout, or a cancellation. For a
// deadline or cancellation of the caller's context, Err wraps ctx.Err(), so
// errors.Is(err, context.Canceled) holds. It never holds a URL's query,
// a header or proxy credentials.
type TransportError struct {
	Kind         TransportKind
	Method, Path string // e.g. "POST", "/app/installations/42/access_tokens"
	Host         string // the API host (host[:port]) from the base URL
	Proxy        string // the proxy's host[:port] when one was used, else ""
	Attempts     int    // attempts made, 0 when ctx ended before the first
	Err          error  // the last failure, without the URL

	last string // what went wrong on the attempt before a cancellation
}

// Error says what failed, where, and after how many attempts, e.g.
// "GET /app: connection to api.github.com refused after 4 attempts: dial
// tcp 140.82.112.6:443: connect: connection refused".
func (e *TransportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: ", e.Method, e.Path)
	switch e.Kind {
	case TransportDNS:
		fmt.Fprintf(&b, "cannot resolve %s", e.Host)
	case TransportRefused:
		fmt.Fprintf(&b, "connection to %s refused", e.Host)
	case TransportProxy:
		fmt.Fprintf(&b, "proxy %s failed for %s", e.Proxy, e.Host)
	case TransportTLS:
		fmt.Fprintf(&b, "TLS connection to %s failed", e.Host)
	case TransportTimeout:
		fmt.Fprintf(&b, "request to %s timed out", e.Host)
	case TransportCanceled:
		fmt.Fprintf(&b, "request to %s canceled", e.Host)
	default:
		fmt.Fprintf(&b, "no answer from %s", e.Host)
	}
	if e.Proxy != "" && e.Kind != TransportProxy {
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
func (e *TransportError) Unwrap() error { return e.Err }

// with fills in e for failure f after attempts, and returns e.
func (e *TransportError) with(f *transportFailure, attempts int) *TransportError {
	e.Kind, e.Attempts, e.Err = f.kind, attempts, f.err
	return e
}

// done fills in e for a call that ctx ended after attempts, last being
// what went wrong before, and returns e.
func (e *TransportError) done(ctx context.Context, attempts int, last string) *TransportError {
	e.Kind, e.Attempts, e.Err, e.last = TransportTimeout, attempts, ctx.Err(), last
	if errors.Is(ctx.Err(), context.Canceled) {
		e.Kind = TransportCanceled
	}
	return e
}

// proxyRefusedError is a proxy's non-200 answer to CONNECT.
type proxyRefusedError struct{ status string }

func (e *proxyRefusedError) Error() string {
	return "proxy answered CONNECT with " + e.status
}

// classify turns the failure of an attempt bounded by actx (timeout after
// its start) into a [*transportFailure], without Go's *url.Error, which
// would repeat the URL.
func classify(actx context.Context, timeout time.Duration, err error) *transportFailure {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		err = ue.Err
	}
	var (
		refused     *proxyRefusedError
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
		return &transportFailure{kind: TransportProxy, err: err, final: true}
	case errors.As(err, &unknownCA), errors.As(err, &hostname), errors.As(err, &invalid), errors.As(err, &systemRoots),
		errors.As(err, &verify), errors.As(err, &record), errors.As(err, &alert):
		return &transportFailure{kind: TransportTLS, err: err}
	case errors.As(err, &op) && op.Op == "proxyconnect":
		// Go's transport wraps every failure to reach the proxy this way.
		return &transportFailure{kind: TransportProxy, err: err}
	case errors.As(err, &dns):
		return &transportFailure{kind: TransportDNS, err: err}
	case errors.Is(err, syscall.ECONNREFUSED):
		return &transportFailure{kind: TransportRefused, err: err}
	case errors.Is(actx.Err(), context.DeadlineExceeded):
		return &transportFailure{kind: TransportTimeout, err: fmt.Errorf("no response within %s: %w", timeout, context.DeadlineExceeded)}
	}
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return &transportFailure{kind: TransportTimeout, err: err}
	}
	return &transportFailure{kind: TransportOther, err: err}
}

// NewHTTPClient returns an HTTP client for [Client.HTTP]: Go's default
// transport (proxies from HTTPS_PROXY, HTTP_PROXY and NO_PROXY) with
// shorter dial and TLS handshake timeouts, trusting the system's root
// certificates plus every certificate in extraRootsPEM, such as a GitHub
// Enterprise Server's private CA. extraRootsPEM is PEM text with one or more
// CERTIFICATE blocks, or "" for the system roots alone; text that holds no
// certificate, or a block that is not one, is an error that never quotes
// the text.
func NewHTTPClient(extraRootsPEM string) (*http.Client, error) {
	t, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		t = &http.Transport{Proxy: http.ProxyFromEnvironment}
	} else {
		t = t.Clone()
	}
	t.Proxy = http.ProxyFromEnvironment
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	t.IdleConnTimeout = 90 * time.Second
	t.ExpectContinueTimeout = time.Second
	// Go's own error for a refused CONNECT is a bare status text; a typed
	// one lets the client tell it apart and not retry it.
	t.OnProxyConnectResponse = func(_ context.Context, _ *url.URL, _ *http.Request, resp *http.Response) error {
		if resp.StatusCode != http.StatusOK {
			return &proxyRefusedError{resp.Status}
		}
		return nil
	}
	if strings.TrimSpace(extraRootsPEM) != "" {
		pool, err := rootsWith(extraRootsPEM)
		if err != nil {
			return nil, err
		}
		t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: t}, nil
}

// rootsWith returns the system's root certificates plus those in pemText.
// In a scratch image the system roots are /etc/ssl/certs/ca-certificates.crt.
func rootsWith(pemText string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	rest := []byte(pemText)
	n := 0
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		n++
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("extra root certificates: PEM block %d is not a CERTIFICATE", n)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("extra root certificates: parse certificate %d: %w", n, err)
		}
		pool.AddCert(cert)
	}
	if n == 0 {
		return nil, errors.New("extra root certificates: no PEM CERTIFICATE block found")
	}
	return pool, nil
}

// defaultHTTP is the HTTP client used when Client.HTTP is nil.
var defaultHTTP = sync.OnceValue(func() *http.Client {
	hc, err := NewHTTPClient("")
	if err != nil {
		panic(err) // unreachable: no PEM text, no error
	}
	return hc
})

// proxyHost returns the host[:port] of the proxy hc's transport uses for
// target, without credentials, or "" for none or a transport it cannot ask.
func proxyHost(hc *http.Client, target string) string {
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

// hostOf returns the host[:port] of a checked base URL.
func hostOf(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return ""
	}
	return u.Host
}
