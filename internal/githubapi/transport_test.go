package githubapi

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ghapptoken/app-token-action/internal/transport"
)

// closedAddr returns a loopback host:port where nothing listens.
func closedAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen: %v", err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// directHTTP returns [NewHTTPClient]'s client with extraRootsPEM and proxy,
// or no proxy whatever the environment says.
func directHTTP(tb testing.TB, extraRootsPEM string, proxy *url.URL) *http.Client {
	tb.Helper()
	hc, err := NewHTTPClient(extraRootsPEM)
	if err != nil {
		tb.Fatalf("NewHTTPClient() error = %v", err)
	}
	t := hc.Transport.(*http.Transport)
	t.Proxy = nil
	if proxy != nil {
		t.Proxy = http.ProxyURL(proxy)
	}
	return hc
}

// selfSignedServer starts a TLS server for 127.0.0.1 with a fresh
// self-signed certificate.
func selfSignedServer(tb testing.TB) *httptest.Server {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatalf("generate key: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "githubapi test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatalf("create certificate: %v", err)
	}
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	srv.StartTLS()
	tb.Cleanup(srv.Close)
	return srv
}

// certPEM returns the PEM text of a TLS test server's certificate.
func certPEM(srv *httptest.Server) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
}

func TestTransportError(t *testing.T) {
	t.Parallel()
	// blocked answers after a long while, or when the client goes away.
	blocked := func(tb testing.TB) string {
		return startServer(tb, reply{block: true}).URL
	}
	// inFlight is closed as the canceled case's request arrives: the
	// cancellation comes then, whatever the machine's speed.
	inFlight := make(chan struct{})
	tests := []struct {
		name  string
		setup func(tb testing.TB, c *Client) // sets BaseURL and HTTP
		ctx   func(ctx context.Context) (context.Context, context.CancelFunc)
		kind  TransportKind
		// attempts made; sleeps between them follow from it
		attempts  int
		host      string // in the error; "" = the base URL's host
		proxy     string // want TransportError.Proxy
		wantErr   []string
		wantNotIn []string
	}{
		{
			name: "dns",
			setup: func(tb testing.TB, c *Client) {
				c.BaseURL, c.HTTP = "http://api.ghes.invalid", directHTTP(tb, "", nil)
			},
			kind: TransportDNS, attempts: 1 + transport.MaxDNSRetries,
			wantErr: []string{"GET /app: cannot resolve api.ghes.invalid after 3 attempts: "},
		},
		{
			name: "refused",
			setup: func(tb testing.TB, c *Client) {
				c.BaseURL, c.HTTP = "http://"+closedAddr(tb), directHTTP(tb, "", nil)
			},
			kind: TransportRefused, attempts: 4,
			wantErr: []string{" refused after 4 attempts: dial tcp "},
		},
		{
			name: "proxy unreachable",
			setup: func(tb testing.TB, c *Client) {
				proxy := &url.URL{Scheme: "http", User: url.UserPassword("proxyuser", "proxypass"), Host: closedAddr(tb)}
				c.BaseURL, c.HTTP = "https://api.github.example", directHTTP(tb, "", proxy)
			},
			kind: TransportProxy, attempts: 4, proxy: "127.0.0.1:",
			wantErr:   []string{"GET /app: proxy 127.0.0.1:", " failed for api.github.example after 4 attempts: proxyconnect tcp: "},
			wantNotIn: []string{"proxyuser", "proxypass"},
		},
		{
			name: "proxy refuses CONNECT",
			setup: func(tb testing.TB, c *Client) {
				proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.Method != http.MethodConnect {
						tb.Errorf("proxy got %s, want CONNECT", r.Method)
					}
					w.WriteHeader(http.StatusForbidden)
				}))
				tb.Cleanup(proxy.Close)
				u, _ := url.Parse(proxy.URL)
				u.User = url.UserPassword("proxyuser", "proxypass")
				c.BaseURL, c.HTTP = "https://api.github.example", directHTTP(tb, "", u)
			},
			kind: TransportProxy, attempts: 1, proxy: "127.0.0.1:",
			wantErr:   []string{" failed for api.github.example after 1 attempt: proxy answered CONNECT with 403 Forbidden"},
			wantNotIn: []string{"proxyuser", "proxypass"},
		},
		{
			name: "tls unknown authority",
			setup: func(tb testing.TB, c *Client) {
				srv := httptest.NewTLSServer(http.NotFoundHandler())
				tb.Cleanup(srv.Close)
				c.BaseURL, c.HTTP = srv.URL, directHTTP(tb, "", nil)
			},
			kind: TransportTLS, attempts: 1,
			wantErr: []string{"GET /app: TLS connection to 127.0.0.1:", " failed after 1 attempt: tls: failed to verify certificate"},
		},
		{
			name: "attempt timeout",
			setup: func(tb testing.TB, c *Client) {
				c.BaseURL, c.HTTP = blocked(tb), directHTTP(tb, "", nil)
				c.RequestTimeout, c.MaxRetries = 50*time.Millisecond, 1
			},
			kind: TransportTimeout, attempts: 2,
			wantErr: []string{" timed out after 2 attempts: no response within 50ms"},
		},
		{
			name: "deadline",
			setup: func(tb testing.TB, c *Client) {
				c.BaseURL, c.HTTP = blocked(tb), directHTTP(tb, "", nil)
			},
			ctx: func(ctx context.Context) (context.Context, context.CancelFunc) {
				return context.WithTimeout(ctx, 50*time.Millisecond)
			},
			kind: TransportTimeout, attempts: 1,
			wantErr: []string{" timed out after 1 attempt: context deadline exceeded"},
		},
		{
			name: "canceled",
			setup: func(tb testing.TB, c *Client) {
				c.BaseURL, c.HTTP = startServerArrived(tb, inFlight, reply{block: true}).URL, directHTTP(tb, "", nil)
			},
			ctx: func(ctx context.Context) (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(ctx)
				go func() {
					select {
					case <-inFlight:
						cancel()
					case <-ctx.Done():
					}
				}()
				return ctx, cancel
			},
			kind: TransportCanceled, attempts: 1,
			wantErr: []string{" canceled after 1 attempt: context canceled"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, h := newClient(t, "")
			tt.setup(t, c)
			ctx, cancel := context.WithCancel(t.Context())
			if tt.ctx != nil {
				ctx, cancel = tt.ctx(t.Context())
			}
			defer cancel()
			var waits []Wait
			c.OnWait = func(w Wait) { waits = append(waits, w) }
			_, err := c.GetApp(ctx)
			noSecrets(t, err)
			te, ok := errors.AsType[*TransportError](err)
			if !ok {
				t.Fatalf("GetApp() error = %v, want a *TransportError", err)
			}
			base, _ := url.Parse(c.BaseURL)
			if te.Kind != tt.kind || te.Attempts != tt.attempts || te.Host != base.Host || te.Method != "GET" || te.Path != "/app" {
				t.Errorf("TransportError = {%v %s %s %s attempts %d}, want {%v GET /app %s attempts %d}",
					te.Kind, te.Method, te.Path, te.Host, te.Attempts, tt.kind, base.Host, tt.attempts)
			}
			if !strings.HasPrefix(te.Proxy, tt.proxy) || (tt.proxy == "") != (te.Proxy == "") {
				t.Errorf("TransportError.Proxy = %q, want %q…", te.Proxy, tt.proxy)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("GetApp() error = %q, want it to contain %q", err, want)
				}
			}
			for _, not := range append(tt.wantNotIn, c.BaseURL+"/app") {
				if strings.Contains(err.Error(), not) {
					t.Errorf("GetApp() error = %q shows %q", err, not)
				}
			}
			switch tt.kind {
			case TransportCanceled:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("GetApp() error = %v, want it to wrap context.Canceled", err)
				}
			case TransportTimeout:
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("GetApp() error = %v, want it to wrap context.DeadlineExceeded", err)
				}
			}
			_, sleeps, _, _ := h.snapshot()
			if len(sleeps) != tt.attempts-1 || len(waits) != len(sleeps) {
				t.Fatalf("slept %v and reported %d waits, want %d", sleeps, len(waits), tt.attempts-1)
			}
			for i, w := range waits {
				if w.Reason != tt.kind.Reason() || w.Attempt != i+2 || w.Delay != sleeps[i] {
					t.Errorf("OnWait %d = %+v, want reason %q before attempt %d", i+1, w, tt.kind.Reason(), i+2)
				}
			}
		})
	}
}

