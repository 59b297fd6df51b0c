// Package awskms signs the app's JWT with an RSA key in AWS KMS, named by
// the URI awskms:///KEY (see package kms). Its credentials come from the
// job's OIDC token, exchanged with STS AssumeRoleWithWebIdentity for the
// role in Options.RoleARN, or else from the AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN that
// aws-actions/configure-aws-credentials exports. Requests are signed with
// Signature Version 4 by this package, which needs no AWS SDK.
package awskms

import (
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
)

// Audience is the audience of the OIDC token STS accepts by default for
// GitHub's identity provider.
const Audience = "sts.amazonaws.com"

// signingAlgorithm is RS256's: RSASSA-PKCS1-v1_5 over a SHA-256 digest.
const signingAlgorithm = "RSASSA_PKCS1_V1_5_SHA_256"

// sessionDuration is the shortest session STS grants (DurationSeconds may
// be 900 to the role's maximum); a token is minted in seconds.
const sessionDuration = 900

// Options configure a [Signer].
type Options struct {
	// Key names the KMS key: the part of awskms:///KEY after the slashes,
	// a key ARN, key ID, alias ARN or alias/NAME.
	Key string
	// RoleARN is the role to assume with the job's OIDC token (input
	// aws-role-arn); "": use the ambient credentials.
	RoleARN string
	// Endpoint is the KMS endpoint that awskms://ENDPOINT/KEY names, a
	// host with an optional port, reached over HTTPS; it wins over
	// AWS_ENDPOINT_URL_KMS and AWS_ENDPOINT_URL. "": those variables, else
	// the region's endpoint. STS is not affected.
	Endpoint string

	kmshttp.Env
}

// ParseURI splits a signing-key URI into the KMS endpoint it names, if
// any, and the key. The forms are sigstore's (pkg/signature/kms/aws,
// client.go, "awskms://[ENDPOINT]/[ID/ALIAS/ARN] (endpoint optional)"):
// awskms:///KEY, and awskms://ENDPOINT/KEY with ENDPOINT a host[:port]
// that sigstore reaches as https://ENDPOINT. KEY is a key ID, a key ARN,
// alias/NAME or an alias ARN; New checks it.
func ParseURI(uri string) (endpoint, key string, err error) {
	const form = "write awskms:///KEY (three slashes) with KEY a key ARN, key ID, alias/NAME or alias ARN, or awskms://HOST[:PORT]/KEY for another KMS endpoint"
	rest, ok := strings.CutPrefix(strings.TrimSpace(uri), "awskms://")
	if !ok {
		return "", "", hint.New(errors.New("signing-key: the key URI does not start with awskms://"), form)
	}
	host, key, ok := strings.Cut(rest, "/")
	if !ok || key == "" {
		return "", "", hint.New(errors.New("signing-key: the AWS KMS key URI names no key"), form)
	}
	if host == "" {
		return "", key, nil
	}
	// awskms://alias/NAME and awskms://arn:… lost a slash: the first
	// segment is not a host.
	if host == "alias" || strings.HasPrefix(host, "arn:") {
		return "", "", hint.New(fmt.Errorf("signing-key: awskms://%s… reads as the endpoint %q, not a key", host, host), form)
	}
	u, err := url.Parse("https://" + host + "/")
	if err != nil || u.Host != host || u.User != nil || u.Hostname() == "" {
		return "", "", hint.New(fmt.Errorf("signing-key: %q is not a host or host:port", host), form)
	}
	return host, key, nil
}

// Signer signs digests with a key in AWS KMS. It is safe for concurrent
// use; it gets credentials on its first signature and keeps them until
// shortly before they expire ([kmshttp.Cached]).
type Signer struct {
	o           Options
	region      string
	kmsURL      string
	stsURL      string
	sessionName string
	kms, sts    kmshttp.Client
	creds       *kmshttp.Cached[*credentials]
}

