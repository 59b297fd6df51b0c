package githubapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// testNow is the local clock of every test client; whole seconds, so that
// offsets taken from Date headers are exact.
var testNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

const (
	appJSON   = `{"id":7,"slug":"my-app","name":"My App","html_url":"https://github.com/apps/my-app"}`
	tokenJSON = `{"token":"ghs_secret","expires_at":"2025-06-01T13:00:00Z","permissions":{"contents":"read"},"repository_selection":"selected","repositories":[{"id":1,"name":"r","full_name":"o/r"}]}`
	instJSON  = `{"id":42,"app_id":7,"app_slug":"my-app","account":{"login":"octo-org","type":"Organization"},"repository_selection":"all","permissions":{"contents":"read","issues":"write"},"suspended_at":null,"target_type":"Organization"}`
	skewJSON  = `{"message":"'Issued at' claim ('iat') must be an Integer representing the time that the JWT was issued.","documentation_url":"https://docs.github.com/rest"}`
)

// reply is one scripted answer of a test server.
type reply struct {
	status int               // 0 = 200
	header map[string]string // "Date": "-" suppresses the automatic Date
	body   string
	reset  bool // hijack and close the connection without answering
	block  bool // answer only after the client gives up
}

// seen is a request as a test server received it.
type seen struct {
	method, path, query string
	header              http.Header
	body                string
}

// server answers the i-th request with replies[i], repeating the last.
type server struct {
	*httptest.Server
	mu      sync.Mutex
	replies []reply
	reqs    []seen
	arrived chan struct{} // closed as the first request arrives; may be nil
}

func startServer(tb testing.TB, replies ...reply) *server {
	tb.Helper()
	return startServerArrived(tb, nil, replies...)
}

// startServerArrived is startServer that closes arrived as the first
// request arrives, for a test that acts while a request is in flight.
func startServerArrived(tb testing.TB, arrived chan struct{}, replies ...reply) *server {
	tb.Helper()
	s := &server{replies: replies, arrived: arrived}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.Close)
	return s
}

func (s *server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	rep := s.replies[min(len(s.reqs), len(s.replies)-1)]
	s.reqs = append(s.reqs, seen{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Clone(), string(body)})
	if s.arrived != nil && len(s.reqs) == 1 {
		close(s.arrived)
	}
	s.mu.Unlock()
	switch {
	case rep.reset:
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // RST instead of FIN
		}
		conn.Close()
		return
	case rep.block:
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
		return
	}
	for k, v := range rep.header {
		if k == "Date" && v == "-" {
			w.Header()["Date"] = nil
			continue
		}
		w.Header().Set(k, v)
	}
	if rep.body != "" && w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(orDefault(rep.status, http.StatusOK))
	io.WriteString(w, rep.body)
}

func (s *server) requests() []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reqs)
}

// orDefault returns v, or def for the zero value.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// harness records what a test client signs, sleeps, logs and adopts.
type harness struct {
	mu     sync.Mutex
	signed []time.Time
	sleeps []time.Duration
	lines  []string
	skews  []time.Duration
}

// newClient returns a client for baseURL whose clock is testNow, whose JWTs
// are "jwt-1", "jwt-2", … and whose Sleep returns at once.
func newClient(tb testing.TB, baseURL string) (*Client, *harness) {
	tb.Helper()
	h := &harness{}
	c := &Client{
		BaseURL:   baseURL,
		UserAgent: "test-agent/1.0",
		Sign: func(_ context.Context, now time.Time) (string, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.signed = append(h.signed, now)
			return "jwt-" + strconv.Itoa(len(h.signed)), nil
		},
		Now: func() time.Time { return testNow },
		Sleep: func(ctx context.Context, d time.Duration) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.sleeps = append(h.sleeps, d)
			return ctx.Err()
		},
		Debugf: func(format string, args ...any) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.lines = append(h.lines, fmt.Sprintf(format, args...))
		},
		OnSkew: func(d time.Duration) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.skews = append(h.skews, d)
		},
	}
	return c, h
}

func (h *harness) snapshot() (signed []time.Time, sleeps []time.Duration, lines []string, skews []time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.signed), slices.Clone(h.sleeps), slices.Clone(h.lines), slices.Clone(h.skews)
}

func httpDate(t time.Time) string { return t.UTC().Format(http.TimeFormat) }

// noSecrets fails when err shows a JWT or token of the tests.
func noSecrets(tb testing.TB, err error) {
	tb.Helper()
	if err == nil {
		return
	}
	for _, s := range []string{"jwt-", "ghs_", "Bearer", "secret"} {
		if strings.Contains(err.Error(), s) {
			tb.Errorf("error shows a credential (%q)", s)
		}
	}
}

func TestRequestHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		reply     string
		call      func(context.Context, *Client) error
		method    string
		path      string
		query     string
		auth      string
		body      string
		signCalls int
	}{
		{
			name:  "GetApp",
			reply: appJSON,
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetApp(ctx)
				return err
			},
			method: "GET", path: "/app", auth: "Bearer jwt-1", signCalls: 1,
		},
		{
			name:  "FindInstallation by repository",
			reply: instJSON,
			call: func(ctx context.Context, c *Client) error {
				_, err := c.FindInstallation(ctx, Lookup{Repo: "octo-org/my repo"})
				return err
			},
			method: "GET", path: "/repos/octo-org/my%20repo/installation", auth: "Bearer jwt-1", signCalls: 1,
		},
		{
			name:  "CreateToken",
			reply: tokenJSON,
			call: func(ctx context.Context, c *Client) error {
				_, err := c.CreateToken(ctx, 42, TokenRequest{Repositories: []string{"r"}})
				return err
			},
			method: "POST", path: "/app/installations/42/access_tokens", auth: "Bearer jwt-1", signCalls: 1,
			body: `{"repositories":["r"]}`,
		},
		{
			name: "RevokeToken",
			call: func(ctx context.Context, c *Client) error {
				return c.RevokeToken(ctx, "ghs_revoke")
			},
			method: "DELETE", path: "/installation/token", auth: "token ghs_revoke",
		},
		{
			name:  "GetUser",
			reply: `{"id":99,"login":"my-app[bot]"}`,
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetUser(ctx, "ghs_user", "my-app[bot]")
				return err
			},
			method: "GET", path: "/users/my-app%5Bbot%5D", auth: "token ghs_user",
		},
		{
			name:  "ListInstallations",
			reply: "[" + instJSON + "]",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.ListInstallations(ctx)
				return err
			},
			method: "GET", path: "/app/installations", query: "per_page=100", auth: "Bearer jwt-1", signCalls: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status := http.StatusOK
			if tt.reply == "" {
				status = http.StatusNoContent
			}
			srv := startServer(t, reply{status: status, body: tt.reply})
			c, h := newClient(t, srv.URL+"/") // a trailing slash is tolerated
			if err := tt.call(t.Context(), c); err != nil {
				t.Fatalf("call error = %v", err)
			}
			reqs := srv.requests()
			if len(reqs) != 1 {
				t.Fatalf("server got %d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.method != tt.method || r.path != tt.path || r.query != tt.query {
				t.Errorf("request = %s %s?%s, want %s %s?%s", r.method, r.path, r.query, tt.method, tt.path, tt.query)
			}
			if got := r.header.Get("Authorization"); got != tt.auth {
				t.Errorf("Authorization is wrong (got %d bytes, want scheme of %q)", len(got), strings.Fields(tt.auth)[0])
			}
			want := map[string]string{
				"Accept":               "application/vnd.github+json",
				"X-GitHub-Api-Version": "2022-11-28",
				"User-Agent":           "test-agent/1.0",
			}
			if tt.body != "" {
				want["Content-Type"] = "application/json"
			}
			for k, v := range want {
				if got := r.header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			if r.body != tt.body {
				t.Errorf("body = %s, want %s", r.body, tt.body)
			}
			signed, _, _, _ := h.snapshot()
			if len(signed) != tt.signCalls {
				t.Errorf("Sign called %d times, want %d", len(signed), tt.signCalls)
			}
			for _, s := range signed {
				if !s.Equal(testNow) {
					t.Errorf("Sign(%v), want Sign(%v)", s, testNow)
				}
			}
		})
	}
}

