// Package githubapi is a small client for the GitHub REST endpoints that a
// GitHub App uses to find its installations, mint installation access tokens
// and revoke them. It retries what is worth retrying, honours GitHub's rate
// limits, adopts GitHub's clock when the local one is off, and refuses
// responses that could not be written to a runner's output files.
package githubapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ghapptoken/app-token-action/internal/transport"
)

// Defaults for the zero values of [Client]'s fields.
const (
	defaultRequestTimeout = 10 * time.Second
	defaultBaseBackoff    = time.Second

	// defaultRateLimitWait is the first wait when GitHub signals a rate
	// limit without saying for how long; later ones double. GitHub's
	// documentation asks for at least a minute, and exponentially longer
	// waits while the limit persists (docs.github.com, REST API "Best
	// practices": "Handle rate limit errors appropriately").
	defaultRateLimitWait = time.Minute
)

const (
	apiVersion   = "2022-11-28"
	maxBodySize  = 10 << 20
	maxRedirects = 10
)

// Client calls the GitHub REST API. Set BaseURL and, for the app endpoints,
// Sign; every other field has a usable zero value. A Client is safe for
// concurrent use once its fields are set, and must not be copied after
// first use.
type Client struct {
	BaseURL   string       // e.g. https://api.github.com or https://ghe.example/api/v3
	HTTP      *http.Client // nil = NewHTTPClient(""): proxy from env, system roots
	UserAgent string
	// Sign mints an app JWT. The client calls it before every attempt with
	// its local time plus the adopted clock offset.
	Sign func(ctx context.Context, now time.Time) (string, error)
	Now  func() time.Time // nil = time.Now
	// Sleep waits d or until ctx is done; nil = a real timer honouring ctx.
	Sleep func(ctx context.Context, d time.Duration) error
	// RequestTimeout bounds one attempt; 0 = 10s. The caller's context
	// bounds the whole call, retries and waits included.
	RequestTimeout time.Duration
	BaseBackoff    time.Duration // 0 = 1s
	// MaxRetries bounds the retries after network errors, 5xx and empty
	// answers (DNS failures get at most 2); 0 = 3, negative = none.
	// Rate-limit waits are not counted: ctx's deadline bounds them, and a
	// wait that would pass it fails at once with a [*RateLimitError].
	MaxRetries int
	// Debugf, if set, gets one line per attempt: method, path, status or
	// error, attempt number and duration. It never gets headers or bodies.
	Debugf func(format string, args ...any)
	// OnSkew, if set, is called each time the client adopts a clock offset.
	OnSkew func(offset time.Duration)
	// OnWait, if set, is called before every wait between attempts: a
	// rate limit's as well as a retry's backoff. It must not block.
	OnWait func(w Wait)

	skew atomic.Int64 // adopted offset of GitHub's clock from Now, in ns
}

// Skew returns the offset of GitHub's clock from the local one that the
// client adopted after GitHub refused a JWT for clock reasons, or 0.
func (c *Client) Skew() time.Duration { return time.Duration(c.skew.Load()) }

// skewMessages are GitHub's 401 messages for a JWT whose iat or exp does
// not fit GitHub's clock.
var skewMessages = []string{
	"'Issued at' claim ('iat') must be an Integer",
	"'Expiration time' claim ('exp') is too far in the future",
	"'Expiration time' claim ('exp') must be a numeric value",
}

// request is one API call, before authentication.
type request struct {
	method string
	path   string // escaped, below BaseURL, e.g. "/repos/o/r/installation"
	query  string // raw query, may be ""
	body   []byte // JSON, nil = none
	token  string // installation token; "" = an app JWT
	want   bool   // a 2xx must carry a body
	// fresh marks a request made with a token minted moments ago: a 401
	// or 403 is asked again for a few seconds.
	fresh bool
	// unanswered is set by [Client.do] when an attempt got no answer
	// after it may have reached the server (a timeout, a reset
	// connection): the server may have done what it asked.
	unanswered bool
}

// response is a completed HTTP exchange with its body read.
type response struct {
	status int
	header http.Header
	body   []byte
}