// New checks o and returns its Signer. It sends no request. Its errors
// carry a hint.
func New(o Options) (*Signer, error) {
	o.Env = o.Env.WithDefaults()
	o.Key = strings.TrimSpace(o.Key)
	o.RoleARN = strings.TrimSpace(o.RoleARN)
	arnRegion, err := checkKey(o.Key)
	if err != nil {
		return nil, err
	}
	if o.RoleARN != "" && !isRoleARN(o.RoleARN) {
		return nil, hint.New(fmt.Errorf("AWS KMS: %q is not the ARN of an IAM role", o.RoleARN),
			"set {aws-role-arn} to a role's ARN, like arn:aws:iam::111122223333:role/NAME")
	}
	region := arnRegion
	if region == "" {
		region = firstEnv(o.Getenv, "AWS_REGION", "AWS_DEFAULT_REGION")
	}
	if region == "" {
		return nil, hint.New(errors.New("AWS KMS: no region: the key is not an ARN and neither AWS_REGION nor AWS_DEFAULT_REGION is set"),
			"name the key by its ARN in {signing-key} (awskms:///arn:aws:kms:REGION:ACCOUNT:key/ID), or set AWS_REGION in the step's env")
	}
	if !isRegion(region) {
		return nil, hint.New(fmt.Errorf("AWS KMS: %q is not an AWS region", region),
			"set AWS_REGION to a region like us-east-1, or name the key by its ARN in {signing-key}")
	}
	s := &Signer{o: o, region: region}
	if s.kmsURL, err = endpoint(o.Getenv, "AWS_ENDPOINT_URL_KMS", "kms", region); err != nil {
		return nil, err
	}
	if o.Endpoint = strings.TrimSpace(o.Endpoint); o.Endpoint != "" {
		// As sigstore: the URI's endpoint is reached over HTTPS.
		u, err := url.Parse("https://" + o.Endpoint + "/")
		if err != nil || u.Host != o.Endpoint || u.User != nil {
			return nil, hint.New(fmt.Errorf("AWS KMS: endpoint %q is not a host or host:port", o.Endpoint),
				"write awskms://HOST[:PORT]/KEY, or awskms:///KEY with AWS_ENDPOINT_URL_KMS set to the endpoint's URL")
		}
		s.kmsURL = u.String()
	}
	if s.stsURL, err = endpoint(o.Getenv, "AWS_ENDPOINT_URL_STS", "sts", region); err != nil {
		return nil, err
	}
	s.sessionName = sessionName(o.Getenv("GITHUB_RUN_ID"))
	s.kms, s.sts = o.Client("AWS KMS"), o.Client("AWS STS")
	// AWS's codes for a failing or throttling service, whatever the
	// status (KMS and STS API references, "Errors").
	s.kms.ThrottleCodes = []string{"ThrottlingException", "KMSInternalException"}
	s.sts.ThrottleCodes = []string{"Throttling", "IDPCommunicationError"}
	s.creds = kmshttp.NewCached(o.Now, s.credentials)
	return s, nil
}

// credentials gets the role's temporary credentials, or the ambient ones,
// whose expiry is unknown, for [Signer.creds].
func (s *Signer) credentials(ctx context.Context) (*credentials, time.Time, error) {
	if s.o.RoleARN == "" {
		c, err := s.ambient()
		return &c, time.Time{}, err
	}
	c, err := s.assumeRole(ctx)
	return &c, c.Expires, err
}

// ambient returns the credentials in the step's environment.
func (s *Signer) ambient() (credentials, error) {
	c := credentials{
		AccessKeyID:     strings.TrimSpace(s.o.Getenv("AWS_ACCESS_KEY_ID")),
		SecretAccessKey: strings.TrimSpace(s.o.Getenv("AWS_SECRET_ACCESS_KEY")),
		SessionToken:    strings.TrimSpace(s.o.Getenv("AWS_SESSION_TOKEN")),
	}
	for _, x := range []string{c.AccessKeyID, c.SecretAccessKey, c.SessionToken} {
		if x != "" {
			s.o.Mask(x)
		}
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		what := "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are"
		if c.AccessKeyID != "" {
			what = "AWS_SECRET_ACCESS_KEY is"
		} else if c.SecretAccessKey != "" {
			what = "AWS_ACCESS_KEY_ID is"
		}
		return credentials{}, hint.New(fmt.Errorf("AWS KMS: no credentials: {aws-role-arn} is empty and %s not set", what),
			"set {aws-role-arn} to a role whose trust policy accepts this repository's OIDC token (the job needs permissions: id-token: write), "+
				"or run aws-actions/configure-aws-credentials earlier in the job")
	}
	return c, nil
}

