// Package azurekmstest emulates, for tests, the two Azure services that
// package azurekms talks to, on one TLS server on loopback: Microsoft
// Entra ID's token endpoint (the client credentials grant with a federated
// credential, whose assertion is a GitHub Actions OIDC token checked with
// [oidctest.Verify]) and Key Vault's keys/sign operation (bearer tokens of
// the right audience, a principal allowed to sign, keys of type RSA or EC
// with versions and permitted operations).
//
// Each rule beside its handler names its source; rules marked Assumed are
// not confirmed by Microsoft's documentation or a real answer.
package azurekmstest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// DefaultTenant is the tenant of a [Config] that names none.
const DefaultTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"

// DefaultKeyName is the name of the app's key in a [Config] that names
// none.
const DefaultKeyName = "app-key"

// Config sets up the emulated tenant and vault.
type Config struct {
	TenantID string          // "": DefaultTenant
	Key      *rsa.PrivateKey // the app's key, the first version of KeyName
	KeyName  string          // "": DefaultKeyName
	// RBAC is the vault's permission model: true for Azure RBAC, false for
	// access policies. It decides the words of a refusal.
	RBAC bool
	Apps []App
}

// App is an app registration (or user-assigned managed identity).
type App struct {
	ClientID    string
	Credentials []FederatedCredential
	// Sign lists the keys the app may sign with, "*" for all: a role
	// assignment of Key Vault Crypto User, or an access policy with the
	// key permission sign.
	Sign []string
}

// FederatedCredential is a trust rule of an app ("Workload identity
// federation": issuer, subject, audiences).
type FederatedCredential struct {
	Issuer   string // "": oidctest.Issuer
	Subject  string // exact, or with * as flexible federated credentials allow
	Audience string // "": api://AzureADTokenExchange
}

// Request is one request the server answered.
type Request struct {
	Method string
	Path   string // without the query
	Status int
}

// Server is the emulated tenant and vault.
type Server struct {
	ts     *httptest.Server
	tenant string

	mu       sync.Mutex
	rbac     bool
	apps     map[string]*app
	keys     map[string][]*keyVersion // by lower-case name; the last is current
	tokens   map[string]*accessToken
	requests []Request
	failN    int
	failCode int
}

type app struct {
	App
	objectID string
}

type keyVersion struct {
	name    string
	version string
	key     crypto.Signer
	ops     []string
}

type accessToken struct {
	clientID string
	objectID string
	audience string // the resource: https://vault.azure.net
	tenant   string
	expired  bool
}

// Start starts the server for cfg on loopback; tb's cleanup stops it.
func Start(tb testing.TB, cfg Config) *Server {
	tb.Helper()
	s := &Server{
		tenant: cfg.TenantID,
		rbac:   cfg.RBAC,
		apps:   map[string]*app{},
		keys:   map[string][]*keyVersion{},
		tokens: map[string]*accessToken{},
	}
	if s.tenant == "" {
		s.tenant = DefaultTenant
	}
	for _, a := range cfg.Apps {
		s.apps[strings.ToLower(a.ClientID)] = &app{App: a, objectID: guid("oid/" + a.ClientID)}
	}
	if cfg.Key != nil {
		name := cfg.KeyName
		if name == "" {
			name = DefaultKeyName
		}
		s.addKey(name, cfg.Key, nil)
	}
	s.ts = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.ts.Close)
	return s
}

// URL returns the server's base URL, https://127.0.0.1:PORT, where both
// Entra ID (the authority) and the vault answer.
func (s *Server) URL() string { return s.ts.URL }

// Vault returns the vault's host, 127.0.0.1:PORT.
func (s *Server) Vault() string { return strings.TrimPrefix(s.ts.URL, "https://") }

// Tenant returns the tenant ID.
func (s *Server) Tenant() string { return s.tenant }

// KeyURI returns azurekms://VAULT/NAME, or azurekms://VAULT/NAME/VERSION.
func (s *Server) KeyURI(name, version string) string {
	u := "azurekms://" + s.Vault() + "/" + name
	if version != "" {
		u += "/" + version
	}
	return u
}

// Env returns the variable that points the Azure SDKs (and azurekms) at
// this Entra ID: AZURE_AUTHORITY_HOST.
func (s *Server) Env() map[string]string {
	return map[string]string{"AZURE_AUTHORITY_HOST": s.ts.URL}
}

// CertPEM returns the server's certificate in PEM, as the action's
// ca-certificates input takes it.
func (s *Server) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.ts.Certificate().Raw})
}

// Client returns an HTTP client that trusts the server's certificate.
func (s *Server) Client() *http.Client { return s.ts.Client() }

