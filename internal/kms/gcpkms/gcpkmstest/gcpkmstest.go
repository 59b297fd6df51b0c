// Package gcpkmstest emulates, for tests, the three Google Cloud APIs that
// package gcpkms calls: the Security Token Service (token exchange of a
// GitHub Actions OIDC token, checked against workload identity providers),
// the IAM Credentials API (generateAccessToken for a service account,
// checked against roles/iam.workloadIdentityUser bindings) and Cloud KMS
// (asymmetricSign, get, getPublicKey and list, each checked against the
// permissions of the roles bound on the key), all on
// one loopback server; [Server.Refused] counts the requests refused, as
// the project's audit logs would show them. It signs with the app's RSA key as Cloud KMS signs
// with an RSA_SIGN_PKCS1_*_SHA256 key version.
//
// Principals are written as IAM writes them: serviceAccount:EMAIL, and
// principal://iam.googleapis.com/POOL/subject/SUB for a federated
// identity (POOL is projects/N/locations/global/workloadIdentityPools/P,
// and the provider maps google.subject=assertion.sub). Bindings may hold
// * as a wildcard, standing in for IAM's principalSet and conditions.
package gcpkmstest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ghapptoken/app-token-action/internal/oidc/oidctest"
)

// DefaultKey is the key version's name when Config.KeyName is empty.
const DefaultKey = "projects/app-project/locations/global/keyRings/github/cryptoKeys/app-key/cryptoKeyVersions/1"

// Config describes the emulated project.
type Config struct {
	// Key is the app's RSA private key, imported into the key version.
	Key *rsa.PrivateKey
	// KeyName is the key version's resource name; "": DefaultKey.
	KeyName string
	// Algorithm is the key version's algorithm; "": the
	// RSA_SIGN_PKCS1_*_SHA256 of Key's size. EC_SIGN_P256_SHA256 answers
	// ECDSA signatures (of a key of its own), as Cloud KMS does for an EC
	// key given a SHA-256 digest; GOOGLE_SYMMETRIC_ENCRYPTION (purpose
	// ENCRYPT_DECRYPT) is refused with FAILED_PRECONDITION.
	Algorithm string
	// Disabled makes the key version DISABLED.
	Disabled bool
	// Versions are the key's other versions, besides KeyName's, which
	// cryptoKeyVersions.list shows and which sign with keys of their own.
	Versions []Version
	// Signers are the principals with roles/cloudkms.signer on the key:
	// cloudkms.cryptoKeyVersions.useToSign, and neither .get, .list nor
	// .viewPublicKey (see rolePermissions in kms.go).
	Signers []string
	// SignerVerifiers are the principals with
	// roles/cloudkms.signerVerifier on the key: .useToSign, .useToVerify
	// and .viewPublicKey.
	SignerVerifiers []string
	// Viewers are the principals with roles/cloudkms.viewer on the key:
	// cloudkms.cryptoKeyVersions.get and .list.
	Viewers []string
	// PublicKeyViewers are the principals with
	// roles/cloudkms.publicKeyViewer on the key: .viewPublicKey.
	PublicKeyViewers []string
	// Providers are the workload identity providers.
	Providers []Provider
	// ServiceAccounts are the service accounts that may be impersonated.
	ServiceAccounts []ServiceAccount
}

// Version is a key version besides the one that holds the app's key.
type Version struct {
	ID        string // its number: "2"
	Algorithm string // such as RSA_SIGN_PKCS1_2048_SHA256 or RSA_SIGN_PSS_2048_SHA256
	State     string // ENABLED, DISABLED, DESTROYED…; "": ENABLED
}

// Provider is an OIDC workload identity pool provider for GitHub Actions.
type Provider struct {
	// Name is projects/N/locations/global/workloadIdentityPools/P/providers/X.
	Name string
	// AllowedAudiences are the audiences accepted; empty: the provider's
	// full name with or without https: (its documented default).
	AllowedAudiences []string
	// Subject is the attribute condition, as a pattern the token's sub
	// must match (oidctest.MatchSubject); "" admits every token.
	Subject string
}