// SignDigest asks KMS to sign digest, a SHA-256 hash, with
// RSASSA_PKCS1_V1_5_SHA_256, with the credentials [Signer.creds] holds
// (got on the first call). Its errors name the step that failed, carry a
// hint and hold no credential.
func (s *Signer) SignDigest(ctx context.Context, digest []byte) ([]byte, error) {
	c, err := s.creds.Get(ctx)
	if err != nil {
		return nil, err
	}
	// Sign's request and answer (AWS KMS API Reference, "Sign"): Message
	// is base64 in JSON, MessageType DIGEST says it is already hashed.
	body, err := json.Marshal(map[string]string{
		"KeyId":            s.o.Key,
		"Message":          base64.StdEncoding.EncodeToString(digest),
		"MessageType":      "DIGEST",
		"SigningAlgorithm": signingAlgorithm,
	})
	if err != nil {
		return nil, fmt.Errorf("AWS KMS sign: %w", err)
	}
	build := func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.kmsURL, strings.NewReader(string(body)))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", "TrentService.Sign")
		signV4(req, body, *c, s.region, "kms", s.o.Now())
		return req, nil
	}
	resp, err := s.kms.Do(ctx, "sign", build, parseJSONError, c.SecretAccessKey, c.SessionToken)
	if err != nil {
		return nil, s.signError(err)
	}
	var out struct {
		Signature        string
		SigningAlgorithm string
	}
	if err := json.Unmarshal(resp.Body, &out); err != nil || out.Signature == "" {
		return nil, errors.New("AWS KMS sign: the answer holds no signature")
	}
	sig, err := base64.StdEncoding.DecodeString(out.Signature)
	if err != nil {
		return nil, errors.New("AWS KMS sign: the answer's signature is not base64")
	}
	if out.SigningAlgorithm != "" && out.SigningAlgorithm != signingAlgorithm {
		return nil, hint.New(fmt.Errorf("AWS KMS sign: the key signed with %s, not %s", out.SigningAlgorithm, signingAlgorithm), hintKeySpec)
	}
	return sig, nil
}

// KeyHint says what key AWS KMS must hold to make RS256 signatures.
func (s *Signer) KeyHint() string { return hintKeySpec }

const hintKeySpec = "the key {signing-key} must be an RSA_2048 (or larger) key with key usage SIGN_VERIFY; import the app's private key into such a key"

// signError adds the next step to an error of Sign.
func (s *Signer) signError(err error) error {
	e := kmshttp.Answered(err)
	if e == nil {
		return err // no answer, or a transient one: the core classifies those
	}
	switch e.Code {
	case "AccessDeniedException":
		return hint.New(err, "the role or user needs kms:Sign on the key {signing-key}: allow it in the key policy, or in an IAM policy where the key policy delegates to IAM")
	case "InvalidKeyUsageException", "UnsupportedOperationException":
		return hint.New(err, hintKeySpec)
	case "ValidationException":
		return hint.New(err, hintKeySpec)
	case "NotFoundException":
		return hint.New(err, fmt.Sprintf("check {signing-key}: no such key or alias in region %s of this account; name a key of another account or region by its ARN", s.region))
	case "DisabledException", "KMSInvalidStateException":
		return hint.New(err, "enable the key {signing-key}; a key that is disabled, pending deletion or waiting for imported key material cannot sign")
	case "UnrecognizedClientException", "InvalidSignatureException", "IncompleteSignatureException", "ExpiredTokenException", "InvalidClientTokenId":
		if s.o.RoleARN != "" {
			return hint.New(err, "re-run the job; AWS refused the credentials STS had just issued (check the runner's clock)")
		}
		return hint.New(err, "the credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN were refused: run aws-actions/configure-aws-credentials earlier in the same job, or set {aws-role-arn}")
	}
	return err
}

// parseJSONError reads the error of a JSON protocol answer:
// {"__type":"NotFoundException","message":"..."}; the type may carry a
// namespace ("com.amazonaws.kms#NotFoundException") and the message may be
// spelled "Message".
func parseJSONError(body []byte) (code, message string) {
	var e struct {
		Type     string `json:"__type"`
		Message  string `json:"message"`
		Message2 string `json:"Message"`
	}
	if json.Unmarshal(body, &e) != nil {
		return "", ""
	}
	code = e.Type
	if i := strings.LastIndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	code, _, _ = strings.Cut(code, ":")
	if e.Message == "" {
		e.Message = e.Message2
	}
	return code, e.Message
}