func TestRetry(t *testing.T) {
	t.Parallel()
	e500 := reply{status: 500, body: `{"message":"Server Error"}`}
	e503 := reply{status: 503, body: "<html>unavailable</html>", header: map[string]string{"Content-Type": "text/html"}}
	ok := reply{body: appJSON}
	tests := []struct {
		name       string
		replies    []reply
		maxRetries int
		backoff    time.Duration
		attempts   int
		wantStatus int    // 0 = success, else the *Error's status
		wantErr    string // substring of the error
		sleeps     int
	}{
		{name: "5xx then success", replies: []reply{e500, {status: 502}, ok}, attempts: 3, sleeps: 2},
		{name: "5xx forever", replies: []reply{e503}, attempts: 4, wantStatus: 503, wantErr: "GET /app: 503 Service Unavailable", sleeps: 3},
		{name: "5xx forever with 1 retry", replies: []reply{e503}, maxRetries: 1, attempts: 2, wantStatus: 503, sleeps: 1},
		{name: "no retries", replies: []reply{e503}, maxRetries: -1, attempts: 1, wantStatus: 503},
		{name: "custom backoff", replies: []reply{e500, e500, ok}, backoff: 10 * time.Millisecond, attempts: 3, sleeps: 2},
		{name: "400 not retried", replies: []reply{{status: 400, body: `{"message":"Bad"}`}}, attempts: 1, wantStatus: 400},
		{name: "401 not retried", replies: []reply{{status: 401, body: `{"message":"A JSON web token could not be decoded"}`}}, attempts: 1, wantStatus: 401},
		{name: "404 not retried", replies: []reply{{status: 404, body: `{"message":"Not Found"}`}}, attempts: 1, wantStatus: 404},
		{name: "422 not retried", replies: []reply{{status: 422, body: `{"message":"Validation Failed"}`}}, attempts: 1, wantStatus: 422},
		{name: "403 without rate limit not retried", replies: []reply{{status: 403, body: `{"message":"This installation has been suspended"}`}}, attempts: 1, wantStatus: 403},
		{name: "5xx then 404", replies: []reply{e500, {status: 404}}, attempts: 2, wantStatus: 404, sleeps: 1},
		{name: "empty 2xx then success", replies: []reply{{}, ok}, attempts: 2, sleeps: 1},
		{name: "empty 2xx forever", replies: []reply{{status: 200, body: "  "}}, attempts: 4, wantErr: "GET /app: gave up after 4 attempts: 200 response with an empty body", sleeps: 3},
		{name: "malformed 2xx not retried", replies: []reply{{body: `{"id":`}}, attempts: 1, wantErr: "GET /app: malformed 200 response"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, tt.replies...)
			c, h := newClient(t, srv.URL)
			c.MaxRetries, c.BaseBackoff = tt.maxRetries, tt.backoff
			app, err := c.GetApp(t.Context())
			noSecrets(t, err)
			if n := len(srv.requests()); n != tt.attempts {
				t.Errorf("server got %d requests, want %d", n, tt.attempts)
			}
			switch {
			case tt.wantStatus == 0 && tt.wantErr == "":
				if err != nil || app.Slug != "my-app" {
					t.Fatalf("GetApp() = %+v, %v, want my-app", app, err)
				}
			case tt.wantStatus != 0:
				apiErr, ok := errors.AsType[*Error](err)
				if !ok || apiErr.Status != tt.wantStatus {
					t.Fatalf("GetApp() error = %v, want *Error %d", err, tt.wantStatus)
				}
			}
			if err != nil && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("GetApp() error = %q, want it to contain %q", err, tt.wantErr)
			}
			signed, sleeps, lines, _ := h.snapshot()
			if len(signed) != tt.attempts {
				t.Errorf("Sign called %d times, want one per attempt (%d)", len(signed), tt.attempts)
			}
			if len(lines) != tt.attempts {
				t.Errorf("Debugf got %d lines, want %d", len(lines), tt.attempts)
			}
			if len(sleeps) != tt.sleeps {
				t.Fatalf("slept %v, want %d backoffs", sleeps, tt.sleeps)
			}
			base := orDefault(tt.backoff, time.Second)
			for i, d := range sleeps {
				want := base << i
				if d < want*3/4 || d > want*5/4 {
					t.Errorf("backoff %d = %v, want %v ±25%%", i+1, d, want)
				}
			}
		})
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	date := httpDate(testNow)
	ok := reply{body: appJSON}
	const secondaryBody = `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 1234:5678.","documentation_url":"https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits","status":"403"}`
	limited := func(status int, header map[string]string) reply {
		header["Date"] = date
		return reply{status: status, header: header, body: `{"message":"You have exceeded a secondary rate limit."}`}
	}
	// secondary is GitHub's secondary limit as it is often sent: a 403
	// with requests remaining and no Retry-After.
	secondary := reply{status: 403, body: secondaryBody, header: map[string]string{
		"Date": date, "X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "4987", "X-RateLimit-Reset": strconv.FormatInt(testNow.Add(40*time.Minute).Unix(), 10),
	}}
	reset := func(d time.Duration) string { return strconv.FormatInt(testNow.Add(d).Unix(), 10) }
	tests := []struct {
		name          string
		replies       []reply
		timeout       time.Duration   // ctx deadline; 0 = an hour
		sleeps        []time.Duration // exact, or the least of each wait with jitter
		jitter        bool            // each sleep may be up to 20 % longer
		wantStatus    int             // 0 = success
		wantErr       string          // substring
		wantSecondary bool            // for a *RateLimitError
		wantWait      time.Duration   // for a *RateLimitError, the least Wait
	}{
		{name: "429 Retry-After", replies: []reply{limited(429, map[string]string{"Retry-After": "5"}), ok}, sleeps: []time.Duration{5 * time.Second}},
		{name: "403 Retry-After", replies: []reply{limited(403, map[string]string{"Retry-After": "7"}), ok}, sleeps: []time.Duration{7 * time.Second}},
		{name: "429 Retry-After 0 waits a second", replies: []reply{limited(429, map[string]string{"Retry-After": "0"}), ok}, sleeps: []time.Duration{time.Second}},
		{name: "429 Retry-After date", replies: []reply{limited(429, map[string]string{"Retry-After": httpDate(testNow.Add(15 * time.Second))}), ok}, sleeps: []time.Duration{15 * time.Second}},
		{name: "429 without headers waits a minute", replies: []reply{limited(429, map[string]string{}), ok}, sleeps: []time.Duration{time.Minute}, jitter: true},
		{
			name:    "403 remaining 0 until reset",
			replies: []reply{limited(403, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset(30 * time.Second)}), ok},
			sleeps:  []time.Duration{30 * time.Second},
		},
		{
			name: "reset measured from server Date",
			replies: []reply{{status: 403, body: `{}`, header: map[string]string{
				"Date": httpDate(testNow.Add(time.Hour)), "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset(time.Hour + 20*time.Second),
			}}, ok},
			sleeps: []time.Duration{20 * time.Second},
		},
		{
			name:    "reset in the past waits a second",
			replies: []reply{limited(403, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset(-time.Minute)}), ok},
			sleeps:  []time.Duration{time.Second},
		},
		{
			name:    "secondary 403 without headers waits a minute",
			replies: []reply{secondary, ok},
			sleeps:  []time.Duration{time.Minute}, jitter: true,
		},
		{
			name:    "secondary waits grow and may repeat within the deadline",
			replies: []reply{secondary, secondary, secondary, ok},
			sleeps:  []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute}, jitter: true,
		},
		{
			name:    "secondary wait past the deadline fails at once",
			replies: []reply{secondary, secondary},
			timeout: 100 * time.Second, sleeps: []time.Duration{time.Minute}, jitter: true,
			wantStatus: 403, wantErr: "rate limited: GitHub's secondary rate limit asks to wait 2m",
			wantSecondary: true, wantWait: 2 * time.Minute,
		},
		{
			name:    "secondary message on a 429",
			replies: []reply{{status: 429, body: secondaryBody}, ok},
			sleeps:  []time.Duration{time.Minute}, jitter: true,
		},
		{
			name:       "Retry-After past the deadline fails at once",
			replies:    []reply{limited(429, map[string]string{"Retry-After": "120"})},
			timeout:    time.Minute,
			wantStatus: 429, wantErr: "rate limited: GitHub's secondary rate limit asks to wait 2m0s, past the deadline (1m0s left): GET /app: 429",
			wantSecondary: true, wantWait: 2 * time.Minute,
		},
		{
			name:    "long Retry-After within the deadline is waited",
			replies: []reply{limited(429, map[string]string{"Retry-After": "300"}), ok},
			sleeps:  []time.Duration{5 * time.Minute},
		},
		{
			name:       "reset in an hour fails at once",
			replies:    []reply{limited(403, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset(time.Hour)})},
			timeout:    10 * time.Minute,
			wantStatus: 403, wantErr: "rate limited: GitHub's secondary rate limit asks to wait 1h0m0s, past the deadline (10m0s left)",
			wantSecondary: true, wantWait: time.Hour,
		},
		{
			name:       "primary limit",
			replies:    []reply{{status: 403, body: `{"message":"API rate limit exceeded for installation ID 42."}`, header: map[string]string{"Date": date, "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset(time.Hour)}}},
			timeout:    10 * time.Minute,
			wantStatus: 403, wantErr: "rate limited: GitHub's rate limit asks to wait 1h0m0s, past the deadline",
			wantWait: time.Hour,
		},
		{
			name:       "wait past the deadline fails at once",
			replies:    []reply{limited(429, map[string]string{"Retry-After": "30"})},
			timeout:    5 * time.Second,
			wantStatus: 429, wantErr: "past the deadline (5s left)",
			wantSecondary: true, wantWait: 30 * time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, tt.replies...)
			c, h := newClient(t, srv.URL)
			var waits []Wait
			c.OnWait = func(w Wait) { waits = append(waits, w) }
			ctx, cancel := context.WithTimeout(t.Context(), orDefault(tt.timeout, time.Hour))
			defer cancel()
			_, err := c.GetApp(ctx)
			noSecrets(t, err)
			if tt.wantStatus == 0 {
				if err != nil {
					t.Fatalf("GetApp() error = %v", err)
				}
			} else {
				rl, ok := errors.AsType[*RateLimitError](err)
				if !ok || rl.Err == nil || rl.Err.Status != tt.wantStatus {
					t.Fatalf("GetApp() error = %v, want a *RateLimitError for a %d", err, tt.wantStatus)
				}
				if rl.Secondary != tt.wantSecondary || rl.Wait < tt.wantWait || rl.Wait > tt.wantWait*6/5 {
					t.Errorf("RateLimitError = {Secondary: %t, Wait: %v}, want {%t, %v}", rl.Secondary, rl.Wait, tt.wantSecondary, tt.wantWait)
				}
				if apiErr, ok := errors.AsType[*Error](err); !ok || apiErr != rl.Err {
					t.Errorf("errors.As(%v, *Error) = %v, want the RateLimitError's Err", err, apiErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("GetApp() error = %q, want it to contain %q", err, tt.wantErr)
				}
			}
			_, sleeps, _, _ := h.snapshot()
			if len(sleeps) != len(tt.sleeps) {
				t.Fatalf("slept %v, want %v", sleeps, tt.sleeps)
			}
			for i, d := range sleeps {
				least, most := tt.sleeps[i], tt.sleeps[i]
				if tt.jitter {
					most = least * 6 / 5
				}
				if d < least || d > most {
					t.Errorf("wait %d = %v, want %v to %v", i+1, d, least, most)
				}
				if i >= len(waits) || waits[i].Delay != d || waits[i].Attempt != i+2 || waits[i].Left <= 0 ||
					!strings.HasPrefix(waits[i].Reason, "GitHub's ") || waits[i].Method != "GET" || waits[i].Path != "/app" {
					t.Errorf("OnWait %d = %+v, want a rate-limit wait of %v before attempt %d", i+1, waits, d, i+2)
				}
			}
			if n := len(srv.requests()); n != len(tt.sleeps)+1 {
				t.Errorf("server got %d requests, want %d", n, len(tt.sleeps)+1)
			}
		})
	}
}

