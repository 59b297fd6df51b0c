// Package kmshttp holds what the KMS clients (AWS, GCP, Vault, Azure)
// share: their outside world, [Env], and the [Client] that sends their
// requests. A Client retries what is transient as the GitHub client does
// (network errors, 429 and 5xx, three retries with doubling backoff),
// bounds the bodies it reads, and returns an [*Error] in the provider's
// own words, with every secret it was given blanked.
package kmshttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const (
	maxBody    = 1 << 20
	maxRetries = 3
	maxMessage = 300
)

// Env is the outside world of a KMS client; each provider's Options embed
// it. The zero Env is usable: see [Env.WithDefaults].
type Env struct {
	HTTP   *http.Client        // with the proxy and CA settings; nil: http.DefaultClient
	Getenv func(string) string // the step's environment; nil: empty
	Now    func() time.Time    // nil: time.Now
	// Sleep waits between retries; nil: a real timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Mask is called with every credential before its use; nil: nothing.
	Mask func(secret string)
	// OIDC returns the job's OIDC token for an audience; nil when the job
	// has none.
	OIDC func(ctx context.Context, audience string) (string, error)
}

// WithDefaults returns e with Getenv, Now and Mask set to their documented
// defaults where nil, so that the caller can call them unchecked.
func (e Env) WithDefaults() Env {
	if e.Getenv == nil {
		e.Getenv = func(string) string { return "" }
	}
	if e.Now == nil {
		e.Now = time.Now
	}
	if e.Mask == nil {
		e.Mask = func(string) {}
	}
	return e
}

// Client returns a Client for provider that sends through e.HTTP and
// waits with e.Sleep.
func (e Env) Client(provider string) Client {
	return Client{Provider: provider, HTTP: e.HTTP, Sleep: e.Sleep}
}

// Client sends requests to one provider.
type Client struct {
	Provider string       // "AWS KMS", for errors
	HTTP     *http.Client // nil: http.DefaultClient
	// Sleep waits between attempts; nil: a real timer.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Error is a provider's answer other than 2xx. Message is the provider's
// own text, with secrets blanked; it never holds request headers.
type Error struct {
	Provider string
	Step     string // what was being done: "sign", "assume role"
	Status   int
	Code     string // the provider's error code, if it has one
	Message  string
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s %s: %d", e.Provider, e.Step, e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Response is a 2xx answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends the request build makes, once per attempt, for step. A 2xx
// answer comes back; another answer is an [*Error] built by parse (nil:
// the body's first line) with every one of secrets blanked.
func (c Client) Do(ctx context.Context, step string, build func(context.Context) (*http.Request, error), parse func(body []byte) (code, message string), secrets ...string) (*Response, error) {
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	for attempt := 0; ; attempt++ {
		req, err := build(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", c.Provider, step, err)
		}
		resp, err := hc.Do(req)
		var retryErr error
		if err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err // the URL may carry a query
			}
			if ctx.Err() != nil {
				return nil, fmt.Errorf("%s %s: %w", c.Provider, step, ctx.Err())
			}
			retryErr = fmt.Errorf("%s %s: no answer from %s: %w", c.Provider, step, req.URL.Host, err)
		} else {
			body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxBody))
			resp.Body.Close()
			if rerr != nil {
				retryErr = fmt.Errorf("%s %s: read the answer: %w", c.Provider, step, rerr)
			} else if resp.StatusCode >= 200 && resp.StatusCode < 300 {
				return &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
			} else {
				e := &Error{Provider: c.Provider, Step: step, Status: resp.StatusCode}
				if parse != nil {
					e.Code, e.Message = parse(body)
				}
				if e.Message == "" && e.Code == "" {
					e.Message = firstLine(string(body))
				}
				e.Code, e.Message = Blank(e.Code, secrets...), clip(Blank(e.Message, secrets...))
				if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode < 500 {
					return nil, e
				}
				retryErr = e
			}
		}
		if attempt == maxRetries {
			return nil, retryErr
		}
		if err := c.sleep(ctx, backoff(attempt)); err != nil {
			return nil, fmt.Errorf("%s %s: %w (last: %w)", c.Provider, step, err, retryErr)
		}
	}
}

// backoff returns the wait after attempt (from 0): one second doubled per
// attempt, with ±25% jitter.
func backoff(attempt int) time.Duration {
	d := time.Second << attempt
	return time.Duration(float64(d) * (0.75 + 0.5*rand.Float64()))
}

func (c Client) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
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

// Blank replaces every non-empty secret in s with "***".
func Blank(s string, secrets ...string) string {
	for _, x := range secrets {
		if x != "" {
			s = strings.ReplaceAll(s, x, "***")
		}
	}
	return s
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "<") {
		return "" // HTML reads badly in an error
	}
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// clip keeps a message on one line and short.
func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxMessage {
		s = strings.ToValidUTF8(s[:maxMessage], "") + "…"
	}
	return s
}