// permanentError is a failure of an attempt that retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Retry limits that are not [Client] fields.
const (
	// maxRateLimitWaits bounds rate-limit waits when ctx has no deadline,
	// against a server that never relents. With a deadline, time is the
	// bound.
	maxRateLimitWaits = 30
)

// lagWaits are the waits before asking again when GitHub refuses a token
// minted moments ago: about 5 s in all, as octokit/auth-app.js waits
// (octokit/auth-app.js#65 and #589: replication lag after minting).
var lagWaits = []time.Duration{500 * time.Millisecond, time.Second, 1500 * time.Millisecond, 2 * time.Second}

// do sends r, retrying network errors, 5xx answers, empty 2xx bodies and
// rate limits by the one retry policy ([transport.Policy]), and re-signing
// once after a clock-skew 401. It returns the first 2xx response, or an
// error: a [*Error] for an HTTP error answer, possibly wrapped to say why
// it was not retried; a [*RateLimitError] when a rate limit asks for a
// wait the client will not make; a [*TransportError] when no answer came,
// or ctx ended the call.
func (c *Client) do(ctx context.Context, r *request) (*response, error) {
	base, err := c.baseURL()
	if err != nil {
		return nil, err
	}
	target := base + r.path
	if r.query != "" {
		target += "?" + r.query
	}
	hc := c.httpClient(r.method)
	// fail starts the error for an attempt that got no answer. It asks hc
	// for the proxy only then: a call that gets answers never needs it.
	fail := func() *TransportError {
		return &TransportError{Method: r.method, Path: r.path, Host: hostOf(base), Proxy: transport.ProxyHost(hc, target)}
	}
	if ctx.Err() != nil {
		return nil, fail().Done(ctx, 0, "")
	}

	var (
		resp                 *response
		lagWaited, rateWaits int
		secondary            int // rate-limit waits GitHub did not size
		skewRetried          bool
		sent                 bool          // the attempt sent its request
		outcome              string        // the attempt's, for the debug line and a later timeout's error
		took                 time.Duration // the attempt's
	)
	policy := transport.Policy{
		MaxRetries: c.MaxRetries,
		Backoff:    c.backoff,
		Sleep:      c.Sleep,
		Decided: func(attempt int, retry bool, wait time.Duration, reason string) {
			if !sent {
				return // the JWT could not be signed: nothing was sent
			}
			c.debug(r, attempt, took, outcome, wait, retry)
			if retry && wait > 0 {
				c.report(ctx, Wait{Method: r.method, Path: r.path, Reason: reason, Delay: wait, Attempt: attempt + 1})
			}
		},
	}
	err = policy.Do(ctx, fail, func(ctx context.Context, attempt int) error {
		sent, outcome = false, ""
		secret := r.token
		auth := "token " + r.token
		if r.token == "" {
			jwt, err := c.sign(ctx)
			if err != nil {
				return fmt.Errorf("%s %s: %w", r.method, r.path, err)
			}
			secret, auth = jwt, "Bearer "+jwt
		}
		start := time.Now()
		var err error
		resp, err = c.send(ctx, hc, r, target, auth)
		sent, took = true, time.Since(start)

		var (
			perm *permanentError
			tf   *transport.Failure
		)
		switch {
		case errors.As(err, &perm):
			outcome = perm.Error()
			return fmt.Errorf("%s %s: %w", r.method, r.path, perm.err)
		case errors.As(err, &tf):
			outcome = tf.Error()
			if tf.Kind == TransportTimeout || tf.Kind == TransportOther {
				r.unanswered = true
			}
			return tf
		case err != nil:
			// send returns only the two kinds above; this is a safety net.
			outcome = err.Error()
			return fmt.Errorf("%s %s: %w", r.method, r.path, err)
		case resp.status >= 200 && resp.status < 300:
			if r.want && len(bytes.TrimSpace(resp.body)) == 0 {
				// An empty 2xx is most likely a proxy's glitch; GitHub
				// always answers these endpoints with JSON.
				outcome = fmt.Sprintf("%d with an empty body", resp.status)
				again := transport.Retry(r.gaveUp(attempt, fmt.Errorf("%d response with an empty body", resp.status)), fmt.Sprintf("empty %d response", resp.status))
				again.Last = outcome
				return again
			}
			outcome = statusText(resp)
			return nil
		}
		apiErr := newError(r, resp, secret)
		outcome = statusText(resp)
		var again *transport.Again
		switch {
		case resp.status == http.StatusUnauthorized && r.token == "" && !skewRetried && isSkew(apiErr.Message):
			if !c.adoptSkew(resp.header) {
				return apiErr
			}
			skewRetried = true
			again = transport.RetryAfter(apiErr, 0, "clock skew")
		case isRateLimit(resp, apiErr):
			rl := &RateLimitError{Secondary: isSecondary(resp, apiErr), Err: apiErr}
			var sized bool
			rl.Wait, sized = c.rateLimitWait(resp.header, secondary)
			if !sized {
				secondary++
			}
			if err := c.refuseWait(ctx, rl, rateWaits); err != nil {
				return err
			}
			rateWaits++
			again = transport.RetryAfter(rl, rl.Wait, rl.what())
		case r.fresh && r.token != "" && lagWaited < len(lagWaits) &&
			(resp.status == http.StatusUnauthorized || resp.status == http.StatusForbidden) &&
			!apiErr.IPAllowList():
			// A token minted a moment ago may not have reached every
			// replica yet. An IP allow list refusal will not pass.
			again = transport.RetryAfter(apiErr, lagWaits[lagWaited], fmt.Sprintf("%d %s for a new token", resp.status, http.StatusText(resp.status)))
			lagWaited++
		case resp.status >= 500:
			again = transport.Retry(apiErr, fmt.Sprintf("%d %s", resp.status, http.StatusText(resp.status)))
		default:
			return apiErr
		}
		again.Last = outcome
		return again
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// report passes w to OnWait, with the time left before ctx's deadline.
func (c *Client) report(ctx context.Context, w Wait) {
	if c.OnWait == nil {
		return
	}
	if deadline, ok := ctx.Deadline(); ok {
		w.Left = max(time.Until(deadline), time.Nanosecond)
	}
	c.OnWait(w)
}

// send makes one attempt under its own timeout and reads the whole body.
// It fails with a [*transport.Failure] when no answer came, or a
// [*permanentError].
func (c *Client) send(ctx context.Context, hc *http.Client, r *request, target, auth string) (*response, error) {
	timeout := c.RequestTimeout
	if timeout <= 0 {
		timeout = defaultRequestTimeout
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body) // also sets GetBody, for redirects
	}
	req, err := http.NewRequestWithContext(actx, r.method, target, body)
	if err != nil {
		return nil, &permanentError{fmt.Errorf("build request: %w", err)}
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", apiVersion)
	req.Header.Set("Authorization", auth)
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	var resp *http.Response
	for redirects := 0; ; redirects++ {
		resp, err = hc.Do(req)
		if err != nil {
			return nil, classify(actx, timeout, err)
		}
		next, err := redirectTarget(req, resp)
		if err != nil || next == nil {
			if err != nil {
				drain(resp)
				return nil, err
			}
			break
		}
		drain(resp)
		if redirects == maxRedirects {
			return nil, &permanentError{fmt.Errorf("stopped after %d redirects", maxRedirects)}
		}
		req = next
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBodySize+1))
	if err != nil {
		return nil, classify(actx, timeout, err)
	}
	if len(data) > maxBodySize {
		return nil, &permanentError{fmt.Errorf("%d response larger than %d bytes", resp.StatusCode, maxBodySize)}
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

// redirectTarget returns the request that repeats req at the response's
// Location when req is not a GET or HEAD (Go's client follows those, and
// would turn a POST into a GET on a 301), or nil when there is nothing to
// follow. It keeps the method, headers and body, and refuses to send them
// to another host.
func redirectTarget(req *http.Request, resp *http.Response) (*http.Request, error) {
	if req.Method == http.MethodGet || req.Method == http.MethodHead {
		return nil, nil
	}
	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
	default:
		return nil, nil
	}
	loc := resp.Header.Get("Location")
	if loc == "" {
		return nil, nil
	}
	u, err := req.URL.Parse(loc)
	if err != nil {
		return nil, &permanentError{fmt.Errorf("%d redirect with an invalid location: %w", resp.StatusCode, err)}
	}
	if u.Scheme != req.URL.Scheme || u.Host != req.URL.Host {
		return nil, &permanentError{fmt.Errorf("%d redirect to another host (%s) refused", resp.StatusCode, u.Host)}
	}
	next := req.Clone(req.Context())
	next.URL, next.Host = u, ""
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return nil, &permanentError{fmt.Errorf("replay body for redirect: %w", err)}
		}
		next.Body = body
	}
	return next, nil
}

// httpClient returns the HTTP client for a request with method. Go's client
// follows redirects of GETs, keeping Authorization on the same host; for
// other methods, [redirectTarget] follows them instead.
func (c *Client) httpClient(method string) *http.Client {
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP()
	}
	if method == http.MethodGet || method == http.MethodHead {
		return hc
	}
	copied := *hc
	copied.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &copied
}