// TestRateLimitUntilTheDeadline checks with real waits that the deadline,
// not a count, ends a rate limit that never lifts: with 5 s left, the
// client waits GitHub's 3 s once, then fails at once, before the deadline,
// rather than wait past it. The margins are for a loaded machine: the two
// answers may take 2 s between them.
func TestRateLimitUntilTheDeadline(t *testing.T) {
	t.Parallel()
	const retryAfter, deadline = 3 * time.Second, 5 * time.Second
	srv := startServer(t, reply{status: 429, header: map[string]string{"Retry-After": "3"}, body: `{"message":"You have exceeded a secondary rate limit."}`})
	c, _ := newClient(t, srv.URL)
	c.Sleep = nil
	ctx, cancel := context.WithTimeout(t.Context(), deadline)
	defer cancel()
	var waits []Wait
	c.OnWait = func(w Wait) { waits = append(waits, w) }
	_, err := c.GetApp(ctx)
	early := ctx.Err() == nil
	if rl, ok := errors.AsType[*RateLimitError](err); !ok || rl.Wait != retryAfter {
		t.Fatalf("GetApp() error = %v, want a *RateLimitError asking for %v", err, retryAfter)
	}
	if !early {
		t.Errorf("GetApp() returned at the deadline, want it to fail as soon as a wait would pass it")
	}
	if n := len(srv.requests()); n != 2 || len(waits) != 1 {
		t.Errorf("server got %d requests after %d waits, want 2 after 1", n, len(waits))
	}
	for i, w := range waits {
		if w.Left <= 0 || w.Left > deadline || w.Reason != "GitHub's secondary rate limit" {
			t.Errorf("OnWait %d = %+v, want Left within the deadline", i+1, w)
		}
	}
}