// checkKey checks the form of a key name and returns the region of an
// ARN. Its error carries a hint.
func checkKey(key string) (region string, err error) {
	region, err = keyRegion(key)
	if err != nil {
		return "", hint.New(fmt.Errorf("AWS KMS: %w", err),
			"set {signing-key} to awskms:///KEY with KEY a key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), a key ID, an alias ARN or alias/NAME")
	}
	return region, nil
}

// keyRegion checks the form of a key name and returns the region of an
// ARN. The forms are those of Sign's KeyId (AWS KMS API Reference).
func keyRegion(key string) (region string, err error) {
	switch {
	case key == "":
		return "", errors.New("no key: the URI is awskms:/// with nothing after it")
	case strings.HasPrefix(key, "arn:"):
		// arn:PARTITION:kms:REGION:ACCOUNT:key/ID or :alias/NAME
		p := strings.SplitN(key, ":", 6)
		if len(p) != 6 || p[2] != "kms" || !isRegion(p[3]) || p[4] == "" ||
			!(strings.HasPrefix(p[5], "key/") && len(p[5]) > 4 || strings.HasPrefix(p[5], "alias/") && len(p[5]) > 6) {
			return "", fmt.Errorf("%q is not the ARN of a KMS key or alias (arn:aws:kms:REGION:ACCOUNT:key/ID)", key)
		}
		return p[3], nil
	case strings.HasPrefix(key, "alias/"):
		if len(key) == len("alias/") || strings.ContainsAny(key, " :") {
			return "", fmt.Errorf("%q is not an alias name", key)
		}
		return "", nil
	default:
		if strings.ContainsAny(key, " /:") {
			return "", fmt.Errorf("%q is not a key ID, key ARN or alias", key)
		}
		return "", nil
	}
}

// isRoleARN reports whether s looks like arn:PARTITION:iam::ACCOUNT:role/NAME.
func isRoleARN(s string) bool {
	p := strings.SplitN(s, ":", 6)
	return len(p) == 6 && p[0] == "arn" && p[2] == "iam" && p[3] == "" && p[4] != "" &&
		strings.HasPrefix(p[5], "role/") && len(p[5]) > len("role/")
}

// isRegion reports whether s can be a region name: us-east-1, cn-north-1.
func isRegion(s string) bool {
	if s == "" || len(s) > 30 {
		return false
	}
	for _, c := range s {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return strings.Contains(s, "-")
}

// endpoint returns the URL of service: from its own variable, then
// AWS_ENDPOINT_URL (as the AWS SDKs read them), else the regional
// endpoint, in amazonaws.com.cn for the China regions.
func endpoint(getenv func(string) string, serviceVar, service, region string) (string, error) {
	name, v := serviceVar, strings.TrimSpace(getenv(serviceVar))
	if v == "" {
		name, v = "AWS_ENDPOINT_URL", strings.TrimSpace(getenv("AWS_ENDPOINT_URL"))
	}
	if v == "" {
		suffix := "amazonaws.com"
		if strings.HasPrefix(region, "cn-") {
			suffix = "amazonaws.com.cn"
		}
		return "https://" + service + "." + region + "." + suffix + "/", nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.User != nil {
		return "", hint.New(fmt.Errorf("AWS KMS: %s is not an http(s) URL without query", name),
			fmt.Sprintf("set %s to the endpoint's URL, like https://%s.us-east-1.amazonaws.com, or unset it", name, service))
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return u.String(), nil
}

func firstEnv(getenv func(string) string, names ...string) string {
	for _, n := range names {
		if v := strings.TrimSpace(getenv(n)); v != "" {
			return v
		}
	}
	return ""
}

// sessionName returns the RoleSessionName, which CloudTrail shows:
// app-token-RUNID, in the characters STS allows ([\w+=,.@-], 2 to 64).
func sessionName(runID string) string {
	var b strings.Builder
	b.WriteString("app-token")
	if runID != "" {
		b.WriteByte('-')
		for _, c := range runID {
			if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.ContainsRune("_+=,.@-", c) {
				b.WriteRune(c)
			}
		}
	}
	s := b.String()
	if len(s) > 64 {
		s = s[:64]
	}
	return s
}
