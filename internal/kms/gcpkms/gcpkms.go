// Package gcpkms signs the app's JWT with an RSA key version in Google
// Cloud KMS (asymmetricSign over a SHA-256 digest). It authenticates in
// one of two ways:
//
//   - Workload Identity Federation: the job's OIDC token, for the audience
//     https://iam.googleapis.com/PROVIDER (google-github-actions/auth's
//     default), is exchanged at the Security Token Service for a federated
//     access token; with a service account, that token then buys the
//     account's access token from the IAM Credentials API
//     (generateAccessToken).
//   - An access token in the environment: Options.AccessToken, else
//     GOOGLE_OAUTH_ACCESS_TOKEN, as google-github-actions/auth outputs it
//     with token_format: access_token.
//   - Else the external_account credentials file that
//     GOOGLE_APPLICATION_CREDENTIALS names, as google-github-actions/auth
//     writes it by default into the workspace, which a container action
//     sees: its subject token source (the runner's OIDC token service),
//     token URL and service account are used as above.
//
// A Signer signs with the key version the key names without reading it
// first, so that roles/cloudkms.signer suffices and a run makes no
// request that role is refused; it chooses the version when the key names
// none. It reads the version's algorithm only to explain a refusal
// ([Signer.ExplainRefusal]).
package gcpkms

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ghapptoken/app-token-action/internal/hint"
	"github.com/ghapptoken/app-token-action/internal/kms/kmshttp"
	"github.com/ghapptoken/app-token-action/internal/oidc"
)

// The default endpoints of the APIs, version 1.
const (
	defaultKMS            = "https://cloudkms.googleapis.com/v1"
	defaultSTS            = "https://sts.googleapis.com/v1"
	defaultIAMCredentials = "https://iamcredentials.googleapis.com/v1"
)

// accessTokenEnv holds an OAuth 2.0 access token, as the Google Terraform
// provider and other Google tools read it.
const accessTokenEnv = "GOOGLE_OAUTH_ACCESS_TOKEN"

// cloudPlatformScope is the scope asymmetricSign accepts (with
// https://www.googleapis.com/auth/cloudkms), per its reference page.
const cloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform"

// tokenLifetime is the service account token's lifetime: the signer lives
// for one step, and the JWT is signed within seconds.
const tokenLifetime = "600s"

// Options configures a [Signer].
type Options struct {
	// Key is the key version's resource name, with or without gcpkms://:
	// projects/P/locations/L/keyRings/R/cryptoKeys/K/cryptoKeyVersions/V.
	Key string
	// WorkloadIdentityProvider, if set, is the workload identity provider
	// that accepts the job's OIDC token:
	// projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER.
	WorkloadIdentityProvider string
	// ServiceAccount, if set with WorkloadIdentityProvider, is the service
	// account to impersonate (email or unique ID); empty: the federated
	// identity signs directly.
	ServiceAccount string
	// AccessToken is an OAuth 2.0 access token, used when
	// WorkloadIdentityProvider is empty; empty: GOOGLE_OAUTH_ACCESS_TOKEN,
	// else the credentials file that GOOGLE_APPLICATION_CREDENTIALS names.
	AccessToken string
	// ReadFile reads the credentials file; nil: os.ReadFile.
	ReadFile func(name string) ([]byte, error)

	kmshttp.Env
}

// Signer signs digests with a key version in Cloud KMS. It obtains an
// access token on its first signature and keeps it until shortly before
// it expires ([kmshttp.Cached]). A Signer is safe for concurrent use.
type Signer struct {
	o        Options
	key      string // the key's resource name (projects/…/cryptoKeys/K)
	number   string // the key version's number, or "" to choose one
	provider string // the workload identity provider's name, or ""
	kmsURL   string
	stsURL   string
	iamURL   string

	creds *kmshttp.Cached[*credential]
	// secrets are every secret obtained so far, blanked in errors; only
	// a fetch of creds adds to them.
	secrets []string
	// federated is whether the token is obtained for the job's OIDC
	// token (inputs or a credentials file), for hints.
	federated bool

	mu      sync.Mutex
	version string // the key version's resource name, once named or chosen
	// algorithm is the version's, if known without a request (chosen
	// from the list of versions), else "".
	algorithm string
}

