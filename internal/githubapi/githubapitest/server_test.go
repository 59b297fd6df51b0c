package githubapitest

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestResponseHeaders(t *testing.T) {
	t.Parallel()
	s := Start(t, testConfig(t))
	auth := bearer(appJWT(t, testNow))
	first := do(t, "GET", s.URL()+"/app", auth, "")
	second := do(t, "GET", s.URL()+"/app", auth, "")
	anon := do(t, "GET", s.URL()+"/users/alice", "", "")
	tok := mint(t, s, 102, "").Token
	withToken := do(t, "GET", s.URL()+"/users/alice", "token "+tok, "")

	idPattern := regexp.MustCompile(`^[0-9A-F]{4}:[0-9A-F]{4}:[0-9A-F]{6}:[0-9A-F]{7}:[0-9A-F]{8}$`)
	ids := map[string]bool{}
	for i, r := range []reply{first, second, anon, withToken} {
		if got := r.header.Get("Content-Type"); got != "application/json; charset=utf-8" {
			t.Errorf("reply %d Content-Type = %q", i, got)
		}
		id := r.header.Get("X-GitHub-Request-Id")
		if !idPattern.MatchString(id) || ids[id] {
			t.Errorf("reply %d X-GitHub-Request-Id = %q, want a fresh ID shaped like GitHub's", i, id)
		}
		ids[id] = true
		if d, err := http.ParseTime(r.header.Get("Date")); err != nil || !d.Equal(testNow) {
			t.Errorf("reply %d Date = %q, want %v", i, r.header.Get("Date"), testNow)
		}
		reset := strconv.FormatInt(testNow.Truncate(time.Hour).Add(time.Hour).Unix(), 10)
		if i < 2 {
			// An app JWT gets no rate-limit headers.
			for k := range r.header {
				if strings.HasPrefix(k, "X-Ratelimit-") {
					t.Errorf("reply %d to an app JWT has %s", i, k)
				}
			}
			continue
		}
		if r.header.Get("X-RateLimit-Reset") != reset || r.header.Get("X-RateLimit-Resource") != "core" {
			t.Errorf("reply %d rate limit reset %q resource %q", i, r.header.Get("X-RateLimit-Reset"), r.header.Get("X-RateLimit-Resource"))
		}
	}
	rate := func(r reply) string {
		return r.header.Get("X-RateLimit-Limit") + "/" + r.header.Get("X-RateLimit-Remaining") + "/" + r.header.Get("X-RateLimit-Used")
	}
	for _, c := range []struct {
		r    reply
		want string
	}{{anon, "60/59/1"}, {withToken, "5000/4999/1"}} {
		if got := rate(c.r); got != c.want {
			t.Errorf("limit/remaining/used = %s, want %s", got, c.want)
		}
	}
}

func TestBasePath(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.BasePath = "api/v3/"
	s := Start(t, cfg)
	root := strings.TrimSuffix(s.URL(), "/api/v3")
	if root == s.URL() || strings.HasSuffix(s.URL(), "/") {
		t.Fatalf("URL() = %q, want it to end in /api/v3", s.URL())
	}
	auth := bearer(appJWT(t, testNow))

	r := do(t, "GET", s.URL()+"/app", auth, "")
	if r.status != http.StatusOK || !strings.Contains(string(r.body), `"html_url":"`+root+`/apps/test-app"`) {
		t.Errorf("GET /api/v3/app = %d %s", r.status, r.body)
	}
	wantError(t, do(t, "GET", root+"/app", auth, ""), http.StatusNotFound, msgNotFound)
	wantError(t, do(t, "GET", s.URL(), auth, ""), http.StatusNotFound, msgNotFound)
	in := decode[installation](t, do(t, "GET", s.URL()+"/orgs/acme/installation", auth, ""))
	if want := s.URL() + "/app/installations/101/access_tokens"; in.AccessTokensURL != want {
		t.Errorf("access_tokens_url = %q, want %q", in.AccessTokensURL, want)
	}

	s.InjectFault(Fault{Path: "/app", Status: http.StatusBadGateway})
	if r := do(t, "GET", s.URL()+"/app", auth, ""); r.status != http.StatusBadGateway {
		t.Errorf("fault on /app under the base path: status %d", r.status)
	}

	var got []string
	for _, req := range s.Requests() {
		got = append(got, fmt.Sprint(req.Path, " ", req.Status))
	}
	want := []string{"/app 200", "/app 404", "/ 404", "/orgs/acme/installation 200", "/app 502"}
	if !slices.Equal(got, want) {
		t.Errorf("recorded %q, want %q", got, want)
	}

	// Pagination links keep the base path.
	r = do(t, "GET", s.URL()+"/app/installations?per_page=1", auth, "")
	if links := parseLinks(r.header.Get("Link")); len(links) == 0 ||
		links[0].url != s.URL()+"/app/installations?page=2&per_page=1" {
		t.Errorf("Link = %q, want one to %s/app/installations?page=2&per_page=1 first", r.header.Get("Link"), s.URL())
	}
}

