// Package hashivaulttest emulates the parts of HashiCorp Vault that the
// hashivault signer uses: the jwt auth method's login (roles with bound
// audiences, subject and glob claims, trusting the oidctest issuer), the
// token's policies (ACL on paths), the Transit engine's sign endpoint, and
// Enterprise namespaces. It answers with Vault's own JSON bodies.
//
// Sources: Vault API docs (JWT/OIDC auth method "JWT login", Transit "Sign
// data", "Lookup a token (self)"), hashicorp/vault-plugin-auth-jwt
// path_login.go and claims.go, hashicorp/cap jwt/jwt.go,
// hashicorp/vault builtin/logical/transit/path_sign_verify.go.
package hashivaulttest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/ghapptoken/app-token-action/internal/oidc/oidctest"
)

// Config is the Vault the server plays. The zero value, with Key set, is
// a root namespace with the jwt auth method at "jwt", a Transit mount at
// "transit" holding the rsa-2048 key "github-app" (Key), no roles and no
// policies.
type Config struct {
	Key *rsa.PrivateKey // the app's key, held by every rsa-2048 Transit key
	// Keys maps Transit key names to types: "rsa-2048" signs with Key,
	// "ecdsa-p256" with a fresh P-256 key, "aes256-gcm96" cannot sign.
	// nil: {"github-app": "rsa-2048"}.
	Keys      map[string]string
	Mount     string // the Transit mount; "": "transit"
	AuthPath  string // the jwt auth method's mount; "": "jwt"
	Namespace string // "": root; else everything lives in this namespace only
	Roles     map[string]Role
	// Policies maps policy names to the paths on which they grant update,
	// with Vault's glob: a final * matches any suffix, + one segment.
	Policies map[string][]string
}

// Role is a jwt auth role (role_type jwt).
type Role struct {
	BoundAudiences []string
	BoundSubject   string
	BoundClaims    map[string]string // bound_claims_type glob
	TokenPolicies  []string
}

// Request is one request the server answered.
type Request struct {
	Method, Path string
	Namespace    string // the X-Vault-Namespace header
	Status       int
}

type token struct {
	namespace string
	policies  []string
}

// Server is an emulated Vault.
type Server struct {
	tb  testing.TB
	ts  *httptest.Server
	cfg Config
	ec  *ecdsa.PrivateKey

	mu       sync.Mutex
	tokens   map[string]token
	secrets  []string
	requests []Request
	failN    int
	failCode int
}

// Start starts the server on loopback; tb's cleanup stops it.
func Start(tb testing.TB, cfg Config) *Server {
	tb.Helper()
	if cfg.Key == nil {
		tb.Fatal("hashivaulttest: Config.Key is nil")
	}
	if cfg.Keys == nil {
		cfg.Keys = map[string]string{"github-app": "rsa-2048"}
	}
	if cfg.Mount == "" {
		cfg.Mount = "transit"
	}
	if cfg.AuthPath == "" {
		cfg.AuthPath = "jwt"
	}
	cfg.Namespace = strings.Trim(cfg.Namespace, "/")
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	s := &Server{tb: tb, cfg: cfg, ec: ec, tokens: map[string]token{}}
	s.ts = httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.ts.Close)
	return s
}

// URL returns Vault's address.
func (s *Server) URL() string { return s.ts.URL }

// Env returns VAULT_ADDR, and VAULT_NAMESPACE when the server plays a
// namespace.
func (s *Server) Env() map[string]string {
	env := map[string]string{"VAULT_ADDR": s.ts.URL}
	if s.cfg.Namespace != "" {
		env["VAULT_NAMESPACE"] = s.cfg.Namespace
	}
	return env
}

// Token issues a token with policies in the server's namespace, as
// hashicorp/vault-action would leave in VAULT_TOKEN.
func (s *Server) Token(policies ...string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issue(policies)
}

// issue makes a service token; s.mu is held.
func (s *Server) issue(policies []string) string {
	// Vault 1.10+ service tokens start with hvs. (Vault docs, "Tokens":
	// token prefixes).
	t := "hvs." + strings.ReplaceAll(rand.Text(), "=", "")
	s.tokens[t] = token{namespace: s.cfg.Namespace, policies: policies}
	s.secrets = append(s.secrets, t)
	return t
}

