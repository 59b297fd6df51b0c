// Package hashivault signs the app's JWT with a key in HashiCorp Vault's
// Transit secrets engine: the app's private key, imported into Transit as
// an rsa-2048 key, signs a SHA-256 digest and never leaves Vault.
//
// The Signer logs in to Vault with the job's GitHub OIDC token (the jwt
// auth method, when a role is given), or else uses the token that
// hashicorp/vault-action exported as VAULT_TOKEN (exportToken: true).
package hashivault

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ghapptoken/app-token-action/internal/hint"
	"github.com/ghapptoken/app-token-action/internal/kms/kmshttp"
	"github.com/ghapptoken/app-token-action/internal/oidc"
)

// Defaults, as Vault and hashicorp/vault-action name them.
const (
	DefaultMount    = "transit" // where `vault secrets enable transit` mounts
	DefaultAuthPath = "jwt"     // where `vault auth enable jwt` mounts
	name            = "Vault"   // the provider's name in messages
)

// Options configure a [Signer]. Mount and Key are required (see
// [ParseURI]); the rest have defaults.
type Options struct {
	Mount string // the Transit mount's path, without slashes around it: "transit"
	Key   string // the Transit key's name: "github-app"
	// Address is Vault's URL ("https://vault.example.com:8200"); "": the
	// VAULT_ADDR variable.
	Address string
	// Role is the jwt auth role to log in as with the job's OIDC token;
	// "": no login, VAULT_TOKEN is used.
	Role string
	// AuthPath is the jwt auth method's mount path; "": "jwt".
	AuthPath string
	// Audience is the aud of the OIDC token sent to Vault, which the
	// role's bound_audiences must hold; "": GitHub's default audience,
	// https://github.com/OWNER (OWNER from GITHUB_REPOSITORY_OWNER), the
	// one hashicorp/vault-action requests when jwtGithubAudience is unset
	// and its README tells to bind.
	Audience string
	// Namespace is the Vault Enterprise namespace; "": VAULT_NAMESPACE.
	Namespace string

	kmshttp.Env
}

// Signer signs digests with a Vault Transit key. It logs in on its first
// signature and keeps the token until shortly before its lease ends
// ([kmshttp.Cached]). It is safe for concurrent use.
type Signer struct {
	o      Options
	addr   string // without a final slash
	ns     string
	client kmshttp.Client
	token  *kmshttp.Cached[string] // the Vault token
}

// TransitPathEnv names the Transit mount for a URI that names only a key,
// as in cosign: sigstore's hashivault provider
// (pkg/signature/kms/hashivault/client.go) reads it when no mount option
// is given, and falls back to "transit".
const TransitPathEnv = "TRANSIT_SECRET_ENGINE_PATH"

// ParseURI splits a key URI, hashivault://KEY or hashivault://MOUNT/KEY,
// into the mount and the key. KEY alone, sigstore's form, is a key of the
// mount that getenv's TRANSIT_SECRET_ENGINE_PATH names, or of "transit";
// a mount in the URI wins over the variable. The last segment is the key,
// since a Transit key's name holds no slash, and the segments before it
// are the mount, which may hold slashes
// ("teams/platform/transit/github-app"). New checks the parts.
func ParseURI(uri string, getenv func(string) string) (mount, key string, err error) {
	rest, ok := strings.CutPrefix(uri, "hashivault://")
	if !ok {
		return "", "", hint.New(errors.New("signing-key: the key URI does not start with hashivault://"),
			"set {signing-key} to hashivault://KEY (a key of the mount transit, or of "+TransitPathEnv+") or hashivault://MOUNT/KEY")
	}
	rest = strings.Trim(rest, "/")
	if rest == "" {
		return "", "", hint.New(errors.New("signing-key: the Vault key URI names no key"),
			"set {signing-key} to hashivault://KEY (a key of the mount transit, or of "+TransitPathEnv+") or hashivault://MOUNT/KEY")
	}
	i := strings.LastIndexByte(rest, '/')
	if i >= 0 {
		return rest[:i], rest[i+1:], nil
	}
	mount = DefaultMount
	if getenv != nil {
		if m := strings.Trim(strings.TrimSpace(getenv(TransitPathEnv)), "/"); m != "" {
			mount = m
		}
	}
	return mount, rest, nil
}