func TestTransportKindString(t *testing.T) {
	t.Parallel()
	want := map[TransportKind]string{
		TransportOther: "other", TransportDNS: "dns", TransportRefused: "refused", TransportProxy: "proxy",
		TransportTLS: "tls", TransportTimeout: "timeout", TransportCanceled: "canceled", TransportKind(99): "other",
	}
	for k, s := range want {
		if got := k.String(); got != s {
			t.Errorf("TransportKind(%d).String() = %q, want %q", int(k), got, s)
		}
	}
}

func TestNewHTTPClient(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(appJSON))
	}))
	t.Cleanup(srv.Close)
	other := selfSignedServer(t) // not srv's certificate, which every httptest server shares

	t.Run("trusts the extra root", func(t *testing.T) {
		t.Parallel()
		c, _ := newClient(t, srv.URL)
		c.HTTP = directHTTP(t, "some text before\n"+certPEM(other)+certPEM(srv), nil)
		if _, err := c.GetApp(t.Context()); err != nil {
			t.Fatalf("GetApp() error = %v, want the server trusted", err)
		}
	})
	t.Run("refuses without it", func(t *testing.T) {
		t.Parallel()
		c, _ := newClient(t, srv.URL)
		c.HTTP = directHTTP(t, certPEM(other), nil)
		_, err := c.GetApp(t.Context())
		host := strings.TrimPrefix(srv.URL, "https://")
		if te, ok := errors.AsType[*TransportError](err); !ok || te.Kind != TransportTLS || te.Host != host || !strings.Contains(err.Error(), host) {
			t.Errorf("GetApp() error = %v, want a TLS *TransportError naming %s", err, host)
		}
	})

	const secretish = "c2VjcmV0LWtleS1tYXRlcmlhbA=="
	bad := []struct {
		name, pem, wantErr string
	}{
		{"no block", "just " + secretish, "no PEM CERTIFICATE block"},
		{"a key", "-----BEGIN RSA PRIVATE KEY-----\n" + secretish + "\n-----END RSA PRIVATE KEY-----\n", "PEM block 1 is not a CERTIFICATE"},
		{"garbage certificate", certPEM(srv) + "-----BEGIN CERTIFICATE-----\n" + secretish + "\n-----END CERTIFICATE-----\n", "parse certificate 2"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			hc, err := NewHTTPClient(tt.pem)
			if err == nil || hc != nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("NewHTTPClient() = %v, %v, want an error containing %q", hc, err, tt.wantErr)
			}
			if strings.Contains(err.Error(), secretish) {
				t.Errorf("NewHTTPClient() error quotes the PEM text")
			}
		})
	}
}