// Secrets returns every token issued, for leak checks.
func (s *Server) Secrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.secrets...)
}

// Requests returns the requests answered so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Fail makes the next n requests answer status (503 or 429 are what Vault
// answers when sealed or over a rate limit quota).
func (s *Server) Fail(n, status int) {
	s.mu.Lock()
	s.failN, s.failCode = n, status
	s.mu.Unlock()
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	s.route(rec, r)
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Namespace: r.Header.Get("X-Vault-Namespace"), Status: rec.status})
}

type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// reply writes a literal JSON answer.
func reply(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintln(w, body)
}

// replyErrors writes Vault's error body, {"errors":[…]}.
func replyErrors(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(map[string][]string{"errors": {msg}})
	reply(w, status, string(b))
}

// Vault's refusals, in its words.
const (
	// A missing or unknown token, and a login at a path where no auth
	// method is mounted (hashicorp/vault#13162: {"errors":["permission
	// denied"]}, 403).
	deniedBare = "permission denied"
	// An ACL refusal wraps the error in a multierror (hashicorp/vault#10701,
	// hashicorp/vault-action#412: "Code: 403. Errors: * 1 error occurred:
	// * permission denied").
	deniedACL = "1 error occurred:\n\t* permission denied\n\n"
)

func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	if s.failN > 0 {
		s.failN--
		switch s.failCode {
		case http.StatusTooManyRequests:
			// Assumed: the text of a rate limit quota's refusal.
			replyErrors(w, s.failCode, fmt.Sprintf("request path %q: rate limit quota exceeded", strings.TrimPrefix(r.URL.Path, "/v1/")))
		default:
			// Vault's answer while sealed (Vault API docs, "HTTP status codes": 503).
			replyErrors(w, s.failCode, "Vault is sealed")
		}
		return
	}
	path, ok := strings.CutPrefix(r.URL.Path, "/v1/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	// Vault Enterprise: X-Vault-Namespace selects the namespace (Vault docs,
	// "Namespaces"); a path may also begin with it. Mounts here exist in
	// cfg.Namespace only.
	ns := strings.Trim(r.Header.Get("X-Vault-Namespace"), "/")
	if ns != s.cfg.Namespace {
		if s.cfg.Namespace != "" && strings.HasPrefix(path, s.cfg.Namespace+"/") && ns == "" {
			ns, path = s.cfg.Namespace, strings.TrimPrefix(path, s.cfg.Namespace+"/")
		}
	}
	inNS := ns == s.cfg.Namespace
	switch {
	case path == "auth/"+s.cfg.AuthPath+"/login" && inNS:
		s.login(w, r)
	case strings.HasSuffix(path, "/login") && strings.HasPrefix(path, "auth/"):
		replyErrors(w, http.StatusForbidden, deniedBare)
	case path == "auth/token/lookup-self":
		s.lookupSelf(w, r, ns)
	default:
		s.authorized(w, r, ns, path)
	}
}

// authorized checks the token and the ACL (update on path, as Transit's
// sign needs: Vault docs, Transit, "policy: update on transit/sign/KEY"),
// then serves path.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request, ns, path string) {
	tok, ok := s.tokens[r.Header.Get("X-Vault-Token")]
	// Assumed: a token used in another namespace than its own is unknown
	// there.
	if !ok || tok.namespace != ns {
		replyErrors(w, http.StatusForbidden, deniedBare)
		return
	}
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		replyErrors(w, http.StatusMethodNotAllowed, "unsupported operation")
		return
	}
	if !s.allowed(tok, path) {
		replyErrors(w, http.StatusForbidden, deniedACL)
		return
	}
	if ns != s.cfg.Namespace {
		replyErrors(w, http.StatusNotFound, fmt.Sprintf("no handler for route %q. route entry not found.", path))
		return
	}
	rest, ok := strings.CutPrefix(path, s.cfg.Mount+"/sign/")
	if !ok {
		// The router's answer for an unmounted path (hashicorp/vault#1436,
		// wording of Vault 1.x).
		replyErrors(w, http.StatusNotFound, fmt.Sprintf("no handler for route %q. route entry not found.", path))
		return
	}
	name, urlAlg, _ := strings.Cut(rest, "/")
	s.sign(w, r, name, urlAlg)
}