// ServiceAccount is a service account and who may impersonate it.
type ServiceAccount struct {
	Email string
	// Users are the principals with roles/iam.workloadIdentityUser on it
	// (patterns, * allowed).
	Users []string
}

// Request is one request the emulator answered.
type Request struct {
	API    string // "sts", "iamcredentials" or "cloudkms"
	Method string
	Path   string // within the API, such as /v1/token
	Status int
}

// Server is the emulator. Its methods are safe for concurrent use.
type Server struct {
	tb  testing.TB
	ts  *httptest.Server
	cfg Config

	mu       sync.Mutex
	tokens   map[string]grant // access token → what it grants
	requests []Request
	secrets  []string
	failN    int
	failCode int
}

// grant is what an access token stands for.
type grant struct {
	principal string
	scopes    []string
	expires   time.Time
}

// Start starts the emulator on loopback; tb's cleanup stops it.
func Start(tb testing.TB, cfg Config) *Server {
	tb.Helper()
	if cfg.Key == nil {
		tb.Fatal("gcpkmstest.Start: Config.Key is nil")
	}
	if cfg.KeyName == "" {
		cfg.KeyName = DefaultKey
	}
	if cfg.Algorithm == "" {
		cfg.Algorithm = "RSA_SIGN_PKCS1_" + strconv.Itoa(cfg.Key.N.BitLen()) + "_SHA256"
	}
	s := &Server{tb: tb, cfg: cfg, tokens: map[string]grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/sts/", s.serveSTS)
	mux.HandleFunc("/iamcredentials/", s.serveIAMCredentials)
	mux.HandleFunc("/cloudkms/", s.serveKMS)
	s.ts = httptest.NewServer(s.record(mux))
	tb.Cleanup(s.ts.Close)
	return s
}

// URL returns the server's root URL.
func (s *Server) URL() string { return s.ts.URL }

// Env returns the endpoint overrides that point gcloud and package gcpkms
// at the emulator, in gcloud's form (a root URL with a trailing slash).
func (s *Server) Env() map[string]string {
	return map[string]string{
		"CLOUDSDK_API_ENDPOINT_OVERRIDES_STS":            s.ts.URL + "/sts/",
		"CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS": s.ts.URL + "/iamcredentials/",
		"CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS":       s.ts.URL + "/cloudkms/",
	}
}

// KeyName returns the key version's resource name.
func (s *Server) KeyName() string { return s.cfg.KeyName }

// IssueToken returns a new access token for principal with the
// cloud-platform scope, as google-github-actions/auth would output it.
func (s *Server) IssueToken(principal string) string {
	return s.issue("ya29.a0-ambient-", principal, []string{cloudPlatform}, time.Hour)
}

// Requests returns the requests answered so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Refused returns the requests refused so far for want of a credential
// or a permission (401 UNAUTHENTICATED, 403 PERMISSION_DENIED): each is a
// denial in the project's audit logs.
func (s *Server) Refused() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.requests {
		if r.Status == http.StatusUnauthorized || r.Status == http.StatusForbidden {
			out = append(out, r)
		}
	}
	return out
}

// Secrets returns every access token issued so far, for leak checks.
func (s *Server) Secrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.secrets...)
}

// Fail makes the next n requests, to any of the APIs, answer status (503
// or 429) with Google's error body for it.
func (s *Server) Fail(n, status int) {
	s.mu.Lock()
	s.failN, s.failCode = n, status
	s.mu.Unlock()
}

func (s *Server) issue(prefix, principal string, scopes []string, life time.Duration) string {
	tok := prefix + rand.Text()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[tok] = grant{principal: principal, scopes: scopes, expires: time.Now().Add(life)}
	s.secrets = append(s.secrets, tok)
	return tok
}

