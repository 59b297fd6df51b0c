// Package oidc fetches the job's GitHub Actions OIDC token, with which the
// action proves who it runs for (repository, ref, environment) to a cloud
// or to Vault, in exchange for short-lived credentials. The token is a
// secret; its subject and audience are not, and errors show them.
package oidc

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ghapptoken/app-token-action/internal/hint"
	"github.com/ghapptoken/app-token-action/internal/transport"
)

// The runner passes these to a container action when the job has
// permissions: id-token: write: actions/runner's ContainerActionHandler
// sets ACTIONS_ID_TOKEN_REQUEST_URL (the system connection's
// GenerateIdTokenUrl, present only then) and ACTIONS_ID_TOKEN_REQUEST_TOKEN
// in the environment it hands to docker run.
const (
	requestURLEnv   = "ACTIONS_ID_TOKEN_REQUEST_URL"
	requestTokenEnv = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
)

// maxBody bounds the answer read.
const maxBody = 64 << 10

// Service names the runner's token service in errors (see
// [transport.Error]).
const Service = "the runner's token service"

// maxAttempts is how often a request is tried. The toolkit's
// core.getIDToken retries as many times: actions/toolkit
// packages/core/src/oidc-utils.ts creates its HttpClient with
// allowRetries true and maxRetry 10, and packages/http-client retries a GET
// that answers 502, 503 or 504. Here every 5xx and 429 is retried, and a
// request that got no answer by the KMS and GitHub clients' policy
// ([transport.Policy]).
const maxAttempts = 10

// Backoff bounds: the wait before retry n (from 1) is firstWait doubled
// n-1 times, at most maxWait, so that ten attempts take about 16 s. The
// toolkit's own waits are shorter (5 ms doubled, at most 10 times).
const (
	firstWait = 100 * time.Millisecond
	maxWait   = 3200 * time.Millisecond
)

// Fetcher fetches the job's OIDC token.
type Fetcher struct {
	HTTP   *http.Client        // nil: http.DefaultClient
	Getenv func(string) string // the step's environment
	// Mask, if set, is called with each token before anything else sees
	// it, so that the action can mask it in the log.
	Mask func(secret string)
	// Sleep waits between attempts; nil: a real timer. It returns the
	// context's error when ctx ends first.
	Sleep func(ctx context.Context, d time.Duration) error
}

// ErrUnavailable is wrapped by Fetch's error when the job did not ask for
// an OIDC token (no id-token: write permission).
var ErrUnavailable = errors.New("the job's OIDC token is not available")

// Fetch returns the job's OIDC token for audience; an empty audience asks
// for the token service's default (the owner's URL), as the toolkit's
// getIDToken does, by leaving the parameter out. It tries up to ten times
// while the service fails or cannot be reached, within ctx. Its errors
// carry a next step and never the token.
func (f Fetcher) Fetch(ctx context.Context, audience string) (string, error) {
	getenv := f.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	reqURL, reqToken := getenv(requestURLEnv), getenv(requestTokenEnv)
	if reqURL == "" || reqToken == "" {
		return "", hint.New(fmt.Errorf("get the job's OIDC token: %w: %s is not set", ErrUnavailable, requestURLEnv),
			"give the job permissions: id-token: write (in the workflow, under the job or at the top), so that the runner can issue an OIDC token; "+
				"workflows triggered from forks get none")
	}
	u, err := url.Parse(reqURL)
	if err != nil {
		return "", fmt.Errorf("get the job's OIDC token: %s is not a URL", requestURLEnv)
	}
	if audience != "" {
		// The toolkit appends &audience= only for a non-empty audience
		// (oidc-utils.ts getIDToken); an empty one is never sent.
		q := u.Query()
		q.Set("audience", audience)
		u.RawQuery = q.Encode()
	}
	return f.get(ctx, u.String(), http.Header{"Authorization": {"Bearer " + reqToken}}, "value")
}

// FetchURL returns the subject token that a GET of rawURL with header
// answers, as the field named field of a JSON object, or the whole body
// if field is "": the url-sourced credential_source of a Google
// external_account file, which names the runner's token service and its
// request token. It retries as Fetch does; its errors never hold the
// header's values or the URL's query.
func (f Fetcher) FetchURL(ctx context.Context, rawURL string, header http.Header, field string) (string, error) {
	return f.get(ctx, rawURL, header, field)
}