// TestGetUserFreshToken checks that GetUser asks again, for about 5 s,
// while GitHub refuses a token minted moments ago, and that RevokeToken,
// for which a 401 means the token is gone already, does not.
func TestGetUserFreshToken(t *testing.T) {
	t.Parallel()
	bad := reply{status: 401, body: `{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest","status":"401"}`}
	notYet := reply{status: 403, body: `{"message":"Resource not accessible by integration"}`}
	user := reply{body: `{"id":41898282,"login":"my-app[bot]"}`}
	ipAllowList := reply{status: 403, body: "{\"message\":\"Although you appear to have the correct authorization credentials, the `octo-org` organization has an IP allow list enabled, and your IP address is not permitted to access this resource.\"}"}
	tests := []struct {
		name       string
		replies    []reply
		attempts   int
		wantStatus int // 0 = success
	}{
		{name: "401 then success", replies: []reply{bad, bad, user}, attempts: 3},
		{name: "403 then success", replies: []reply{notYet, user}, attempts: 2},
		{name: "401 for good", replies: []reply{bad}, attempts: 1 + len(lagWaits), wantStatus: 401},
		{name: "IP allow list not retried", replies: []reply{ipAllowList}, attempts: 1, wantStatus: 403},
		{name: "404 not retried", replies: []reply{{status: 404, body: `{"message":"Not Found"}`}}, attempts: 1, wantStatus: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, tt.replies...)
			c, h := newClient(t, srv.URL)
			var waits []Wait
			c.OnWait = func(w Wait) { waits = append(waits, w) }
			_, err := c.GetUser(t.Context(), "ghs_fresh", "my-app[bot]")
			noSecrets(t, err)
			if tt.wantStatus == 0 && err != nil {
				t.Fatalf("GetUser() error = %v", err)
			}
			if apiErr, ok := errors.AsType[*Error](err); tt.wantStatus != 0 && (!ok || apiErr.Status != tt.wantStatus) {
				t.Fatalf("GetUser() error = %v, want *Error %d", err, tt.wantStatus)
			}
			if n := len(srv.requests()); n != tt.attempts {
				t.Errorf("server got %d requests, want %d", n, tt.attempts)
			}
			_, sleeps, _, _ := h.snapshot()
			var total time.Duration
			for i, d := range sleeps {
				total += d
				if d != lagWaits[i] || waits[i].Delay != d || !strings.Contains(waits[i].Reason, "for a new token") {
					t.Errorf("wait %d = %v (%+v), want %v for a new token", i+1, d, waits[i], lagWaits[i])
				}
			}
			if total > 5*time.Second {
				t.Errorf("waited %v in all, want about 5s at most", total)
			}
		})
	}
	t.Run("RevokeToken not retried", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, bad)
		c, _ := newClient(t, srv.URL)
		if err := c.RevokeToken(t.Context(), "ghs_fresh"); err == nil || len(srv.requests()) != 1 {
			t.Errorf("RevokeToken() = %v after %d requests, want a 401 after 1", err, len(srv.requests()))
		}
	})
}