// AddKey adds a version of key name (creating the key) and makes it the
// current one; it returns the version. k is an *rsa.PrivateKey or an
// *ecdsa.PrivateKey (kty RSA or EC). ops are the key's permitted
// operations; none means all that its type allows.
func (s *Server) AddKey(name string, k crypto.Signer, ops ...string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addKey(name, k, ops)
}

func (s *Server) addKey(name string, k crypto.Signer, ops []string) string {
	if ops == nil {
		ops = []string{"sign", "verify", "wrapKey", "unwrapKey", "encrypt", "decrypt"}
		if _, ok := k.(*ecdsa.PrivateKey); ok {
			ops = []string{"sign", "verify"}
		}
	}
	lower := strings.ToLower(name)
	// Versions are 32 hex digits; these are derived from the name and
	// position, so that request logs are stable.
	sum := sha256.Sum256(fmt.Appendf(nil, "%s/%d", lower, len(s.keys[lower])))
	v := &keyVersion{name: name, version: hex.EncodeToString(sum[:16]), key: k, ops: ops}
	s.keys[lower] = append(s.keys[lower], v)
	return v.version
}

// Version returns the current version of key name, "" if there is none.
func (s *Server) Version(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	vs := s.keys[strings.ToLower(name)]
	if len(vs) == 0 {
		return ""
	}
	return vs[len(vs)-1].version
}

// Grant lets app clientID sign with key name ("*": all).
func (s *Server) Grant(clientID, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.apps[strings.ToLower(clientID)]; a != nil {
		a.Sign = append(a.Sign, name)
	}
}

// IssueToken returns an access token of app clientID for resource (as
// "https://vault.azure.net"), as `az account get-access-token --resource`
// gives one to a signed-in identity.
func (s *Server) IssueToken(clientID, resource string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	objectID := guid("oid/" + clientID)
	if a := s.apps[strings.ToLower(clientID)]; a != nil {
		objectID = a.objectID
	}
	return s.issue(clientID, objectID, resource)
}

func (s *Server) issue(clientID, objectID, resource string) string {
	tok := "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.azurekmstest." + rand.Text()
	s.tokens[tok] = &accessToken{clientID: clientID, objectID: objectID, audience: resource, tenant: s.tenant}
	return tok
}

// ExpireTokens makes every access token issued so far expired.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tokens {
		t.expired = true
	}
}

// Fail makes the next n requests answer status: 503 (ServiceUnavailable)
// or 429 (Throttled).
func (s *Server) Fail(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failN, s.failCode = n, status
}

// Requests returns the requests answered so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Secrets returns every access token issued, for leak checks.
func (s *Server) Secrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for t := range s.tokens {
		out = append(out, t)
	}
	return out
}

// serve records each request and routes it: Entra ID at
// /{tenant}/oauth2/v2.0/token, Key Vault at /keys/....
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	defer func() { s.requests = append(s.requests, Request{r.Method, r.URL.Path, rec.status}) }()
	if s.failN > 0 {
		s.failN--
		s.fault(rec, r)
		return
	}
	switch {
	case strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token"):
		s.token(rec, r)
	case strings.HasPrefix(r.URL.Path, "/keys/"):
		s.sign(rec, r)
	default:
		http.NotFound(rec, r)
	}
}

// fault answers a transient failure in the words of the service asked.
// Key Vault: the codes Throttled (429, with Retry-After) and
// ServiceUnavailable ("Azure Key Vault throttling guidance"). Entra ID:
// temporarily_unavailable (RFC 6749's error code for an overloaded
// authorization server). Assumed: the message texts and the AADSTS code.
func (s *Server) fault(w http.ResponseWriter, r *http.Request) {
	if s.failCode == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	if strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token") {
		entraError(w, s.failCode, "temporarily_unavailable", 50196, "The server is temporarily unable to handle the request. Please try again later.")
		return
	}
	if s.failCode == http.StatusTooManyRequests {
		writeJSON(w, http.StatusTooManyRequests, `{"error":{"code":"Throttled","message":"Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached"}}`)
		return
	}
	writeJSON(w, s.failCode, `{"error":{"code":"ServiceUnavailable","message":"The service is temporarily unavailable. Please retry."}}`)
}

type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprint(w, body)
}

// guid derives a stable GUID-shaped ID from seed.
func guid(seed string) string {
	sum := sha256.Sum256([]byte(seed))
	h := hex.EncodeToString(sum[:16])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// now is the emulator's clock, for Entra ID's timestamps.
func now() time.Time { return time.Now().UTC() }
