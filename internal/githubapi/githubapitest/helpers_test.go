package githubapitest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// testNow is the server clock of every test world.
var testNow = time.Date(2026, time.March, 1, 12, 0, 0, 0, time.UTC)

var (
	keyOnce sync.Once
	keyA    *rsa.PrivateKey
	keyB    *rsa.PrivateKey
)

// testKeys returns two RSA keys shared by all tests: the app's and a
// stranger's.
func testKeys(tb testing.TB) (app, other *rsa.PrivateKey) {
	tb.Helper()
	keyOnce.Do(func() {
		var err error
		if keyA, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if keyB, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return keyA, keyB
}

// testConfig returns the world most tests use.
func testConfig(tb testing.TB) Config {
	tb.Helper()
	key, _ := testKeys(tb)
	return Config{
		App: App{ID: 4242, ClientID: "Iv23liTest0000000000", Slug: "test-app", Name: "Test App", Key: key},
		Installations: []Installation{
			{
				ID:                  101,
				Account:             Account{Login: "acme", ID: 9001, Type: "Organization"},
				RepositorySelection: "selected",
				Repositories:        []Repository{{ID: 1001, Name: "web"}, {ID: 1002, Name: "api"}},
				Permissions: map[string]string{
					"contents": "write", "issues": "read", "metadata": "read", "repository_projects": "admin",
				},
			},
			{
				ID:                  102,
				Account:             Account{Login: "alice", ID: 9002, Type: "User"},
				RepositorySelection: "all",
				Repositories:        []Repository{{ID: 2001, Name: "dotfiles"}, {ID: 2002, Name: "blog"}},
				Permissions:         map[string]string{"contents": "read", "metadata": "read"},
			},
			{
				ID:           103,
				Account:      Account{Login: "frozen", ID: 9003, Type: "Organization"},
				Repositories: []Repository{{ID: 3001, Name: "ice"}},
				Permissions:  map[string]string{"contents": "read"},
				Suspended:    true,
			},
			{
				ID:          104,
				Account:     Account{Login: "megacorp", ID: 9004, Type: "Enterprise"},
				Permissions: map[string]string{"organization_administration": "read"},
			},
		},
		Users:   []Account{{Login: "bob", ID: 9005}},
		Renamed: map[string]string{"acme/old-web": "acme/web"},
		Now:     func() time.Time { return testNow },
	}
}

// mintJWT signs claims with key (RS256).
func mintJWT(tb testing.TB, key *rsa.PrivateKey, claims jwt.MapClaims) string {
	tb.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(key)
	if err != nil {
		tb.Fatalf("sign JWT: %v", err)
	}
	return s
}

// appJWT returns a valid app JWT for the test world at time now.
func appJWT(tb testing.TB, now time.Time) string {
	tb.Helper()
	key, _ := testKeys(tb)
	return mintJWT(tb, key, jwt.MapClaims{
		"iat": now.Add(-60 * time.Second).Unix(),
		"exp": now.Add(9 * time.Minute).Unix(),
		"iss": "4242",
	})
}

// reply is a response read in full.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// noRedirects is a client that shows redirects instead of following them.
var noRedirects = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       10 * time.Second,
}

// do sends a request. auth is the whole Authorization header ("" for none).
func do(tb testing.TB, method, url, auth, body string) reply {
	tb.Helper()
	req, err := http.NewRequestWithContext(tb.Context(), method, url, strings.NewReader(body))
	if err != nil {
		tb.Fatalf("new request: %v", err)
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("read body: %v", err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

// bearer returns an Authorization header value.
func bearer(cred string) string { return "Bearer " + cred }

// decode decodes the reply's JSON body into a new T.
func decode[T any](tb testing.TB, r reply) T {
	tb.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		tb.Fatalf("decode %T from %q: %v", v, r.body, err)
	}
	return v
}

// apiError is GitHub's error body as a client reads it.
type apiError struct {
	Message          string `json:"message"`
	DocumentationURL string `json:"documentation_url"`
	Status           string `json:"status"`
}

// wantError checks a reply is GitHub's error with the given status and
// message.
func wantError(tb testing.TB, r reply, status int, message string) apiError {
	tb.Helper()
	if r.status != status {
		tb.Errorf("status = %d, want %d (body %s)", r.status, status, r.body)
	}
	e := decode[apiError](tb, r)
	if e.Message != message {
		tb.Errorf("message = %q, want %q", e.Message, message)
	}
	if e.Status != fmt.Sprint(status) {
		tb.Errorf("status field = %q, want %q", e.Status, fmt.Sprint(status))
	}
	if !strings.HasPrefix(e.DocumentationURL, "https://docs.github.com/rest") {
		tb.Errorf("documentation_url = %q, want a docs.github.com/rest link", e.DocumentationURL)
	}
	return e
}

// installation is the part of an installation a client reads.
type installation struct {
	ID      int64 `json:"id"`
	Account struct {
		Login string `json:"login"`
		Slug  string `json:"slug"`
		ID    int64  `json:"id"`
		Type  string `json:"type"`
	} `json:"account"`
	AppID               int64             `json:"app_id"`
	ClientID            string            `json:"client_id"`
	AppSlug             string            `json:"app_slug"`
	HTMLURL             string            `json:"html_url"`
	TargetType          string            `json:"target_type"`
	RepositorySelection string            `json:"repository_selection"`
	Permissions         map[string]string `json:"permissions"`
	AccessTokensURL     string            `json:"access_tokens_url"`
	SuspendedAt         *string           `json:"suspended_at"`
}

// user is the part of a user, organization or bot a client reads.
type user struct {
	Login string `json:"login"`
	ID    int64  `json:"id"`
	Type  string `json:"type"`
}

// token is the answer of a token request as a client reads it.
type token struct {
	Token               string            `json:"token"`
	ExpiresAt           string            `json:"expires_at"`
	Permissions         map[string]string `json:"permissions"`
	RepositorySelection string            `json:"repository_selection"`
	Repositories        []struct {
		ID       int64  `json:"id"`
		Name     string `json:"name"`
		FullName string `json:"full_name"`
	} `json:"repositories"`
}

// mint creates a token for an installation of the test world and fails the
// test when GitHub would refuse.
func mint(tb testing.TB, s *Server, installationID int64, body string) token {
	tb.Helper()
	r := do(tb, "POST", fmt.Sprintf("%s/app/installations/%d/access_tokens", s.URL(), installationID),
		bearer(appJWT(tb, s.now())), body)
	if r.status != http.StatusCreated {
		tb.Fatalf("mint token: status %d: %s", r.status, r.body)
	}
	return decode[token](tb, r)
}

// fakeTB records what Start reports. The embedded testing.TB is nil: a
// call to a method fakeTB does not override panics.
type fakeTB struct {
	testing.TB
	mu       sync.Mutex
	errs     []string
	cleanups []func()
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Cleanup(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cleanups = append(f.cleanups, fn)
}

func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}

func (f *fakeTB) errors() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.errs...)
}

func (f *fakeTB) cleanup() {
	f.mu.Lock()
	fns := f.cleanups
	f.cleanups = nil
	f.mu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i]()
	}
}