// credential is an access token and what goes with it.
type credential struct {
	token   string
	who     string    // whom the token stands for, for hints
	expires time.Time // zero: unknown
	secrets []string  // every secret to blank in errors, the token's too
}

// New returns a signer for o.Key. It checks the options and makes no
// request; its errors carry a hint.
func New(o Options) (*Signer, error) {
	o.Env = o.Env.WithDefaults()
	s := &Signer{o: o}
	var err error
	if s.key, s.number, err = parseKey(o.Key); err != nil {
		return nil, err
	}
	if o.WorkloadIdentityProvider != "" {
		if s.provider, err = parseProvider(o.WorkloadIdentityProvider); err != nil {
			return nil, err
		}
	}
	if o.ServiceAccount != "" {
		if s.provider == "" {
			return nil, hint.New(errors.New("GCP: a service account is given without a workload identity provider"),
				"set {gcp-workload-identity-provider} too, so that the job's OIDC token can impersonate {gcp-service-account}, or leave {gcp-service-account} empty")
		}
		if err := checkServiceAccount(o.ServiceAccount); err != nil {
			return nil, err
		}
	}
	if s.kmsURL, err = endpoint(o.Getenv, kmsEndpointEnv, defaultKMS); err != nil {
		return nil, err
	}
	if s.stsURL, err = endpoint(o.Getenv, stsEndpointEnv, defaultSTS); err != nil {
		return nil, err
	}
	if s.iamURL, err = endpoint(o.Getenv, iamCredentialsEndpointEnv, defaultIAMCredentials); err != nil {
		return nil, err
	}
	s.federated = s.provider != "" || !s.hasAmbient()
	s.creds = kmshttp.NewCached(o.Now, s.credentials)
	return s, nil
}

// SignDigest returns the RSASSA-PKCS1-v1_5 signature of digest, a SHA-256
// hash, made by the key version. The first call obtains the access token,
// and chooses the version if the key names none (see [Signer.keyVersion]).
func (s *Signer) SignDigest(ctx context.Context, digest []byte) ([]byte, error) {
	c, err := s.creds.Get(ctx)
	if err != nil {
		return nil, err
	}
	name, err := s.keyVersion(ctx, c.token, c.who, c.secrets)
	if err != nil {
		return nil, err
	}
	sig, err := s.sign(ctx, c.token, name, digest, c.secrets)
	if err != nil {
		return nil, explainSign(err, c.who, s.federated)
	}
	return sig, nil
}

// KeyHint says what key version makes RS256 signatures.
func (s *Signer) KeyHint() string { return algorithmHint }

// credentials obtains the access token, for [Signer.creds].
func (s *Signer) credentials(ctx context.Context) (*credential, time.Time, error) {
	var c credential
	var err error
	switch {
	case s.provider != "":
		c, err = s.federate(ctx)
	case s.hasAmbient():
		c, err = s.ambient()
	default:
		c, err = s.fromFile(ctx)
	}
	if err != nil {
		return nil, time.Time{}, err
	}
	s.secrets = append(s.secrets, c.token)
	c.secrets = slices.Clip(s.secrets)
	return &c, c.expires, nil
}

// hasAmbient reports whether an access token is given, in the input or
// in GOOGLE_OAUTH_ACCESS_TOKEN.
func (s *Signer) hasAmbient() bool {
	return strings.TrimSpace(s.o.AccessToken) != "" || strings.TrimSpace(s.o.Getenv(accessTokenEnv)) != ""
}

// ambient returns the access token the environment holds, whose expiry
// is unknown.
func (s *Signer) ambient() (credential, error) {
	token, src := strings.TrimSpace(s.o.AccessToken), "{gcp-access-token}"
	if token == "" {
		token, src = strings.TrimSpace(s.o.Getenv(accessTokenEnv)), accessTokenEnv
	}
	if token == "" {
		return credential{}, hint.New(errors.New("GCP KMS: no credentials: neither a workload identity provider nor an access token is given"),
			"set {gcp-workload-identity-provider} (and {gcp-service-account} to impersonate one) so that the job's OIDC token is exchanged, with permissions: id-token: write; "+
				"or pass an access token in {gcp-access-token} or "+accessTokenEnv+", such as the access_token output of google-github-actions/auth with token_format: access_token")
	}
	s.o.Mask(token)
	return credential{token: token, who: "the account of the access token in " + src}, nil
}