func TestStatusFaults(t *testing.T) {
	t.Parallel()
	type call struct{ method, path string }
	mintCall := call{"POST", "/app/installations/102/access_tokens"}
	unavailable := Fault{
		Method: "POST", Path: "/app/installations/102/access_tokens", Status: http.StatusServiceUnavailable,
		Header: http.Header{"Retry-After": {"2"}}, Body: `{"message":"Service Unavailable"}`,
	}
	tests := []struct {
		name  string
		fault Fault
		calls []call
		want  []int
		check func(t *testing.T, replies []reply)
	}{
		{
			name: "once by default", fault: unavailable, calls: []call{mintCall, mintCall}, want: []int{503, 201},
			check: func(t *testing.T, r []reply) {
				if string(r[0].body) != unavailable.Body || r[0].header.Get("Retry-After") != "2" ||
					r[0].header.Get("X-GitHub-Request-Id") == "" {
					t.Errorf("faulted reply = %s %v", r[0].body, r[0].header)
				}
			},
		},
		{
			name:  "count",
			fault: Fault{Method: "post", Path: mintCall.path, Status: 500, Count: 2},
			calls: []call{mintCall, mintCall, mintCall}, want: []int{500, 500, 201},
		},
		{
			name:  "forever",
			fault: Fault{Path: "/app", Status: 502, Count: -1},
			calls: []call{{"GET", "/app"}, {"GET", "/app"}, {"GET", "/app"}}, want: []int{502, 502, 502},
		},
		{
			name:  "prefix",
			fault: Fault{Path: "/app/*", Status: 500, Count: 2},
			calls: []call{{"GET", "/app"}, {"GET", "/app/installations"}, {"GET", "/users/alice"}, mintCall, {"GET", "/app/installations"}},
			want:  []int{200, 500, 200, 500, 200},
		},
		{
			name:  "method must match",
			fault: Fault{Method: "POST", Path: "/app", Status: 500},
			calls: []call{{"GET", "/app"}}, want: []int{200},
		},
		{
			name:  "any request",
			fault: Fault{Status: http.StatusTooManyRequests},
			calls: []call{{"GET", "/users/alice"}, {"GET", "/users/alice"}}, want: []int{429, 200},
		},
		{
			name:  "malformed body",
			fault: Fault{Path: mintCall.path, Status: 201, Body: `{"token":`},
			calls: []call{mintCall}, want: []int{201},
			check: func(t *testing.T, r []reply) {
				if string(r[0].body) != `{"token":` {
					t.Errorf("body = %q, want the fault's", r[0].body)
				}
			},
		},
		{
			name: "headers replace the server's",
			fault: Fault{Path: "/app", Status: 403, Header: http.Header{
				"x-ratelimit-remaining": {"0"}, "Content-Type": {"text/html"},
			}},
			calls: []call{{"GET", "/app"}}, want: []int{403},
			check: func(t *testing.T, r []reply) {
				if r[0].header.Get("X-RateLimit-Remaining") != "0" || r[0].header.Get("Content-Type") != "text/html" {
					t.Errorf("headers = %v", r[0].header)
				}
			},
		},
		{
			name:  "delay then answer normally",
			fault: Fault{Path: "/app", Delay: 30 * time.Millisecond},
			calls: []call{{"GET", "/app"}}, want: []int{200},
		},
		{
			name:  "delay then fail",
			fault: Fault{Path: "/app", Delay: 30 * time.Millisecond, Status: 504},
			calls: []call{{"GET", "/app"}}, want: []int{504},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := Start(t, testConfig(t))
			s.InjectFault(tt.fault)
			auth := bearer(appJWT(t, testNow))
			var replies []reply
			var got []int
			start := time.Now()
			for _, c := range tt.calls {
				r := do(t, c.method, s.URL()+c.path, auth, "")
				replies = append(replies, r)
				got = append(got, r.status)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("statuses = %v, want %v", got, tt.want)
			}
			if time.Since(start) < tt.fault.Delay {
				t.Errorf("answered after %v, before the %v delay", time.Since(start), tt.fault.Delay)
			}
			var recorded []int
			for _, req := range s.Requests() {
				recorded = append(recorded, req.Status)
			}
			if !slices.Equal(recorded, tt.want) {
				t.Errorf("recorded statuses = %v, want %v", recorded, tt.want)
			}
			if tt.check != nil {
				tt.check(t, replies)
			}
		})
	}
}