// New returns a Signer for o. It checks o and Vault's address, and sends
// nothing.
func New(o Options) (*Signer, error) {
	o.Env = o.Env.WithDefaults()
	if o.AuthPath == "" {
		o.AuthPath = DefaultAuthPath
	}
	o.Mount, o.AuthPath = strings.Trim(o.Mount, "/"), strings.Trim(o.AuthPath, "/")
	if o.Mount == "" || o.Key == "" || strings.Contains(o.Key, "/") {
		return nil, hint.New(fmt.Errorf("signing-key: %q in mount %q is not a Vault Transit key name", o.Key, o.Mount),
			"set {signing-key} to hashivault://KEY (a key of the mount transit) or hashivault://MOUNT/KEY")
	}
	addr := o.Address
	if addr == "" {
		addr = o.Getenv("VAULT_ADDR")
	}
	if addr == "" {
		return nil, hint.New(errors.New("sign with Vault: no address: vault-address is empty and VAULT_ADDR is not set"),
			"set {vault-address} to Vault's URL (https://vault.example.com:8200), or VAULT_ADDR in the step's env")
	}
	u, err := url.Parse(addr)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
		return nil, hint.New(fmt.Errorf("sign with Vault: address %q is not an http(s) URL", addr),
			"set {vault-address} (or VAULT_ADDR) to Vault's URL, such as https://vault.example.com:8200")
	}
	ns := o.Namespace
	if ns == "" {
		ns = o.Getenv("VAULT_NAMESPACE")
	}
	s := &Signer{
		o:      o,
		addr:   strings.TrimRight(addr, "/"),
		ns:     strings.Trim(ns, "/"),
		client: o.Client(name),
	}
	s.token = kmshttp.NewCached(o.Now, s.login)
	return s, nil
}

// login returns a Vault token and the end of its lease, for
// [Signer.token]: with a role, a login's; else VAULT_TOKEN, whose lease
// is unknown.
func (s *Signer) login(ctx context.Context) (string, time.Time, error) {
	if s.o.Role != "" {
		return s.loginJWT(ctx)
	}
	token := s.o.Getenv("VAULT_TOKEN")
	if token == "" {
		return "", time.Time{}, hint.New(errors.New("sign with Vault: no credentials: vault-role is empty and VAULT_TOKEN is not set"),
			"set {vault-role} to a jwt auth role that trusts this repository (the job needs permissions: id-token: write), "+
				"or log in to Vault in an earlier step with hashicorp/vault-action and exportToken: true")
	}
	s.o.Mask(token)
	return token, time.Time{}, nil
}

// audience returns the aud to request: the configured one, or GitHub's
// default for the repository's owner.
func (s *Signer) audience() string {
	if s.o.Audience != "" {
		return s.o.Audience
	}
	owner := s.o.Getenv("GITHUB_REPOSITORY_OWNER")
	if owner == "" {
		owner, _, _ = strings.Cut(s.o.Getenv("GITHUB_REPOSITORY"), "/")
	}
	if owner == "" {
		return ""
	}
	return "https://github.com/" + owner
}

