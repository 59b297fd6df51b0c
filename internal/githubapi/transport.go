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
	"time"

	"github.com/ghapptoken/app-token-action/internal/transport"
)

// TransportKind says why a request got no HTTP answer; package transport
// classifies it, for the KMS clients too.
type TransportKind = transport.Kind

// The kinds of [TransportError].
const (
	TransportOther    = transport.Other    // a network failure of another kind, such as a reset connection
	TransportDNS      = transport.DNS      // the API host's name did not resolve
	TransportRefused  = transport.Refused  // the API host refused the connection
	TransportProxy    = transport.Proxy    // the proxy could not be reached or refused the tunnel
	TransportTLS      = transport.TLS      // the TLS handshake failed, e.g. an unknown certificate authority
	TransportTimeout  = transport.Timeout  // no answer in time: the attempt's timeout or ctx's deadline
	TransportCanceled = transport.Canceled // ctx was canceled, e.g. the job was cancelled
)

// TransportError is a request that got no HTTP answer from GitHub (see
// [transport.Error]); its Service is "".
type TransportError = transport.Error

// classify turns the failure of an attempt bounded by actx (timeout after
// its start) into a [*transport.Failure].
func classify(actx context.Context, timeout time.Duration, err error) *transport.Failure {
	return transport.Classify(actx, timeout, err)
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
			return &transport.ProxyRefusedError{Status: resp.Status}
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

// hostOf returns the host[:port] of a checked base URL.
func hostOf(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return ""
	}
	return u.Host
}