// bearer returns the grant of the request's bearer token.
func (s *Server) bearer(r *http.Request) (grant, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return grant{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.tokens[strings.TrimSpace(tok)]
	if !ok || time.Now().After(g.expires) {
		return grant{}, false
	}
	return g, true
}

// statusWriter remembers the status answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// record answers injected faults and records every request.
func (s *Server) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		api, path, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		s.mu.Lock()
		fail := s.failN > 0
		if fail {
			s.failN--
		}
		code := s.failCode
		s.mu.Unlock()
		if fail {
			if code == http.StatusTooManyRequests {
				// Google's status for quota errors (google.rpc.Code RESOURCE_EXHAUSTED).
				googleError(sw, code, "Quota exceeded for quota metric 'Cryptographic requests' of service 'cloudkms.googleapis.com'.", "RESOURCE_EXHAUSTED")
			} else {
				googleError(sw, http.StatusServiceUnavailable, "The service is currently unavailable.", "UNAVAILABLE")
			}
		} else {
			next.ServeHTTP(sw, r)
		}
		s.mu.Lock()
		s.requests = append(s.requests, Request{API: api, Method: r.Method, Path: "/" + path, Status: sw.status})
		s.mu.Unlock()
	})
}

// googleError answers Google's API error body
// (cloud.google.com/apis/design/errors#http_mapping):
// {"error":{"code":N,"message":"…","status":"CODE"}}.
func googleError(w http.ResponseWriter, code int, message, status string) {
	writeJSON(w, code, map[string]any{"error": map[string]any{"code": code, "message": message, "status": status}})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// match reports whether principal matches one of patterns.
func match(patterns []string, principal string) bool {
	for _, p := range patterns {
		if oidctest.MatchSubject(p, principal) {
			return true
		}
	}
	return false
}

// ExternalAccountFile returns the credentials file that
// google-github-actions/auth writes by default (create_credentials_file:
// true) for provider, impersonating serviceAccount unless it is "", in a
// job whose OIDC variables are oidcEnv (ACTIONS_ID_TOKEN_REQUEST_URL and
// _TOKEN). Its fields are those of auth's createCredentialsFile
// (src/client/workload_identity_federation.ts): type external_account,
// audience //iam.googleapis.com/PROVIDER, subject_token_type jwt,
// token_url STS/token, a url credential_source (the request URL with
// audience=https://iam.googleapis.com/PROVIDER, auth's default OIDC
// audience, the request token as a bearer header, json format with the
// token in "value") and service_account_impersonation_url. Its endpoints
// are the emulator's instead of googleapis.com's.
func (s *Server) ExternalAccountFile(provider, serviceAccount string, oidcEnv map[string]string) []byte {
	u, err := url.Parse(oidcEnv["ACTIONS_ID_TOKEN_REQUEST_URL"])
	if err != nil {
		s.tb.Fatalf("gcpkmstest.ExternalAccountFile: %v", err)
	}
	q := u.Query()
	q.Set("audience", "https://iam.googleapis.com/"+provider)
	u.RawQuery = q.Encode()
	f := map[string]any{
		"type":               "external_account",
		"audience":           "//iam.googleapis.com/" + provider,
		"subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
		"token_url":          s.ts.URL + "/sts/v1/token",
		"credential_source": map[string]any{
			"url":     u.String(),
			"headers": map[string]string{"Authorization": "Bearer " + oidcEnv["ACTIONS_ID_TOKEN_REQUEST_TOKEN"]},
			"format":  map[string]string{"type": "json", "subject_token_field_name": "value"},
		},
	}
	if serviceAccount != "" {
		f["service_account_impersonation_url"] = s.ts.URL + "/iamcredentials/v1/projects/-/serviceAccounts/" + serviceAccount + ":generateAccessToken"
	}
	b, err := json.Marshal(f)
	if err != nil {
		s.tb.Fatalf("gcpkmstest.ExternalAccountFile: %v", err)
	}
	return b
}
