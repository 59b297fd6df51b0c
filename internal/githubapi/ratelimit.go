package githubapi

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Wait is a pause between two attempts of a request, as reported to
// [Client.OnWait]: a rate limit's, a fresh token's, or a retry's backoff.
type Wait struct {
	Method, Path string
	// Reason is a short phrase such as "GitHub's secondary rate limit",
	// "GitHub's rate limit", "502 Bad Gateway" or "connection refused".
	Reason  string
	Delay   time.Duration
	Attempt int           // the attempt that follows the wait, from 2
	Left    time.Duration // until ctx's deadline as the wait begins; 0 = no deadline
}

// RateLimitError is a rate limit the client will not wait out: the wait
// would pass ctx's deadline. Err is GitHub's answer.
type RateLimitError struct {
	// Secondary is true for GitHub's secondary (abuse) rate limit, false
	// for the primary limit of requests an hour.
	Secondary bool
	// Wait is what GitHub asked for, or the client's default when GitHub
	// did not say.
	Wait time.Duration
	Err  *Error

	why string // why the client did not wait, e.g. "past the deadline (2m40s left)"
}

// Error says which limit asked for how long, and why the client did not
// wait, e.g. "rate limited: GitHub's secondary rate limit asks to wait 5m0s,
// past the deadline (2m40s left): POST /app/installations/42/access_tokens:
// 403 You have exceeded a secondary rate limit...".
func (e *RateLimitError) Error() string {
	s := fmt.Sprintf("rate limited: %s asks to wait %s", e.what(), e.Wait.Round(time.Second))
	if e.why != "" {
		s += ", " + e.why
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns Err.
func (e *RateLimitError) Unwrap() error {
	if e.Err == nil {
		return nil
	}
	return e.Err
}

// what names the limit.
func (e *RateLimitError) what() string {
	if e.Secondary {
		return "GitHub's secondary rate limit"
	}
	return "GitHub's rate limit"
}

// isRateLimit reports whether resp is GitHub's primary or secondary rate
// limit: a 429; or a 403 with Retry-After, with no requests remaining, or
// whose message names the secondary limit. GitHub often sends the latter
// with neither header and requests remaining (KnpLabs/php-github-api#1072,
// hub4j/github-api#2267, EnricoMi/publish-unit-test-result-action#419).
// Any other 403, such as an IP allow list's, is not a rate limit.
func isRateLimit(resp *response, apiErr *Error) bool {
	switch resp.status {
	case http.StatusTooManyRequests:
		return true
	case http.StatusForbidden:
		return resp.header.Get("Retry-After") != "" || resp.header.Get("X-RateLimit-Remaining") == "0" ||
			secondaryMessage(apiErr.Message)
	}
	return false
}

// isSecondary reports whether a rate limit is the secondary one: it says
// so, or requests remain in the primary one.
func isSecondary(resp *response, apiErr *Error) bool {
	return secondaryMessage(apiErr.Message) || resp.header.Get("X-RateLimit-Remaining") != "0"
}

// secondaryMessage reports whether msg is GitHub's secondary rate limit
// message ("You have exceeded a secondary rate limit", formerly "You have
// triggered an abuse detection mechanism").
func secondaryMessage(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "secondary rate limit") || strings.Contains(m, "abuse detection")
}

// rateLimitWait returns how long GitHub asks to wait, following GitHub's
// REST API best practices: Retry-After; else, with no requests remaining,
// until X-RateLimit-Reset (measured against GitHub's Date); else at least
// a minute, doubled for each earlier such wait (prior), with up to 20 %
// more so that a matrix of jobs does not retry in step. It reports false
// in the last case, where GitHub did not size the wait. Every wait is at
// least a second.
func (c *Client) rateLimitWait(h http.Header, prior int) (time.Duration, bool) {
	serverNow := c.now().Add(c.Skew())
	if date, err := http.ParseTime(h.Get("Date")); err == nil {
		serverNow = date
	}
	if ra := strings.TrimSpace(h.Get("Retry-After")); ra != "" {
		if s, err := strconv.ParseInt(ra, 10, 64); err == nil && s >= 0 {
			return max(time.Duration(min(s, 1<<31))*time.Second, time.Second), true
		} else if t, err := http.ParseTime(ra); err == nil {
			return max(t.Sub(serverNow), time.Second), true
		}
	}
	if h.Get("X-RateLimit-Remaining") == "0" {
		if reset, err := strconv.ParseInt(strings.TrimSpace(h.Get("X-RateLimit-Reset")), 10, 64); err == nil {
			return max(time.Unix(reset, 0).Sub(serverNow), time.Second), true
		}
	}
	d := defaultRateLimitWait << min(prior, 6)
	return d + time.Duration(rand.Float64()*float64(d)/5), false
}

// refuseWait returns rl, saying why, when the client will not wait rl.Wait:
// it would pass ctx's deadline, or follow maxRateLimitWaits earlier waits
// without a deadline. Else it returns nil.
func (c *Client) refuseWait(ctx context.Context, rl *RateLimitError, prior int) error {
	deadline, ok := ctx.Deadline()
	switch {
	case ok && time.Until(deadline) < rl.Wait:
		rl.why = fmt.Sprintf("past the deadline (%s left)", max(time.Until(deadline), 0).Round(time.Second))
	case !ok && prior >= maxRateLimitWaits:
		rl.why = fmt.Sprintf("and the client gave up after %d waits", prior)
	default:
		return nil
	}
	return rl
}