// TestForbiddenNotRateLimit checks that a 403 other than a rate limit, such
// as an IP allow list's, is GitHub's *Error after one attempt.
func TestForbiddenNotRateLimit(t *testing.T) {
	t.Parallel()
	// GitHub's words, as quoted in databricks/cli#2702.
	const ipAllowList = `{"message":"Although you appear to have the correct authorization credentials, the ` + "`octo-org`" + ` organization has an IP allow list enabled, and your IP address is not permitted to access this resource.","documentation_url":"https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app","status":"403"}`
	srv := startServer(t, reply{status: 403, body: ipAllowList, header: map[string]string{"X-RateLimit-Remaining": "4999"}})
	c, h := newClient(t, srv.URL)
	_, err := c.CreateToken(t.Context(), 42, TokenRequest{})
	apiErr, ok := errors.AsType[*Error](err)
	if !ok || apiErr.Status != 403 || !strings.Contains(apiErr.Message, "IP allow list enabled") {
		t.Fatalf("CreateToken() error = %v, want GitHub's 403 *Error", err)
	}
	if _, ok := errors.AsType[*RateLimitError](err); ok {
		t.Errorf("CreateToken() error = %v is a *RateLimitError", err)
	}
	if _, sleeps, _, _ := h.snapshot(); len(srv.requests()) != 1 || len(sleeps) != 0 {
		t.Errorf("server got %d requests after %v, want 1 and no wait", len(srv.requests()), sleeps)
	}
}

func TestNetworkError(t *testing.T) {
	t.Parallel()
	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		c, h := newClient(t, url)
		_, err := c.GetApp(t.Context())
		if err == nil {
			t.Fatal("GetApp() error = nil, want a network error")
		}
		noSecrets(t, err)
		if want := "GET /app: connection to " + strings.TrimPrefix(url, "http://") + " refused after 4 attempts: dial tcp"; !strings.Contains(err.Error(), want) {
			t.Errorf("GetApp() error = %q, want it to contain %q", err, want)
		}
		if te, ok := errors.AsType[*TransportError](err); !ok || te.Kind != TransportRefused || te.Attempts != 4 {
			t.Errorf("GetApp() error = %#v, want a *TransportError of kind refused after 4 attempts", err)
		}
		if strings.Contains(err.Error(), url) {
			t.Errorf("GetApp() error = %q repeats the URL", err)
		}
		if _, ok := errors.AsType[*Error](err); ok {
			t.Errorf("GetApp() error = %v is an *Error, want a network error", err)
		}
		signed, sleeps, lines, _ := h.snapshot()
		if len(signed) != 4 || len(lines) != 4 || len(sleeps) != 3 {
			t.Errorf("signed %d, logged %d, slept %d times; want 4, 4, 3", len(signed), len(lines), len(sleeps))
		}
	})
	t.Run("connection reset then success", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, reply{reset: true}, reply{reset: true}, reply{status: 201, body: tokenJSON})
		c, h := newClient(t, srv.URL)
		tok, err := c.CreateToken(t.Context(), 42, TokenRequest{})
		if err != nil {
			t.Fatalf("CreateToken() error = %v", err)
		}
		if tok.Value != "ghs_secret" {
			t.Error("CreateToken() returned the wrong token")
		}
		if n := len(srv.requests()); n != 3 {
			t.Errorf("server got %d requests, want 3", n)
		}
		if _, sleeps, _, _ := h.snapshot(); len(sleeps) != 2 {
			t.Errorf("slept %v, want 2 backoffs", sleeps)
		}
	})
}

func TestClockSkew(t *testing.T) {
	t.Parallel()
	for _, offset := range []time.Duration{2 * time.Hour, -2 * time.Hour, 90 * time.Second} {
		t.Run(offset.String(), func(t *testing.T) {
			t.Parallel()
			srv := startServer(t,
				reply{status: 401, body: skewJSON, header: map[string]string{"Date": httpDate(testNow.Add(offset))}},
				reply{body: appJSON})
			c, h := newClient(t, srv.URL)
			if _, err := c.GetApp(t.Context()); err != nil {
				t.Fatalf("GetApp() error = %v", err)
			}
			if got := c.Skew(); got != offset {
				t.Errorf("Skew() = %v, want %v", got, offset)
			}
			// A later request signs with the adopted offset from the start.
			if _, err := c.GetApp(t.Context()); err != nil {
				t.Fatalf("second GetApp() error = %v", err)
			}
			signed, sleeps, _, skews := h.snapshot()
			want := []time.Time{testNow, testNow.Add(offset), testNow.Add(offset)}
			if !slices.EqualFunc(signed, want, time.Time.Equal) {
				t.Errorf("Sign times = %v, want %v", signed, want)
			}
			if !slices.Equal(skews, []time.Duration{offset}) {
				t.Errorf("OnSkew calls = %v, want [%v]", skews, offset)
			}
			if len(sleeps) != 0 {
				t.Errorf("slept %v before the skew retry, want no wait", sleeps)
			}
			if reqs := srv.requests(); len(reqs) != 3 || reqs[1].header.Get("Authorization") != "Bearer jwt-2" {
				t.Errorf("server got %d requests, want 3 with a fresh JWT on the retry", len(reqs))
			}
		})
	}
}