func TestFaultWithInvalidStatusIsReported(t *testing.T) {
	t.Parallel()
	for _, status := range []int{42, 1000, -1} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			tb := &fakeTB{}
			s := Start(tb, testConfig(t))
			defer tb.cleanup()
			s.InjectFault(Fault{Path: "/app", Status: status})
			if errs := tb.errors(); len(errs) != 1 || !strings.Contains(errs[0], strconv.Itoa(status)) {
				t.Errorf("InjectFault(Status: %d) reported %q, want one error naming the status", status, errs)
			}
			// The server still answers, and the dropped fault hits nothing.
			if r := do(t, "GET", s.URL()+"/app", bearer(appJWT(t, testNow)), ""); r.status != http.StatusOK {
				t.Errorf("GET /app after a dropped fault = %d %s, want 200", r.status, r.body)
			}
		})
	}
}

func TestFaultOrder(t *testing.T) {
	t.Parallel()
	s := Start(t, testConfig(t))
	// Both match GET /app; the first injected is used up first, and a
	// request gets only one of them.
	s.InjectFault(Fault{Path: "/app", Status: http.StatusBadGateway})
	s.InjectFault(Fault{Status: http.StatusServiceUnavailable})
	auth := bearer(appJWT(t, testNow))
	var got []int
	for range 3 {
		got = append(got, do(t, "GET", s.URL()+"/app", auth, "").status)
	}
	if want := []int{502, 503, 200}; !slices.Equal(got, want) {
		t.Errorf("statuses = %v, want %v", got, want)
	}
}

func TestResetFault(t *testing.T) {
	t.Parallel()
	s := Start(t, testConfig(t))
	s.InjectFault(Fault{Method: "POST", Path: "/app/installations/102/access_tokens", Reset: true})
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}

	req, _ := http.NewRequestWithContext(t.Context(), "POST", s.URL()+"/app/installations/102/access_tokens", strings.NewReader("{}"))
	req.Header.Set("Authorization", bearer(appJWT(t, testNow)))
	resp, err := client.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("POST with a Reset fault = %d, want a connection error", resp.StatusCode)
	}
	mint(t, s, 102, "") // the next request is answered
	reqs := s.Requests()
	if len(reqs) != 2 || reqs[0].Status != 0 || reqs[1].Status != http.StatusCreated {
		t.Errorf("recorded %d requests, statuses %v", len(reqs), []int{reqs[0].Status, reqs[len(reqs)-1].Status})
	}
}