// federate exchanges the job's OIDC token for a federated access token,
// then, with a service account, for the account's access token.
func (s *Signer) federate(ctx context.Context) (credential, error) {
	audience := "https://iam.googleapis.com/" + s.provider
	if s.o.OIDC == nil {
		return credential{}, hint.New(fmt.Errorf("GCP: get the job's OIDC token: %w", oidc.ErrUnavailable),
			"give the job permissions: id-token: write, so that the runner can issue an OIDC token")
	}
	idToken, err := s.o.OIDC(ctx, audience)
	if err != nil {
		return credential{}, fmt.Errorf("GCP: %w", err)
	}
	s.maskSecret(idToken)

	fed, err := s.exchange(ctx, s.stsURL+"/token", "//iam.googleapis.com/"+s.provider, jwtTokenType, idToken)
	if err != nil {
		return credential{}, err
	}
	s.maskSecret(fed.token)
	sub := oidc.Subject(idToken)
	if s.o.ServiceAccount == "" {
		fed.who = federatedPrincipal(pool(s.provider), sub)
		return fed, nil
	}
	u := s.iamURL + "/projects/-/serviceAccounts/" + url.PathEscape(s.o.ServiceAccount) + ":generateAccessToken"
	sa, err := s.impersonate(ctx, u, s.o.ServiceAccount, pool(s.provider), fed.token, sub, oidc.Describe(idToken))
	if err != nil {
		return credential{}, err
	}
	s.o.Mask(sa.token)
	sa.who = "serviceAccount:" + s.o.ServiceAccount
	return sa, nil
}

// jwtTokenType is the subject token type of a GitHub OIDC token.
const jwtTokenType = "urn:ietf:params:oauth:token-type:jwt"

// exchange trades the job's OIDC token at the Security Token Service
// (tokenURL, sts.googleapis.com/v1/token; RFC 8693 token exchange,
// form-encoded as Google's auth libraries send it) for audience, the
// provider's //iam.googleapis.com/ name. It returns the federated token
// and its expiry (expires_in, seconds).
func (s *Signer) exchange(ctx context.Context, tokenURL, audience, tokenType, idToken string) (credential, error) {
	form := url.Values{
		"grant_type":           {"urn:ietf:params:oauth:grant-type:token-exchange"},
		"audience":             {audience},
		"scope":                {cloudPlatformScope},
		"requested_token_type": {"urn:ietf:params:oauth:token-type:access_token"},
		"subject_token_type":   {tokenType},
		"subject_token":        {idToken},
	}.Encode()
	c := s.o.Client("GCP STS")
	resp, err := c.Do(ctx, "exchange the OIDC token", func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(form))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		return req, nil
	}, parseSTSError, s.secrets...)
	if err != nil {
		return credential{}, explainExchange(err, oidc.Describe(idToken))
	}
	var out struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if json.Unmarshal(resp.Body, &out) != nil || out.AccessToken == "" {
		return credential{}, errors.New("GCP STS exchange the OIDC token: the answer holds no access_token")
	}
	fed := credential{token: out.AccessToken}
	if out.ExpiresIn > 0 {
		fed.expires = s.o.Now().Add(time.Duration(out.ExpiresIn) * time.Second)
	}
	return fed, nil
}

// impersonate buys the service account sa's access token with the
// federated token at u, its generateAccessToken URL (IAM Credentials API,
// projects.serviceAccounts.generateAccessToken), and its expireTime.
func (s *Signer) impersonate(ctx context.Context, u, sa, pool, fed, sub, described string) (credential, error) {
	body, _ := json.Marshal(map[string]any{"scope": []string{cloudPlatformScope}, "lifetime": tokenLifetime})
	c := s.o.Client("GCP IAM Credentials")
	resp, err := c.Do(ctx, "generate an access token for "+sa, s.post(u, fed, body), parseGoogleError, s.secrets...)
	if err != nil {
		return credential{}, explainImpersonate(err, sa, pool, sub, described)
	}
	var out struct {
		AccessToken string `json:"accessToken"`
		ExpireTime  string `json:"expireTime"`
	}
	if json.Unmarshal(resp.Body, &out) != nil || out.AccessToken == "" {
		return credential{}, errors.New("GCP IAM Credentials generate an access token: the answer holds no accessToken")
	}
	sat := credential{token: out.AccessToken}
	if t, err := time.Parse(time.RFC3339, out.ExpireTime); err == nil {
		sat.expires = t
	}
	return sat, nil
}