// TestBackoffWaits checks the reasons OnWait gets for ordinary retries.
func TestBackoffWaits(t *testing.T) {
	t.Parallel()
	srv := startServer(t, reply{status: 502}, reply{status: 200, body: " "}, reply{body: appJSON})
	c, _ := newClient(t, srv.URL)
	var waits []Wait
	c.OnWait = func(w Wait) { waits = append(waits, w) }
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if _, err := c.GetApp(ctx); err != nil {
		t.Fatalf("GetApp() error = %v", err)
	}
	want := []string{"502 Bad Gateway", "empty 200 response"}
	if len(waits) != len(want) {
		t.Fatalf("OnWait got %+v, want %d waits", waits, len(want))
	}
	for i, w := range waits {
		if w.Reason != want[i] || w.Attempt != i+2 || w.Left <= 0 || w.Left > time.Minute {
			t.Errorf("OnWait %d = %+v, want reason %q before attempt %d with time left", i+1, w, want[i], i+2)
		}
	}
}

// failingTransport fails each request with the next of errs, the last
// one for good.
type failingTransport struct {
	mu   sync.Mutex
	errs []error
	n    int
}

func (t *failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	err := t.errs[min(t.n, len(t.errs)-1)]
	t.n++
	return nil, err
}

// TestMaxRetriesCountsDNS checks that DNS failures share MaxRetries with
// the other network failures: transport.MaxDNSRetries only lowers their own share.
func TestMaxRetriesCountsDNS(t *testing.T) {
	t.Parallel()
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	dns := &net.DNSError{Err: "no such host", Name: "api.ghes.example", IsNotFound: true}
	tests := []struct {
		name     string
		errs     []error
		kind     TransportKind
		attempts int
	}{
		{name: "refused, then DNS", errs: []error{refused, refused, dns}, kind: TransportDNS, attempts: 4},
		{name: "DNS, then refused", errs: []error{dns, dns, refused}, kind: TransportRefused, attempts: 4},
		{name: "DNS only", errs: []error{dns}, kind: TransportDNS, attempts: 1 + transport.MaxDNSRetries},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, h := newClient(t, "https://api.ghes.example")
			rt := &failingTransport{errs: tt.errs}
			c.HTTP = &http.Client{Transport: rt}
			_, err := c.GetApp(t.Context())
			te, ok := errors.AsType[*TransportError](err)
			if !ok || te.Kind != tt.kind || te.Attempts != tt.attempts || rt.n != tt.attempts {
				t.Fatalf("GetApp() error = %v after %d requests, want a %v *TransportError after %d", err, rt.n, tt.kind, tt.attempts)
			}
			if _, sleeps, _, _ := h.snapshot(); len(sleeps) != tt.attempts-1 {
				t.Errorf("slept %v, want %d waits", sleeps, tt.attempts-1)
			}
		})
	}
}