// loginJWT exchanges the job's OIDC token for a Vault token and the end
// of its lease: POST /v1/auth/{path}/login {"role", "jwt"} →
// {"auth":{"client_token","lease_duration"}} (Vault API docs, JWT/OIDC
// auth method, "JWT login"; lease_duration in seconds, 0 for a token
// that never expires).
func (s *Signer) loginJWT(ctx context.Context) (string, time.Time, error) {
	if s.o.OIDC == nil {
		return "", time.Time{}, hint.New(fmt.Errorf("sign with Vault: get the job's OIDC token: %w", oidc.ErrUnavailable),
			"give the job permissions: id-token: write, so that it can log in to Vault as {vault-role}; "+
				"or leave {vault-role} empty and log in in an earlier step with hashicorp/vault-action and exportToken: true")
	}
	aud := s.audience()
	jwt, err := s.o.OIDC(ctx, aud)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign with Vault: %w", err) // oidc's hint stays
	}
	s.o.Mask(jwt)
	body, err := json.Marshal(map[string]string{"role": s.o.Role, "jwt": jwt})
	if err != nil {
		return "", time.Time{}, err
	}
	path := "auth/" + s.o.AuthPath + "/login"
	resp, err := s.client.Do(ctx, "log in at "+path+" as role "+s.o.Role, s.request(http.MethodPost, path, "", body), parseErrors, jwt)
	if err != nil {
		return "", time.Time{}, s.loginHint(err, jwt)
	}
	var out struct {
		Auth *struct {
			ClientToken   string `json:"client_token"`
			LeaseDuration int64  `json:"lease_duration"`
		} `json:"auth"`
	}
	if err := json.Unmarshal(resp.Body, &out); err != nil || out.Auth == nil || out.Auth.ClientToken == "" {
		return "", time.Time{}, fmt.Errorf("log in to Vault at %s: the answer holds no auth.client_token", path)
	}
	s.o.Mask(out.Auth.ClientToken)
	var expires time.Time
	if out.Auth.LeaseDuration > 0 {
		expires = s.o.Now().Add(time.Duration(out.Auth.LeaseDuration) * time.Second)
	}
	return out.Auth.ClientToken, expires, nil
}

// loginHint gives a refused login its next step.
func (s *Signer) loginHint(err error, jwt string) error {
	e := kmshttp.Answered(err)
	if e == nil {
		return err // no answer, or a transient one: the core classifies those
	}
	who := oidc.Describe(jwt)
	msg := e.Message
	switch {
	case e.Status == http.StatusForbidden:
		return hint.New(err, "set {vault-auth-path} to the path of Vault's jwt auth method for GitHub (vault auth list; "+
			"its config needs oidc_discovery_url and bound_issuer https://token.actions.githubusercontent.com); "+
			"set VAULT_NAMESPACE if it lives in a namespace")
	case strings.Contains(msg, "could not be found") || strings.Contains(msg, "missing role"):
		return hint.New(err, "set {vault-role} to a role of the jwt auth method at auth/"+s.o.AuthPath+" (vault list auth/"+s.o.AuthPath+"/role)")
	case strings.Contains(msg, "aud") || strings.Contains(msg, "audience"):
		return hint.New(fmt.Errorf("%w (the job's token: %s)", err, who),
			"the role {vault-role} must accept this job's token: add its aud to the role's bound_audiences, or set {vault-audience} to one of them")
	case strings.Contains(msg, "sub") || strings.Contains(msg, "bound claim") || strings.Contains(msg, "claim"):
		return hint.New(fmt.Errorf("%w (the job's token: %s)", err, who),
			"the role {vault-role} must accept this repository: its bound_subject, or its bound_claims (bound_claims_type glob), must match the token's sub")
	case strings.Contains(msg, "error validating token"):
		return hint.New(fmt.Errorf("%w (the job's token: %s)", err, who),
			"the jwt auth method at {vault-auth-path} must trust GitHub's tokens: oidc_discovery_url and bound_issuer https://token.actions.githubusercontent.com")
	}
	return err
}

// SignDigest returns the RSASSA-PKCS1-v1_5 signature of digest, a SHA-256
// hash, made by the Transit key, with the token [Signer.token] holds (got
// on the first call). Its errors name the step that failed and carry a
// next step; they never hold a token.
//
// It asks Transit: POST /v1/{mount}/sign/{key} with hash_algorithm
// sha2-256, prehashed, signature_algorithm pkcs1v15 (Vault API docs,
// Transit, "Sign data"). The hash goes in the body rather than the URL
// (…/sign/{key}/sha2-256) so that a policy on the path {mount}/sign/{key}
// covers the request.
func (s *Signer) SignDigest(ctx context.Context, digest []byte) ([]byte, error) {
	token, err := s.token.Get(ctx)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(map[string]any{
		"input":               base64.StdEncoding.EncodeToString(digest),
		"prehashed":           true,
		"hash_algorithm":      "sha2-256",
		"signature_algorithm": "pkcs1v15", // Vault's default for RSA keys is pss
	})
	if err != nil {
		return nil, err
	}
	path := s.o.Mount + "/sign/" + s.o.Key
	resp, err := s.client.Do(ctx, "sign with "+path, s.request(http.MethodPost, path, token, body), parseErrors, token)
	if err != nil {
		return nil, s.signHint(err, path)
	}
	var out struct {
		Data struct {
			Signature string `json:"signature"`
		} `json:"data"`
	}
	if err := json.Unmarshal(resp.Body, &out); err != nil {
		return nil, fmt.Errorf("sign with Vault at %s: the answer is not JSON", path)
	}
	sig, err := decodeSignature(out.Data.Signature)
	if err != nil {
		return nil, fmt.Errorf("sign with Vault at %s: %w", path, err)
	}
	return sig, nil
}