func TestClockSkewNotRetried(t *testing.T) {
	t.Parallel()
	dated := map[string]string{"Date": httpDate(testNow.Add(time.Hour))}
	tests := []struct {
		name     string
		reply    reply
		token    bool // call RevokeToken with a token instead of GetApp
		attempts int
		skews    int
	}{
		{name: "only once", reply: reply{status: 401, body: skewJSON, header: dated}, attempts: 2, skews: 1},
		{name: "exp too far", reply: reply{status: 401, body: `{"message":"'Expiration time' claim ('exp') is too far in the future"}`, header: dated}, attempts: 2, skews: 1},
		{name: "exp not numeric", reply: reply{status: 401, body: `{"message":"'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires."}`, header: dated}, attempts: 2, skews: 1},
		{name: "without Date", reply: reply{status: 401, body: skewJSON, header: map[string]string{"Date": "-"}}, attempts: 1},
		{name: "other 401", reply: reply{status: 401, body: `{"message":"Bad credentials"}`, header: dated}, attempts: 1},
		{name: "token auth", reply: reply{status: 401, body: skewJSON, header: dated}, token: true, attempts: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, tt.reply)
			c, h := newClient(t, srv.URL)
			var err error
			if tt.token {
				err = c.RevokeToken(t.Context(), "ghs_x")
			} else {
				_, err = c.GetApp(t.Context())
			}
			if apiErr, ok := errors.AsType[*Error](err); !ok || apiErr.Status != 401 {
				t.Fatalf("error = %v, want *Error 401", err)
			}
			if n := len(srv.requests()); n != tt.attempts {
				t.Errorf("server got %d requests, want %d", n, tt.attempts)
			}
			if _, _, _, skews := h.snapshot(); len(skews) != tt.skews {
				t.Errorf("OnSkew called %d times, want %d", len(skews), tt.skews)
			}
		})
	}
}

func TestTimeouts(t *testing.T) {
	t.Parallel()
	// waitSleep stands for a real backoff that the deadline cuts short.
	waitSleep := func(ctx context.Context, _ time.Duration) error {
		<-ctx.Done()
		return ctx.Err()
	}
	tests := []struct {
		name           string
		replies        []reply
		requestTimeout time.Duration
		ctxTimeout     time.Duration
		maxRetries     int
		sleep          func(context.Context, time.Duration) error
		attempts       int
		wantErr        []string
		wantCtx        bool // the error wraps context.DeadlineExceeded of the caller
	}{
		{
			name:           "request timeout retried",
			replies:        []reply{{block: true}},
			requestTimeout: 50 * time.Millisecond, maxRetries: 1, attempts: 2,
			wantErr: []string{"GET /app: request to 127.0.0.1:", " timed out after 2 attempts: no response within 50ms"},
		},
		{
			// The answer must beat the timeout that ended the blocked
			// attempt: a second, whatever the machine's load.
			name:           "request timeout then success",
			replies:        []reply{{block: true}, {body: appJSON}},
			requestTimeout: time.Second, attempts: 2,
		},
		{
			name:       "deadline during a request",
			replies:    []reply{{block: true}},
			ctxTimeout: 100 * time.Millisecond, attempts: 1,
			wantErr: []string{" timed out after 1 attempt: context deadline exceeded"},
			wantCtx: true,
		},
		{
			// The 503 must come before the deadline: a second.
			name:       "deadline during a backoff",
			replies:    []reply{{status: 503, header: map[string]string{"X-GitHub-Request-Id": "AB:CD"}}},
			ctxTimeout: time.Second, sleep: waitSleep, attempts: 1,
			wantErr: []string{" timed out after 1 attempt (last: 503 (request ID AB:CD)): context deadline exceeded"},
			wantCtx: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, tt.replies...)
			c, _ := newClient(t, srv.URL)
			c.RequestTimeout, c.MaxRetries = tt.requestTimeout, tt.maxRetries
			if tt.sleep != nil {
				c.Sleep = tt.sleep
			}
			ctx := t.Context()
			if tt.ctxTimeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.ctxTimeout)
				defer cancel()
			}
			// A blocked reply that outlived the client's patience would
			// answer an empty 200 after 10 s, which the checks below tell
			// from a timeout; no check of the time taken is needed.
			_, err := c.GetApp(ctx)
			if n := len(srv.requests()); n != tt.attempts {
				t.Errorf("server got %d requests, want %d", n, tt.attempts)
			}
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("GetApp() error = %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("GetApp() error = nil, want a timeout")
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("GetApp() error = %q, want it to contain %q", err, want)
				}
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("GetApp() error = %v, want it to wrap context.DeadlineExceeded", err)
			}
			if te, ok := errors.AsType[*TransportError](err); !ok || te.Kind != TransportTimeout {
				t.Errorf("GetApp() error = %#v, want a *TransportError of kind timeout", err)
			}
			if tt.wantCtx && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				t.Errorf("caller's context not done, but error = %v", err)
			}
		})
	}
	t.Run("canceled before the first attempt", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, reply{body: appJSON})
		c, _ := newClient(t, srv.URL)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := c.GetApp(ctx)
		te, ok := errors.AsType[*TransportError](err)
		if !ok || te.Kind != TransportCanceled || te.Attempts != 0 || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), " canceled: context canceled") {
			t.Errorf("GetApp() error = %v, want a wrapped context.Canceled", err)
		}
		if n := len(srv.requests()); n != 0 {
			t.Errorf("server got %d requests, want 0", n)
		}
	})
}