// get sends GET rawURL with header, up to maxAttempts times by
// [transport.Policy], and returns the token the answer holds (see
// FetchURL), masked. A request that got no answer fails with a
// [*transport.Error] of [Service].
func (f Fetcher) get(ctx context.Context, rawURL string, header http.Header, field string) (string, error) {
	hc := f.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	// One request serves every attempt: a GET has no body to replay.
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return "", fmt.Errorf("get the job's OIDC token: the token service's URL is not valid")
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	host := req.URL.Host
	var (
		body     []byte
		attempts int
		answer   *transport.Again // the last attempt's transient answer
	)
	call := func() *transport.Error {
		// The URL holds no secret, but its query has no place in an error.
		return &transport.Error{Service: Service, Step: "request", Host: host, Proxy: transport.ProxyHost(hc, rawURL)}
	}
	policy := transport.Policy{MaxRetries: maxAttempts - 1, Backoff: backoff, Sleep: f.Sleep}
	err = policy.Do(ctx, call, func(ctx context.Context, attempt int) error {
		attempts, answer = attempt, nil
		resp, err := hc.Do(req)
		if err != nil {
			return transport.Classify(ctx, 0, err)
		}
		body, err = io.ReadAll(io.LimitReader(resp.Body, maxBody))
		resp.Body.Close()
		switch {
		case err != nil:
			answer = transport.Retry(fmt.Errorf("%s: read the answer: %w", host, err), "answer cut short")
			return answer
		case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
			answer = transport.Retry(&statusError{host, resp.StatusCode}, fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode)))
			return answer
		case resp.StatusCode != http.StatusOK:
			return hint.New(&statusError{host, resp.StatusCode},
				"the runner's token service refused the job's request token ("+requestTokenEnv+"); re-run the job, and check that no step overrides "+requestURLEnv+" or "+requestTokenEnv)
		}
		return nil
	})
	if answer != nil && err == answer.Err {
		// The service still failed after the last attempt.
		err = hint.New(fmt.Errorf("%w (%d attempts)", err, attempts), "re-run the job; the runner's token service failed or could not be reached")
	}
	if err != nil {
		return "", fmt.Errorf("get the job's OIDC token: %w", err)
	}
	tok, err := subjectToken(body, field)
	if err != nil {
		return "", fmt.Errorf("get the job's OIDC token from %s: %w", host, err)
	}
	if f.Mask != nil {
		f.Mask(tok)
	}
	return tok, nil
}

// statusError is the token service's answer other than 200.
type statusError struct {
	host   string
	status int
}

func (e *statusError) Error() string { return fmt.Sprintf("%s answered %d", e.host, e.status) }

// subjectToken returns the token in body: the string field of a JSON
// object, or the trimmed body if field is "".
func subjectToken(body []byte, field string) (string, error) {
	if field == "" {
		if tok := strings.TrimSpace(string(body)); tok != "" {
			return tok, nil
		}
		return "", errors.New("the answer is empty")
	}
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		return "", errors.New("the answer is not a JSON object")
	}
	tok, _ := out[field].(string)
	if tok == "" {
		return "", fmt.Errorf("the answer holds no token in %q", field)
	}
	return tok, nil
}

// backoff returns the wait before retry n (from 1).
func backoff(n int) time.Duration {
	d := firstWait << min(n-1, 5)
	return min(d, maxWait)
}

// Describe returns the subject and audience of token, without verifying
// it, for error messages: "sub repo:octo-org/app:ref:refs/heads/main, aud
// sts.amazonaws.com". It returns "" for a token it cannot read.
func Describe(token string) string {
	sub, aud := claims(token)
	if sub == "" {
		return ""
	}
	return fmt.Sprintf("sub %s, aud %s", sub, aud)
}

// Subject returns the sub claim of token, without verifying it, for
// naming the job's principal in messages: "repo:octo-org/app:ref:refs/heads/main".
// It returns "" for a token it cannot read.
func Subject(token string) string {
	sub, _ := claims(token)
	return sub
}

// claims returns the sub and aud claims of token, unverified, each on
// one line (an aud list joined with commas); "" for what cannot be read.
func claims(token string) (sub, aud string) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", ""
	}
	var c struct {
		Sub string `json:"sub"`
		Aud any    `json:"aud"`
	}
	if json.Unmarshal(payload, &c) != nil {
		return "", ""
	}
	switch a := c.Aud.(type) {
	case string:
		aud = a
	case []any:
		var s []string
		for _, v := range a {
			if x, ok := v.(string); ok {
				s = append(s, x)
			}
		}
		aud = strings.Join(s, ",")
	}
	return oneLine(c.Sub), oneLine(aud)
}

// oneLine replaces control characters, which could break a log line.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