// KeyHint says what Transit key makes RS256 signatures.
func (s *Signer) KeyHint() string {
	return "{signing-key} must name a Transit key of type rsa-2048 (or rsa-3072, rsa-4096) holding the app's private key: import it with BYOK (vault write " + s.o.Mount + "/keys/KEY/import type=rsa-2048 …)"
}

// signHint gives a refused signature its next step.
func (s *Signer) signHint(err error, path string) error {
	e := kmshttp.Answered(err)
	if e == nil {
		return err // no answer, or a transient one: the core classifies those
	}
	msg := e.Message
	switch {
	case e.Status == http.StatusForbidden:
		who := "the token from VAULT_TOKEN"
		if s.o.Role != "" {
			who = "the role {vault-role}'s token_policies"
		}
		return hint.New(err, fmt.Sprintf("give %s a policy with capabilities [\"update\"] on path %q; "+
			"a token that expired, or belongs to another namespace, is refused alike; set VAULT_NAMESPACE if the mount lives in a namespace", who, path))
	case strings.Contains(msg, "does not support signing"):
		return hint.New(err, "{signing-key} must name a Transit key that signs with RSA: import the app's private key as type rsa-2048 (Transit BYOK import: vault write "+s.o.Mount+"/keys/KEY/import type=rsa-2048 …)")
	case strings.Contains(msg, "key not found"):
		return hint.New(err, "{signing-key} names no key of the Transit mount "+s.o.Mount+": check the key's name and mount (hashivault://MOUNT/KEY), and VAULT_NAMESPACE")
	case e.Status == http.StatusNotFound:
		return hint.New(err, "{signing-key} names no Transit mount at "+s.o.Mount+" (vault secrets list): use hashivault://MOUNT/KEY or set "+TransitPathEnv+" to the mount, and set VAULT_NAMESPACE if the mount lives in a namespace")
	}
	return err
}

// request returns a builder of one Vault API request.
func (s *Signer) request(method, path, token string, body []byte) func(context.Context) (*http.Request, error) {
	return func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, method, s.addr+"/v1/"+path, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("X-Vault-Token", token)
		}
		if s.ns != "" {
			req.Header.Set("X-Vault-Namespace", s.ns)
		}
		return req, nil
	}
}

// parseErrors reads Vault's error body, {"errors":["…"]}, unwrapping the
// "1 error occurred:\n\t* permission denied\n\n" form of its multierrors.
func parseErrors(body []byte) (code, message string) {
	var out struct {
		Errors []string `json:"errors"`
	}
	if json.Unmarshal(body, &out) != nil {
		return "", ""
	}
	var msgs []string
	for _, e := range out.Errors {
		if strings.Contains(e, " occurred:") {
			for _, line := range strings.Split(e, "\n") {
				if line = strings.TrimSpace(line); strings.HasPrefix(line, "* ") {
					msgs = append(msgs, strings.TrimPrefix(line, "* "))
				}
			}
			continue
		}
		msgs = append(msgs, e)
	}
	return "", strings.Join(msgs, "; ")
}

// decodeSignature decodes Transit's "vault:v1:BASE64".
func decodeSignature(s string) ([]byte, error) {
	parts := strings.SplitN(s, ":", 3)
	if len(parts) != 3 || parts[0] != "vault" || !strings.HasPrefix(parts[1], "v") {
		return nil, errors.New(`the answer holds no signature of the form "vault:vN:…"`)
	}
	sig, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, errors.New("the signature is not base64")
	}
	return sig, nil
}
