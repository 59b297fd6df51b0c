// Package oidctest emulates GitHub Actions' OIDC token service for tests:
// the endpoint the runner names in ACTIONS_ID_TOKEN_REQUEST_URL, which
// issues RS256-signed tokens for a requested audience, and a verifier that
// the cloud emulators use as their trust anchor.
//
// The claims follow GitHub's documentation ("About security hardening with
// OpenID Connect": iss https://token.actions.githubusercontent.com, sub
// repo:OWNER/REPO:ref:REF or :environment:NAME, aud, repository,
// repository_owner, ref, job_workflow_ref, ...).
package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Issuer is GitHub's OIDC issuer for GitHub Actions.
const Issuer = "https://token.actions.githubusercontent.com"

// Job is what the issued tokens say about the job.
type Job struct {
	Repository  string // "octo-org/app"
	Ref         string // "refs/heads/main"
	Environment string // "" for none; the sub then names the environment
}

// Server is the token service of one job.
type Server struct {
	ts     *httptest.Server
	key    *rsa.PrivateKey
	secret string // ACTIONS_ID_TOKEN_REQUEST_TOKEN

	mu       sync.Mutex
	job      Job
	issued   []string
	failN    int // the next failN requests answer failCode
	failCode int
	queries  []url.Values // the query of every request, in order
}

var signingKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// Start starts the service for job on loopback; tb's cleanup stops it.
func Start(tb testing.TB, job Job) *Server {
	tb.Helper()
	s := &Server{key: signingKey(), secret: "oidc-request-" + rand.Text(), job: job}
	s.ts = httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.ts.Close)
	return s
}

// Env returns the variables the runner sets for a job with
// id-token: write.
func (s *Server) Env() map[string]string {
	return map[string]string{
		"ACTIONS_ID_TOKEN_REQUEST_URL":   s.ts.URL + "/token?api-version=2.0",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": s.secret,
	}
}

// Secrets returns the request token and every OIDC token issued so far,
// for leak checks.
func (s *Server) Secrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string{s.secret}, s.issued...)
}

// Issued returns how many tokens were issued.
func (s *Server) Issued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.issued)
}

// Fail makes the next n requests answer 500.
func (s *Server) Fail(n int) { s.FailWith(n, http.StatusInternalServerError) }

// FailWith makes the next n requests answer status, such as 503 or 429.
func (s *Server) FailWith(n, status int) {
	s.mu.Lock()
	s.failN, s.failCode = n, status
	s.mu.Unlock()
}

// Queries returns the query of every request received, in order, so that
// a test can see which audience was asked for, or whether an empty
// audience= was sent.
func (s *Server) Queries() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]url.Values(nil), s.queries...)
}

// Subject returns the sub claim of the job's tokens.
func (s *Server) Subject() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.job.subject()
}

func (j Job) subject() string {
	if j.Environment != "" {
		return "repo:" + j.Repository + ":environment:" + j.Environment
	}
	return "repo:" + j.Repository + ":ref:" + j.Ref
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queries = append(s.queries, r.URL.Query())
	if s.failN > 0 {
		s.failN--
		http.Error(w, `{"message":"internal error"}`, s.failCode)
		return
	}
	if r.URL.Path != "/token" || r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+s.secret {
		http.Error(w, `{"message":"unauthorized"}`, http.StatusUnauthorized)
		return
	}
	aud := r.URL.Query().Get("audience")
	if aud == "" {
		// GitHub's default audience is the repository owner's URL.
		aud = "https://github.com/" + strings.Split(s.job.Repository, "/")[0]
	}
	now := time.Now()
	owner, _, _ := strings.Cut(s.job.Repository, "/")
	claims := jwt.MapClaims{
		"iss": Issuer, "sub": s.job.subject(), "aud": aud,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"repository": s.job.Repository, "repository_owner": owner, "ref": s.job.Ref,
		"environment": s.job.Environment, "runner_environment": "github-hosted",
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = "oidctest"
	signed, err := tok.SignedString(s.key)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	s.issued = append(s.issued, signed)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"value": signed})
}

// Verify checks token as a cloud's trust configuration would: signed by
// this service, issued by GitHub, unexpired, for audience. It returns the
// claims. Its errors never quote the token.
func Verify(token, audience string) (jwt.MapClaims, error) {
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return &signingKey().PublicKey, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(Issuer), jwt.WithAudience(audience), jwt.WithExpirationRequired())
	if err != nil {
		if errors.Is(err, jwt.ErrTokenInvalidAudience) {
			return nil, fmt.Errorf("audience is not %s", audience)
		}
		return nil, errors.New("not a valid GitHub Actions OIDC token")
	}
	return claims, nil
}

// MatchSubject reports whether sub matches pattern, where * matches any
// run of characters, as AWS's StringLike, GCP's attribute conditions and
// Vault's glob bound claims allow.
func MatchSubject(pattern, sub string) bool {
	head, rest, star := strings.Cut(pattern, "*")
	if !star {
		return pattern == sub
	}
	if !strings.HasPrefix(sub, head) {
		return false
	}
	sub = sub[len(head):]
	for i := 0; i <= len(sub); i++ {
		if MatchSubject(rest, sub[i:]) {
			return true
		}
	}
	return false
}