// allowed reports whether one of tok's policies grants update on path.
func (s *Server) allowed(tok token, path string) bool {
	for _, p := range tok.policies {
		for _, rule := range s.cfg.Policies[p] {
			if matchPolicyPath(rule, path) {
				return true
			}
		}
	}
	return false
}

// matchPolicyPath matches Vault's policy path syntax (Vault docs,
// "Policies": a * at the end is a prefix match, + matches one segment).
func matchPolicyPath(rule, path string) bool {
	prefix, glob := strings.CutSuffix(rule, "*")
	rs, ps := strings.Split(prefix, "/"), strings.Split(path, "/")
	if !glob && len(rs) != len(ps) || len(rs) > len(ps) {
		return false
	}
	for i, seg := range rs {
		last := i == len(rs)-1
		switch {
		case seg == "+":
		case last && glob:
			if !strings.HasPrefix(ps[i], seg) {
				return false
			}
		case seg != ps[i]:
			return false
		}
	}
	return true
}

// login serves POST auth/{path}/login for role_type jwt.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Role string `json:"role"`
		JWT  string `json:"jwt"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		replyErrors(w, http.StatusBadRequest, "failed to parse JSON input: "+err.Error())
		return
	}
	// The texts below are path_login.go's logical.ErrorResponse, which Vault
	// answers with 400.
	if in.Role == "" {
		replyErrors(w, http.StatusBadRequest, "missing role")
		return
	}
	role, ok := s.cfg.Roles[in.Role]
	if !ok {
		replyErrors(w, http.StatusBadRequest, fmt.Sprintf("role %q could not be found", in.Role))
		return
	}
	if in.JWT == "" {
		replyErrors(w, http.StatusBadRequest, "missing token")
		return
	}
	if len(role.BoundAudiences) == 0 {
		// GitHub's tokens always hold an aud.
		replyErrors(w, http.StatusBadRequest, "audience claim found in JWT but no audiences bound to the role")
		return
	}
	// cap's jwt.Validate checks the signature, iss, sub, then aud.
	var claims map[string]any
	audOK := false
	for _, aud := range role.BoundAudiences {
		c, err := oidctest.Verify(in.JWT, aud)
		if err == nil {
			claims, audOK = c, true
			break
		}
		if strings.HasPrefix(err.Error(), "audience is not") {
			claims, _ = unverifiedClaims(in.JWT)
		}
	}
	if claims == nil {
		// Assumed: the text for a token not signed by a trusted key.
		replyErrors(w, http.StatusBadRequest, "error validating token: failed to verify id token signature")
		return
	}
	sub, _ := claims["sub"].(string)
	if role.BoundSubject != "" && role.BoundSubject != sub {
		replyErrors(w, http.StatusBadRequest, "error validating token: invalid subject (sub) claim")
		return
	}
	if !audOK {
		replyErrors(w, http.StatusBadRequest, "error validating token: invalid audience (aud) claim: audience claim does not match any expected audience")
		return
	}
	// claims.go validateBoundClaims, glob type.
	for name, pattern := range role.BoundClaims {
		v, ok := claims[name]
		if !ok {
			replyErrors(w, http.StatusBadRequest, fmt.Sprintf("error validating claims: claim %q is missing", name))
			return
		}
		str, _ := v.(string)
		if !oidctest.MatchSubject(pattern, str) {
			replyErrors(w, http.StatusBadRequest, fmt.Sprintf("error validating claims: claim %q does not match any associated bound claim values", name))
			return
		}
	}
	// Vault adds the default policy to every token (Vault docs, "Policies":
	// default policy).
	policies := append([]string{"default"}, role.TokenPolicies...)
	t := s.issue(policies)
	pj, _ := json.Marshal(policies)
	tpj, _ := json.Marshal(role.TokenPolicies)
	// The answer of the JWT login (Vault API docs, JWT/OIDC, "JWT login",
	// sample response).
	reply(w, http.StatusOK, fmt.Sprintf(`{"request_id":"%s","lease_id":"","renewable":false,"lease_duration":0,"data":null,"wrap_info":null,"warnings":null,`+
		`"auth":{"client_token":"%s","accessor":"%s","policies":%s,"token_policies":%s,"metadata":{"role":%q},"lease_duration":3600,"renewable":true,"entity_id":"%s","token_type":"service","orphan":true}}`,
		id(), t, id(), pj, tpj, in.Role, id()))
}

// lookupSelf serves GET auth/token/lookup-self (Vault API docs, Token,
// "Lookup a token (self)").
func (s *Server) lookupSelf(w http.ResponseWriter, r *http.Request, ns string) {
	tok, ok := s.tokens[r.Header.Get("X-Vault-Token")]
	if !ok || tok.namespace != ns {
		replyErrors(w, http.StatusForbidden, deniedBare)
		return
	}
	pj, _ := json.Marshal(tok.policies)
	reply(w, http.StatusOK, fmt.Sprintf(`{"request_id":"%s","data":{"policies":%s,"namespace_path":%q,"ttl":3600,"type":"service"}}`, id(), pj, nsPath(tok.namespace)))
}

func nsPath(ns string) string {
	if ns == "" {
		return ""
	}
	return ns + "/"
}

// sign serves POST {mount}/sign/{name}[/{hash}] as path_sign_verify.go's
// pathSignWrite does.
func (s *Server) sign(w http.ResponseWriter, r *http.Request, name, urlAlg string) {
	var in struct {
		Input              string `json:"input"`
		Prehashed          bool   `json:"prehashed"`
		HashAlgorithm      string `json:"hash_algorithm"`
		SignatureAlgorithm string `json:"signature_algorithm"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		replyErrors(w, http.StatusBadRequest, "failed to parse JSON input: "+err.Error())
		return
	}
	alg := urlAlg
	if alg == "" {
		alg = in.HashAlgorithm
	}
	if alg == "" {
		alg = "sha2-256" // the field's default
	}
	if alg != "sha2-256" {
		// Assumed (emulator scope): Vault knows more hashes; only sha2-256 is played.
		replyErrors(w, http.StatusBadRequest, fmt.Sprintf("invalid hash algorithm %q", alg))
		return
	}
	typ, ok := s.cfg.Keys[name]
	if !ok {
		replyErrors(w, http.StatusBadRequest, "encryption key not found")
		return
	}
	if typ != "rsa-2048" && typ != "ecdsa-p256" {
		replyErrors(w, http.StatusBadRequest, fmt.Sprintf("key type %s does not support signing", typ))
		return
	}
	input, err := base64.StdEncoding.DecodeString(in.Input)
	if err != nil {
		replyErrors(w, http.StatusBadRequest, fmt.Sprintf("unable to decode input as base64: %s", err))
		return
	}
	if !in.Prehashed {
		d := sha256.Sum256(input)
		input = d[:]
	}
	var sig []byte
	switch typ {
	case "rsa-2048":
		switch in.SignatureAlgorithm {
		case "pkcs1v15":
			sig, err = rsa.SignPKCS1v15(rand.Reader, s.cfg.Key, crypto.SHA256, input)
		case "", "pss": // Transit's default for RSA keys is pss
			sig, err = rsa.SignPSS(rand.Reader, s.cfg.Key, crypto.SHA256, input, nil)
		default:
			replyErrors(w, http.StatusBadRequest, fmt.Sprintf("unsupported rsa signature algorithm %s", in.SignatureAlgorithm))
			return
		}
	case "ecdsa-p256":
		// signature_algorithm is ignored for ECDSA keys; the answer is ASN.1.
		sig, err = ecdsa.SignASN1(rand.Reader, s.ec, input)
	}
	if err != nil {
		s.tb.Errorf("hashivaulttest: sign: %v", err)
		replyErrors(w, http.StatusInternalServerError, "internal error")
		return
	}
	// Transit prefixes signatures with vault:v{key version}: (Vault API
	// docs, Transit, "Sign data", sample response); recent versions add
	// key_version to data.
	reply(w, http.StatusOK, fmt.Sprintf(`{"request_id":"%s","lease_id":"","renewable":false,"lease_duration":0,"data":{"key_version":1,"signature":"vault:v1:%s"},"wrap_info":null,"warnings":null,"auth":null}`,
		id(), base64.StdEncoding.EncodeToString(sig)))
}

// id returns a request or accessor id.
func id() string {
	b := make([]byte, 16)
	rand.Read(b)
	h := fmt.Sprintf("%x", b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// unverifiedClaims reads token's claims; call it only for a token whose
// signature was verified.
func unverifiedClaims(token string) (map[string]any, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, err
	}
	var c map[string]any
	return c, json.Unmarshal(payload, &c)
}