// TestLostFault checks that a Lost fault does the request's work and
// drops its answer: the revoke revokes, and the client sees a connection
// error.
func TestLostFault(t *testing.T) {
	t.Parallel()
	s := Start(t, testConfig(t))
	tok := mint(t, s, 102, "").Token
	s.InjectFault(Fault{Method: "DELETE", Path: "/installation/token", Lost: true, Status: 500})
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: patience}
	req, _ := http.NewRequestWithContext(t.Context(), "DELETE", s.URL()+"/installation/token", nil)
	req.Header.Set("Authorization", "token "+tok)
	resp, err := client.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("DELETE with a Lost fault = %d, want a connection error", resp.StatusCode)
	}
	if !tokenNamed(t, s, tok).Revoked {
		t.Error("the token is live after a revoke whose answer was lost")
	}
	if reqs := s.Requests(); len(reqs) != 2 || reqs[1].Status != 0 {
		t.Errorf("recorded %d requests, want the DELETE with status 0", len(reqs))
	}
}

// patience bounds the tests' waits for something that, broken, would take
// a fault's hour: far above any pause of a loaded machine, so that only
// its existence is tested, not its length.
const patience = time.Minute

func TestDelayEndsWhenClientGivesUp(t *testing.T) {
	t.Parallel()
	tb := &fakeTB{}
	s := Start(tb, testConfig(t))
	defer tb.cleanup()
	s.InjectFault(Fault{Path: "/app", Delay: time.Hour})

	client := &http.Client{Timeout: 100 * time.Millisecond}
	req, _ := http.NewRequestWithContext(t.Context(), "GET", s.URL()+"/app", nil)
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("GET during an hour's delay answered %d", resp.StatusCode)
	}
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(patience):
		t.Fatal("Close still waits for a request whose client gave up")
	}
	if reqs := s.Requests(); len(reqs) != 1 || reqs[0].Status != 0 {
		t.Errorf("recorded %+v, want one request with status 0", reqs)
	}
	if errs := tb.errors(); len(errs) != 0 {
		t.Errorf("reported %q", errs)
	}
}

func TestDelayEndsWhenServerCloses(t *testing.T) {
	t.Parallel()
	s := Start(t, testConfig(t))
	arrived := make(chan struct{})
	s.InjectFault(Fault{Delay: time.Hour, Arrived: func() { close(arrived) }})

	ctx, cancel := context.WithTimeout(t.Context(), patience)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, "GET", s.URL()+"/users/alice", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			err = fmt.Errorf("answered %d", resp.StatusCode)
		}
		errc <- err
	}()
	select {
	case <-arrived:
	case err := <-errc:
		t.Fatalf("the request ended (%v) without the fault's Arrived", err)
	}
	start := time.Now()
	s.Close()
	err := <-errc
	if ctx.Err() != nil {
		t.Fatalf("the client waited %v for a closed server", time.Since(start))
	}
	if err == nil || strings.Contains(err.Error(), "answered") {
		t.Errorf("client got %v, want a connection error", err)
	}
}

func TestRequestRecording(t *testing.T) {
	t.Parallel()
	s := Start(t, testConfig(t))
	_, otherKey := testKeys(t)
	good := appJWT(t, testNow)
	bad := mintJWT(t, otherKey, jwt.MapClaims{"iat": testNow.Unix(), "exp": testNow.Unix() + 60, "iss": "4242"})

	req, _ := http.NewRequestWithContext(t.Context(), "POST", s.URL()+"/app/installations/101/access_tokens?a=b",
		strings.NewReader(`{"repositories":["web"]}`))
	req.Header.Set("Authorization", bearer(good))
	req.Header.Set("X-Test", "yes")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	tok := s.Tokens()[0].Value
	do(t, "GET", s.URL()+"/app", bearer(bad), "")
	do(t, "GET", s.URL()+"/users/bob", "token "+tok, "")

	reqs := s.Requests()
	if len(reqs) != 3 {
		t.Fatalf("Requests() has %d entries, want 3", len(reqs))
	}
	first := reqs[0]
	if first.Method != "POST" || first.Path != "/app/installations/101/access_tokens" || first.RawQuery != "a=b" ||
		first.Header.Get("X-Test") != "yes" || string(first.Body) != `{"repositories":["web"]}` ||
		first.Status != http.StatusCreated || !first.Time.Equal(testNow) {
		t.Errorf("first request = %s %s?%s status %d at %v", first.Method, first.Path, first.RawQuery, first.Status, first.Time)
	}
	if reqs[1].Status != http.StatusUnauthorized || reqs[2].Status != http.StatusOK {
		t.Errorf("statuses = %d, %d, want 401, 200", reqs[1].Status, reqs[2].Status)
	}
	if got := s.JWTs(); len(got) != 2 || got[0] != good || got[1] != bad {
		t.Errorf("JWTs() has %d entries, want the good and the bad JWT in order", len(got))
	}

	reqs[0].Body[0] = 'X'
	reqs[0].Header.Set("X-Test", "changed")
	if again := s.Requests()[0]; again.Body[0] != '{' || again.Header.Get("X-Test") != "yes" {
		t.Error("Requests() shares its entries with the caller")
	}
	toks := s.Tokens()
	toks[0].Permissions["contents"] = "admin"
	if s.Tokens()[0].Permissions["contents"] != "write" {
		t.Error("Tokens() shares its entries with the caller")
	}
}

func TestConfigProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"duplicate installation ID", func(c *Config) { c.Installations[1].ID = 101 }, "not unique"},
		{"unknown selection", func(c *Config) { c.Installations[0].RepositorySelection = "some" }, "repository selection"},
		{"unknown permission", func(c *Config) { c.Installations[0].Permissions["bogus"] = "read" }, "bogus"},
		{"level a permission lacks", func(c *Config) { c.Installations[1].Permissions["contents"] = "admin" }, "contents"},
		{"repository with a slash", func(c *Config) { c.Installations[0].Repositories[0].Name = "acme/web"; c.Renamed = nil }, "slash"},
		{"renamed to a repository no installation reaches", func(c *Config) { c.Renamed = map[string]string{"acme/old": "acme/gone"} }, "no installation reaches"},
		{"repository twice", func(c *Config) { c.Installations[0].Repositories[1].Name = "WEB" }, "twice"},
		{"no app ID", func(c *Config) { c.App.ID = 0 }, "app ID"},
		{"enterprise with repositories", func(c *Config) { c.Installations[3].Repositories = []Repository{{Name: "x"}} }, "enterprise"},
		{"installed twice", func(c *Config) { c.Installations[2].Account.Login = "ACME" }, "installed twice"},
		{"bot installation", func(c *Config) { c.Installations[1].Account.Type = "Bot" }, "account type"},
		{"renamed without owner", func(c *Config) { c.Renamed = map[string]string{"web": "acme/web"} }, "owner/name"},
		{"negative TTL", func(c *Config) { c.TokenTTL = -time.Second }, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(t)
			tt.change(&cfg)
			if s, err := NewServer(cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
				if s != nil {
					s.Close()
				}
				t.Errorf("NewServer() error = %v, want one mentioning %q", err, tt.want)
			}

			tb := &fakeTB{}
			s := Start(tb, cfg)
			defer tb.cleanup()
			if errs := tb.errors(); len(errs) != 1 || !strings.Contains(errs[0], tt.want) {
				t.Errorf("Start() reported %q, want one problem mentioning %q", errs, tt.want)
			}
			if r := do(t, "GET", s.URL()+"/users/bob", "", ""); r.status != http.StatusOK {
				t.Errorf("Start() with problems does not serve: %d", r.status)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	key, _ := testKeys(t)
	cfg := Config{
		App: App{ID: 7, Key: key},
		Installations: []Installation{{
			ID: 1, Account: Account{Login: "solo"}, Repositories: []Repository{{Name: "one"}},
		}},
		Now: func() time.Time { return testNow },
	}
	s := Start(t, cfg)
	if got := s.BotUser(); got.Login != "app-7[bot]" || got.Type != "Bot" {
		t.Errorf("BotUser() = %+v, want app-7[bot]", got)
	}
	auth := bearer(mintJWT(t, key, jwt.MapClaims{"iat": testNow.Unix(), "exp": testNow.Unix() + 60, "iss": 7}))
	in := decode[installation](t, do(t, "GET", s.URL()+"/repos/solo/one/installation", auth, ""))
	if in.RepositorySelection != "all" || in.Account.Type != "User" || in.Account.ID == 0 || in.Permissions == nil {
		t.Errorf("installation = %+v, want defaults filled in", in)
	}
	tok := decode[token](t, do(t, "POST", s.URL()+"/app/installations/1/access_tokens", auth, `{"repositories":["one"]}`))
	if len(tok.Repositories) != 1 || tok.Repositories[0].ID == 0 {
		t.Errorf("token repositories = %+v, want one with an ID", tok.Repositories)
	}
	if cfg.Installations[0].Repositories[0].ID != 0 || cfg.Installations[0].RepositorySelection != "" {
		t.Error("Start() changed the caller's config")
	}
}

func TestDefaultConfig(t *testing.T) {
	t.Parallel()
	if DefaultConfig().App.Key != nil {
		t.Fatal("DefaultConfig() generates a key; NewServer should")
	}
	s, err := NewServer(DefaultConfig())
	if err != nil {
		t.Fatalf("NewServer(DefaultConfig()) = %v", err)
	}
	defer s.Close()
	defer s.Close() // Close may be called twice

	block, _ := pem.Decode([]byte(s.PrivateKeyPEM()))
	if block == nil || block.Type != "RSA PRIVATE KEY" {
		t.Fatal("PrivateKeyPEM() is not a PKCS#1 PEM block")
	}
	key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil || key.N.BitLen() != 2048 {
		t.Fatalf("PrivateKeyPEM() does not hold a 2048-bit key: %v", err)
	}
	now := time.Now()
	auth := bearer(mintJWT(t, key, jwt.MapClaims{
		"iat": now.Add(-time.Minute).Unix(), "exp": now.Add(9 * time.Minute).Unix(), "iss": "Iv23liDemo0000000000",
	}))
	for path, want := range map[string]int64{
		"/repos/octo-org/app/installation": 42000001,
		"/users/octocat/installation":      42000002,
	} {
		if in := decode[installation](t, do(t, "GET", s.URL()+path, auth, "")); in.ID != want {
			t.Errorf("GET %s = installation %d, want %d", path, in.ID, want)
		}
	}
	r := do(t, "POST", s.URL()+"/app/installations/42000001/access_tokens", auth, `{"repositories":["app"],"permissions":{"contents":"read"}}`)
	if r.status != http.StatusCreated {
		t.Fatalf("demo token = %d %s", r.status, r.body)
	}
	tok := decode[token](t, r)
	if r := do(t, "GET", s.URL()+"/users/demo-app[bot]", "token "+tok.Token, ""); r.status != http.StatusOK {
		t.Errorf("demo bot user = %d", r.status)
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	s := Start(t, testConfig(t))
	auth := bearer(appJWT(t, testNow))
	const n = 16
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			// No Fatal here: this is not the test's goroutine.
			req, _ := http.NewRequestWithContext(t.Context(), "POST", s.URL()+"/app/installations/101/access_tokens",
				strings.NewReader(`{"repositories":["api"]}`))
			req.Header.Set("Authorization", auth)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Errorf("mint: %v", err)
				return
			}
			resp.Body.Close()
			_ = s.Requests()
			_ = s.Tokens()
			_ = s.JWTs()
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, tok := range s.Tokens() {
		seen[tok.Value] = true
	}
	if len(seen) != n || len(s.Requests()) != n || len(s.JWTs()) != n {
		t.Errorf("issued %d distinct tokens over %d requests, want %d", len(seen), len(s.Requests()), n)
	}
}

func TestCount(t *testing.T) {
	t.Parallel()
	srv := Start(t, DefaultConfig())
	for range 2 {
		resp, err := http.Get(srv.URL() + "/app")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if got := srv.Count("GET", "/app"); got != 2 {
		t.Errorf("Count(GET /app) = %d, want 2", got)
	}
	if got := srv.Count("POST", "/app"); got != 0 {
		t.Errorf("Count(POST /app) = %d, want 0", got)
	}
}