func TestDebugf(t *testing.T) {
	t.Parallel()
	srv := startServer(t,
		reply{status: 502, header: map[string]string{"X-GitHub-Request-Id": "AB:12"}},
		reply{body: appJSON, header: map[string]string{"X-GitHub-Request-Id": "AB:13"}})
	c, h := newClient(t, srv.URL)
	if _, err := c.GetApp(t.Context()); err != nil {
		t.Fatalf("GetApp() error = %v", err)
	}
	_, _, lines, _ := h.snapshot()
	if len(lines) != 2 {
		t.Fatalf("Debugf got %d lines, want 2: %q", len(lines), lines)
	}
	wants := []string{"GET /app: 502 (request ID AB:12) (attempt 1, ", "GET /app: 200 (request ID AB:13) (attempt 2, "}
	for i, want := range wants {
		if !strings.HasPrefix(lines[i], want) {
			t.Errorf("Debugf line %d = %q, want prefix %q", i+1, lines[i], want)
		}
		if strings.Contains(lines[i], "jwt-") || strings.Contains(lines[i], "Bearer") {
			t.Errorf("Debugf line %d shows the JWT", i+1)
		}
	}
	if !strings.Contains(lines[0], "; retrying in ") {
		t.Errorf("Debugf line 1 = %q, want the backoff", lines[0])
	}
}

func TestSignErrors(t *testing.T) {
	t.Parallel()
	srv := startServer(t, reply{body: appJSON})
	tests := []struct {
		name    string
		sign    func(context.Context, time.Time) (string, error)
		wantErr string
	}{
		{name: "no signer", wantErr: "GET /app: no app JWT signer configured"},
		{name: "signer fails", sign: func(context.Context, time.Time) (string, error) { return "", errors.New("key too short") }, wantErr: "GET /app: sign app JWT: key too short"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newClient(t, srv.URL)
			c.Sign = tt.sign
			_, err := c.GetApp(t.Context())
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("GetApp() error = %v, want %q", err, tt.wantErr)
			}
			if n := len(srv.requests()); n != 0 {
				t.Errorf("server got %d requests, want 0", n)
			}
		})
	}
}

func TestInvalidBaseURL(t *testing.T) {
	t.Parallel()
	for _, base := range []string{"", "api.github.com", "ftp://x", "https://", "https://x/api?q=1"} {
		t.Run(base, func(t *testing.T) {
			t.Parallel()
			c, _ := newClient(t, base)
			if _, err := c.GetApp(t.Context()); err == nil || !strings.Contains(err.Error(), "invalid API base URL") {
				t.Errorf("GetApp() error = %v, want invalid API base URL", err)
			}
		})
	}
}

func TestDefaultHTTPClient(t *testing.T) {
	t.Parallel()
	hc := defaultHTTP()
	tr, ok := hc.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("default transport is %T, want *http.Transport", hc.Transport)
	}
	if tr.Proxy == nil {
		t.Error("default transport has no Proxy, want proxies from the environment")
	}
	if tr == http.DefaultTransport {
		t.Error("default transport is http.DefaultTransport, want a clone")
	}
	if tr.TLSHandshakeTimeout == 0 || tr.DialContext == nil {
		t.Error("default transport has no dial or TLS timeout")
	}
	if defaultHTTP() != hc {
		t.Error("defaultHTTP() is not shared")
	}
}

func TestRedirect(t *testing.T) {
	t.Parallel()
	other := startServer(t, reply{status: 201, body: tokenJSON})
	tests := []struct {
		name     string
		status   int
		method   string
		from, to string // to may be absolute
		wantErr  string
	}{
		{name: "GET 301 renamed repository", status: 301, method: "GET", from: "/repos/old/r/installation", to: "/repos/new/r/installation"},
		// GitHub sends a renamed repository to its ID: a 301 to
		// /repositories/{id} (octokit/fixtures, MIT, recorded in
		// scenarios/api.github.com/rename-repository).
		{name: "GET 301 to the repository ID", status: 301, method: "GET", from: "/repos/octokit-fixture-org/rename-repository/installation", to: "/repositories/1000/installation"},
		{name: "POST 307", status: 307, method: "POST", from: "/app/installations/1/access_tokens", to: "/app/installations/2/access_tokens"},
		{name: "POST 308", status: 308, method: "POST", from: "/app/installations/1/access_tokens", to: "/app/installations/2/access_tokens"},
		{name: "POST 301 keeps the method", status: 301, method: "POST", from: "/app/installations/1/access_tokens", to: "/app/installations/2/access_tokens"},
		{name: "POST to another host refused", status: 307, method: "POST", from: "/app/installations/1/access_tokens", to: other.URL + "/app/installations/2/access_tokens", wantErr: "redirect to another host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var got []seen
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				mu.Lock()
				got = append(got, seen{method: r.Method, path: r.URL.Path, header: r.Header.Clone(), body: string(body)})
				mu.Unlock()
				switch {
				case r.URL.Path == tt.from:
					http.Redirect(w, r, tt.to, tt.status)
				case r.Method == "GET":
					io.WriteString(w, instJSON)
				default:
					w.WriteHeader(201)
					io.WriteString(w, tokenJSON)
				}
			}))
			t.Cleanup(srv.Close)
			c, _ := newClient(t, srv.URL)
			var err error
			if tt.method == "GET" {
				repo := strings.TrimSuffix(strings.TrimPrefix(tt.from, "/repos/"), "/installation")
				_, err = c.FindInstallation(t.Context(), Lookup{Repo: repo})
			} else {
				_, err = c.CreateToken(t.Context(), 1, TokenRequest{Repositories: []string{"a", "b"}})
			}
			mu.Lock()
			defer mu.Unlock()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error = %v, want %q", err, tt.wantErr)
				}
				if n := len(other.requests()); n != 0 {
					t.Errorf("other host got %d requests, want 0", n)
				}
				return
			}
			if err != nil {
				t.Fatalf("error = %v", err)
			}
			if len(got) != 2 {
				t.Fatalf("server got %d requests, want 2", len(got))
			}
			r := got[1]
			if r.method != tt.method || r.path != tt.to {
				t.Errorf("redirected request = %s %s, want %s %s", r.method, r.path, tt.method, tt.to)
			}
			if r.header.Get("Authorization") != "Bearer jwt-1" {
				t.Error("redirected request lost the Authorization header")
			}
			if r.body != got[0].body {
				t.Errorf("redirected body = %q, want %q", r.body, got[0].body)
			}
		})
	}
}

