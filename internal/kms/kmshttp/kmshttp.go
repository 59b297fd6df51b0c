// Package kmshttp holds what the KMS clients (AWS, GCP, Vault, Azure)
// share: their outside world, [Env], and the [Client] that sends their
// requests. A Client retries what is transient by the GitHub client's
// policy, [transport.Policy], with the same classification: a request
// that got no answer, three retries at most (two for a name that does not
// resolve, none after a TLS failure or a proxy's refusal), and a 429 or
// 5xx answer. It bounds the bodies it reads, and fails with a
// [*transport.Error] when no answer came, or an [*Error] in the
// provider's own words, with every secret it was given blanked.
package kmshttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ghapptoken/app-token-action/internal/transport"
)

const (
	maxBody    = 1 << 20
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
	// ThrottleCodes are the provider's error codes that mean "failing or
	// throttled, try again" whatever the status, such as AWS's
	// ThrottlingException (a 400).
	ThrottleCodes []string
}

// Error is a provider's answer other than 2xx. Message is the provider's
// own text, with secrets blanked; it never holds request headers.
type Error struct {
	Provider string
	Step     string // what was being done: "sign", "assume role"
	Status   int
	Code     string // the provider's error code, if it has one
	Message  string
	// Throttled says the code is one of the client's ThrottleCodes.
	Throttled bool
}

// Transient reports whether e says the provider was failing or
// throttling requests (429, 5xx, or a throttling code): the client
// retried it, and another run may succeed.
func (e *Error) Transient() bool {
	return e.Throttled || e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// Answered returns the provider's own refusal in err: an [*Error] that is
// not transient, which only the provider can explain. For any other
// failure, such as no answer or a transient one, it returns nil: those
// are classified once, for every provider, by the core.
func Answered(err error) *Error {
	e, ok := errors.AsType[*Error](err)
	if !ok || e.Transient() {
		return nil
	}
	return e
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
// the body's first line) with every one of secrets blanked; no answer is
// a [*transport.Error] naming the provider and the host.
func (c Client) Do(ctx context.Context, step string, build func(context.Context) (*http.Request, error), parse func(body []byte) (code, message string), secrets ...string) (*Response, error) {
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	var (
		req  *http.Request // the last attempt's
		resp *Response
	)
	call := func() *transport.Error {
		return &transport.Error{Service: c.Provider, Step: step, Host: req.URL.Host, Proxy: transport.ProxyHost(hc, req.URL.String())}
	}
	policy := transport.Policy{Sleep: c.Sleep} // transport's default retries
	err := policy.Do(ctx, call, func(ctx context.Context, _ int) error {
		var err error
		if req, err = build(ctx); err != nil {
			return fmt.Errorf("%s %s: %w", c.Provider, step, err)
		}
		hresp, err := hc.Do(req)
		if err != nil {
			return transport.Classify(ctx, 0, err)
		}
		body, err := io.ReadAll(io.LimitReader(hresp.Body, maxBody))
		hresp.Body.Close()
		switch {
		case err != nil:
			return transport.Retry(fmt.Errorf("%s %s: read the answer: %w", c.Provider, step, err), "answer cut short")
		case hresp.StatusCode >= 200 && hresp.StatusCode < 300:
			resp = &Response{Status: hresp.StatusCode, Header: hresp.Header, Body: body}
			return nil
		}
		e := &Error{Provider: c.Provider, Step: step, Status: hresp.StatusCode}
		if parse != nil {
			e.Code, e.Message = parse(body)
		}
		if e.Message == "" && e.Code == "" {
			e.Message = firstLine(string(body))
		}
		e.Throttled = e.Code != "" && slices.Contains(c.ThrottleCodes, e.Code)
		e.Code, e.Message = Blank(e.Code, secrets...), clip(Blank(e.Message, secrets...))
		if e.Transient() {
			return transport.Retry(e, fmt.Sprintf("%d %s", e.Status, http.StatusText(e.Status)))
		}
		return e
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
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