// drain reads a little of an unused body so the connection can be reused.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// gaveUp is err after the last of attempts, with the method and path.
func (r *request) gaveUp(attempts int, err error) error {
	if attempts == 1 {
		return fmt.Errorf("%s %s: %w", r.method, r.path, err)
	}
	return fmt.Errorf("%s %s: gave up after %d attempts: %w", r.method, r.path, attempts, err)
}

// baseURL returns BaseURL without a trailing slash, after checking it.
func (c *Client) baseURL() (string, error) {
	base := strings.TrimRight(c.BaseURL, "/")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("invalid API base URL %q: want http(s)://host[/path]", c.BaseURL)
	}
	return base, nil
}

// sign mints a JWT for the local time corrected by the adopted offset.
func (c *Client) sign(ctx context.Context) (string, error) {
	if c.Sign == nil {
		return "", errors.New("no app JWT signer configured")
	}
	jwt, err := c.Sign(ctx, c.now().Add(c.Skew()))
	if err != nil {
		return "", fmt.Errorf("sign app JWT: %w", err)
	}
	return jwt, nil
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// backoff returns the wait before retry n (from 1): BaseBackoff doubled
// per retry, ±25 % so that many runners do not retry in step.
func (c *Client) backoff(n int) time.Duration {
	base := c.BaseBackoff
	if base <= 0 {
		base = defaultBaseBackoff
	}
	return transport.Backoff(base, n)
}

// isSkew reports whether a 401 message says the JWT's times do not fit
// GitHub's clock.
func isSkew(msg string) bool {
	for _, m := range skewMessages {
		if strings.Contains(msg, m) {
			return true
		}
	}
	return false
}

// adoptSkew takes GitHub's clock from the Date header as the signing clock
// for this and all later requests. It reports false without a usable Date.
func (c *Client) adoptSkew(h http.Header) bool {
	date, err := http.ParseTime(h.Get("Date"))
	if err != nil {
		return false
	}
	offset := date.Sub(c.now())
	c.skew.Store(int64(offset))
	if c.OnSkew != nil {
		c.OnSkew(offset)
	}
	return true
}

// debug writes one line about an attempt.
func (c *Client) debug(r *request, attempt int, took time.Duration, outcome string, wait time.Duration, retry bool) {
	if c.Debugf == nil {
		return
	}
	next := ""
	if retry {
		next = fmt.Sprintf("; retrying in %s", wait.Round(time.Millisecond))
	}
	c.Debugf("%s %s: %s (attempt %d, %s)%s", r.method, r.path, outcome, attempt, took.Round(time.Millisecond), next)
}

// statusText is a response's status and request id, for debug lines.
func statusText(resp *response) string {
	s := strconv.Itoa(resp.status)
	if id := resp.header.Get("X-GitHub-Request-Id"); id != "" && !strings.ContainsAny(id, "\r\n") {
		s += " (request ID " + id + ")"
	}
	return s
}