func TestRedirectElsewhere(t *testing.T) {
	t.Parallel()
	t.Run("GET loses Authorization", func(t *testing.T) {
		t.Parallel()
		other := startServer(t, reply{body: instJSON})
		// Another host name: Go keeps Authorization for the same name on
		// another port, and for subdomains.
		elsewhere := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
		srv := startServer(t, reply{status: http.StatusMovedPermanently, header: map[string]string{"Location": elsewhere + "/repos/new/r/installation"}})
		c, _ := newClient(t, srv.URL)
		if _, err := c.FindInstallation(t.Context(), Lookup{Repo: "old/r"}); err != nil {
			t.Fatalf("FindInstallation() error = %v", err)
		}
		reqs := other.requests()
		if len(reqs) != 1 {
			t.Fatalf("other host got %d requests, want 1", len(reqs))
		}
		if reqs[0].header.Get("Authorization") != "" {
			t.Error("other host got the Authorization header")
		}
	})
	t.Run("DELETE refused", func(t *testing.T) {
		t.Parallel()
		other := startServer(t, reply{status: http.StatusNoContent})
		srv := startServer(t, reply{status: http.StatusTemporaryRedirect, header: map[string]string{"Location": other.URL + "/installation/token"}})
		c, h := newClient(t, srv.URL)
		err := c.RevokeToken(t.Context(), "ghs_revoke")
		noSecrets(t, err)
		if err == nil || !strings.Contains(err.Error(), "DELETE /installation/token: 307 redirect to another host") {
			t.Errorf("RevokeToken() error = %v, want a refused redirect", err)
		}
		if n := len(other.requests()); n != 0 {
			t.Errorf("other host got %d requests, want 0", n)
		}
		if _, sleeps, _, _ := h.snapshot(); len(sleeps) != 0 {
			t.Errorf("slept %v, want no retry of a refused redirect", sleeps)
		}
	})
}

func TestRedirectLoop(t *testing.T) {
	t.Parallel()
	srv := startServer(t, reply{status: http.StatusPermanentRedirect, header: map[string]string{"Location": "/app/installations/42/access_tokens"}})
	c, _ := newClient(t, srv.URL)
	_, err := c.CreateToken(t.Context(), 42, TokenRequest{})
	if want := "POST /app/installations/42/access_tokens: stopped after 10 redirects"; err == nil || err.Error() != want {
		t.Errorf("CreateToken() error = %v, want %q", err, want)
	}
	if n := len(srv.requests()); n != maxRedirects+1 {
		t.Errorf("server got %d requests, want %d (no retry)", n, maxRedirects+1)
	}
}

func TestBodyTooLarge(t *testing.T) {
	t.Parallel()
	c, h := newClient(t, "https://api.github.test")
	// In memory: 10 MiB through loopback would slow the timing tests.
	c.HTTP = &http.Client{Transport: cannedTransport{
		status: http.StatusOK,
		header: http.Header{"Content-Type": {"application/json"}},
		body:   []byte(`{"id":7,"slug":"my-app","name":"` + strings.Repeat("x", maxBodySize) + `"}`),
	}}
	_, err := c.GetApp(t.Context())
	if want := "GET /app: 200 response larger than 10485760 bytes"; err == nil || err.Error() != want {
		t.Errorf("GetApp() error = %v, want %q", err, want)
	}
	if _, _, lines, _ := h.snapshot(); len(lines) != 1 {
		t.Errorf("Debugf got %d lines, want 1 attempt (no retry)", len(lines))
	}
}

// TestRealSleep checks the client's own timer, used when Sleep is nil: it
// waits out a backoff, and ends at once when the caller's context does.
func TestRealSleep(t *testing.T) {
	t.Parallel()
	t.Run("waits the backoff", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, reply{status: http.StatusBadGateway}, reply{body: appJSON})
		c, _ := newClient(t, srv.URL)
		c.Sleep, c.BaseBackoff = nil, 20*time.Millisecond
		start := time.Now()
		if _, err := c.GetApp(t.Context()); err != nil {
			t.Fatalf("GetApp() error = %v", err)
		}
		if took := time.Since(start); took < 15*time.Millisecond {
			t.Errorf("GetApp() took %v, want at least the 15ms of the shortest backoff", took)
		}
	})
	t.Run("stops with the context", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, reply{status: http.StatusBadGateway})
		c, _ := newClient(t, srv.URL)
		c.Sleep, c.BaseBackoff = nil, time.Hour
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		// The first attempt's debug line comes just before the backoff.
		c.Debugf = func(string, ...any) { time.AfterFunc(20*time.Millisecond, cancel) }
		start := time.Now()
		_, err := c.GetApp(ctx)
		// Far below the backoff's hour: only that the wait ends is tested.
		if took := time.Since(start); took > time.Minute {
			t.Errorf("GetApp() took %v, want it to end with the context", took)
		}
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), " canceled after 1 attempt (last: 502)") {
			t.Errorf("GetApp() error = %v, want a cancel during the backoff", err)
		}
	})
}