// sign calls cryptoKeyVersions.asymmetricSign with digest and its CRC32C,
// and checks the integrity fields of the answer as the API's reference
// asks: verifiedDigestCrc32c, signatureCrc32c and name.
func (s *Signer) sign(ctx context.Context, token, name string, digest []byte, secrets []string) ([]byte, error) {
	body, _ := json.Marshal(map[string]any{
		"digest":       map[string]string{"sha256": base64.StdEncoding.EncodeToString(digest)},
		"digestCrc32c": strconv.FormatUint(uint64(crc32c(digest)), 10),
	})
	u := s.kmsURL + "/" + name + ":asymmetricSign"
	resp, err := s.o.Client("GCP KMS").Do(ctx, "sign", s.post(u, token, body), parseGoogleError, secrets...)
	if err != nil {
		return nil, err
	}
	var out struct {
		Signature            []byte `json:"signature"`
		SignatureCrc32c      string `json:"signatureCrc32c"`
		VerifiedDigestCrc32c bool   `json:"verifiedDigestCrc32c"`
		Name                 string `json:"name"`
	}
	if err := json.Unmarshal(resp.Body, &out); err != nil || len(out.Signature) == 0 {
		return nil, errors.New("GCP KMS sign: the answer holds no signature")
	}
	if !out.VerifiedDigestCrc32c || out.SignatureCrc32c != strconv.FormatUint(uint64(crc32c(out.Signature)), 10) {
		return nil, hint.New(errors.New("GCP KMS sign: the request or its answer was corrupted in transit (CRC32C mismatch)"),
			"re-run the job; if it persists, check what lies between the runner and Cloud KMS (a proxy that rewrites bodies)")
	}
	if out.Name != "" && out.Name != name {
		return nil, fmt.Errorf("GCP KMS sign: the answer is for key %s, not %s", out.Name, name)
	}
	return out.Signature, nil
}

// post returns a builder of a JSON POST to u with a bearer token.
func (s *Signer) post(u, token string, body []byte) func(context.Context) (*http.Request, error) {
	return func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		return req, nil
	}
}

// castagnoli is built on first use, not at every start of the binary.
var castagnoli = sync.OnceValue(func() *crc32.Table { return crc32.MakeTable(crc32.Castagnoli) })

func crc32c(b []byte) uint32 { return crc32.Checksum(b, castagnoli()) }

// parseGoogleError reads Google's API error body,
// {"error":{"code":403,"message":"…","status":"PERMISSION_DENIED"}}
// (cloud.google.com/apis/design/errors).
func parseGoogleError(body []byte) (code, message string) {
	var e struct {
		Error struct {
			Message string `json:"message"`
			Status  string `json:"status"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return "", ""
	}
	return e.Error.Status, e.Error.Message
}

// parseSTSError reads the Security Token Service's OAuth 2.0 error body,
// {"error":"invalid_grant","error_description":"…"} (RFC 6749 5.2), or a
// Google API error body.
func parseSTSError(body []byte) (code, message string) {
	var e struct {
		Error       json.RawMessage `json:"error"`
		Description string          `json:"error_description"`
	}
	if json.Unmarshal(body, &e) != nil {
		return "", ""
	}
	var s string
	if json.Unmarshal(e.Error, &s) == nil {
		return s, e.Description
	}
	return parseGoogleError(body)
}

// pool returns the workload identity pool of a provider's resource name.
func pool(provider string) string {
	p, _, _ := strings.Cut(provider, "/providers/")
	return p
}

// federatedPrincipal names the job's federated identity in pool, for hints.
func federatedPrincipal(pool, sub string) string {
	return "principal://iam.googleapis.com/" + pool + "/subject/" + sub + " (the job's federated identity, if the provider maps google.subject=assertion.sub)"
}
