// Package awskmstest emulates the two AWS services the awskms package
// calls, for tests: STS AssumeRoleWithWebIdentity, which trusts the
// oidctest token service as GitHub's identity provider, and KMS Sign,
// which checks the Signature Version 4 of every request with the
// credentials it issued or was given, checks who may use the key, and
// signs with the app's private key.
//
// Sources, cited beside each rule: the AWS STS and AWS KMS API references
// (request parameters, answer shapes), the AWS General Reference
// ("Signature Version 4 signing process"), and error bodies quoted in
// public issues. Rules no source confirmed are marked "Assumed:".
package awskmstest

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ghapptoken/app-token-action/internal/oidc/oidctest"
)

// Defaults of [Config].
const (
	DefaultRegion  = "us-east-1"
	DefaultAccount = "111122223333"
	DefaultKeyID   = "1234abcd-12ab-34cd-56ef-1234567890ab"
)

// Config describes the account the emulator plays.
type Config struct {
	Key     *rsa.PrivateKey // the app's key, imported into KMS; required
	Region  string          // "": DefaultRegion
	Account string          // "": DefaultAccount
	KeyID   string          // "": DefaultKeyID
	Aliases []string        // alias names of the key: "alias/github-app"
	// Roles maps a role's ARN to the sub its trust policy accepts, with *
	// as in StringLike: "repo:octo-org/app:*".
	Roles map[string]string
	// Signers are the principals the key policy allows kms:Sign: role
	// ARNs (for their sessions) and user ARNs.
	Signers []string
	// KeyUsage is "" (SIGN_VERIFY) or "ENCRYPT_DECRYPT".
	KeyUsage string
	// KeySpec is "" (RSA_ and the key's size) or another spec, such as
	// "ECC_NIST_P256", to play a key that is not RSA.
	KeySpec string
	// KeyState is "" (Enabled), "Disabled", "PendingDeletion" or
	// "PendingImport".
	KeyState string
	// NoProvider plays an account without GitHub's OIDC identity provider.
	NoProvider bool
	// Now is the service's clock; nil: time.Now.
	Now func() time.Time
	// TLS serves HTTPS (with httptest's certificate for 127.0.0.1, see
	// [Server.CertificatePEM]), as an endpoint named in awskms://HOST/KEY
	// is reached.
	TLS bool
}

// Credentials are an access key the emulator issued.
type Credentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string
}

// Env returns the variables aws-actions/configure-aws-credentials
// exports for c.
func (c Credentials) Env() map[string]string {
	m := map[string]string{"AWS_ACCESS_KEY_ID": c.AccessKeyID, "AWS_SECRET_ACCESS_KEY": c.SecretAccessKey}
	if c.SessionToken != "" {
		m["AWS_SESSION_TOKEN"] = c.SessionToken
	}
	return m
}

// Request is one request the emulator answered.
type Request struct {
	Method, Path string
	Op           string // "sts:AssumeRoleWithWebIdentity", "kms:Sign", or "" if unknown
	Status       int
}

// access is what the emulator knows of an access key.
type access struct {
	secret, token string
	policyName    string // the principal key policies name: a role or user ARN
	caller        string // the ARN errors show: an assumed-role session or the user
	expires       time.Time
}

// Server plays STS and KMS on one loopback address.
type Server struct {
	tb  testing.TB
	ts  *httptest.Server
	cfg Config

	mu       sync.Mutex
	keys     map[string]*access
	secrets  []string
	requests []Request
	failN    int
	failCode int
}

// Start starts the emulator; tb's cleanup stops it.
func Start(tb testing.TB, cfg Config) *Server {
	tb.Helper()
	if cfg.Key == nil {
		tb.Fatal("awskmstest.Start: Config.Key is nil")
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.Account == "" {
		cfg.Account = DefaultAccount
	}
	if cfg.KeyID == "" {
		cfg.KeyID = DefaultKeyID
	}
	if cfg.KeyUsage == "" {
		cfg.KeyUsage = "SIGN_VERIFY"
	}
	if cfg.KeySpec == "" {
		cfg.KeySpec = fmt.Sprintf("RSA_%d", cfg.Key.N.BitLen())
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{tb: tb, cfg: cfg, keys: map[string]*access{}}
	if cfg.TLS {
		s.ts = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	} else {
		s.ts = httptest.NewServer(http.HandlerFunc(s.serve))
	}
	tb.Cleanup(s.ts.Close)
	return s
}

// Host returns the emulator's host:port, as awskms://HOST/KEY names it.
func (s *Server) Host() string {
	return strings.TrimPrefix(strings.TrimPrefix(s.ts.URL, "https://"), "http://")
}

// CertificatePEM returns the PEM of the certificate a TLS emulator serves,
// for a client to trust (input ca-certificates); "" without TLS.
func (s *Server) CertificatePEM() string {
	if s.ts.Certificate() == nil {
		return ""
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.ts.Certificate().Raw}))
}

// Client returns an HTTP client that trusts the emulator's certificate.
func (s *Server) Client() *http.Client { return s.ts.Client() }

// URL returns the emulator's address, for both services.
func (s *Server) URL() string { return s.ts.URL }

// Env returns the endpoint overrides that point the AWS SDKs (and awskms)
// at the emulator, and AWS_REGION.
func (s *Server) Env() map[string]string {
	return map[string]string{
		"AWS_ENDPOINT_URL_KMS": s.ts.URL,
		"AWS_ENDPOINT_URL_STS": s.ts.URL,
		"AWS_REGION":           s.cfg.Region,
	}
}

// KeyARN returns the ARN of the key.
func (s *Server) KeyARN() string {
	return "arn:aws:kms:" + s.cfg.Region + ":" + s.cfg.Account + ":key/" + s.cfg.KeyID
}

// User returns permanent credentials (AKIA…) of the IAM user name,
// arn:aws:iam::ACCOUNT:user/NAME, as an access key created for it would be.
func (s *Server) User(name string) Credentials {
	arn := "arn:aws:iam::" + s.cfg.Account + ":user/" + name
	c := Credentials{AccessKeyID: "AKIA" + upper(16), SecretAccessKey: secret(40)}
	s.mu.Lock()
	s.keys[c.AccessKeyID] = &access{secret: c.SecretAccessKey, policyName: arn, caller: arn}
	s.secrets = append(s.secrets, c.SecretAccessKey)
	s.mu.Unlock()
	return c
}

// Fail makes the next n requests answer status (429 or 5xx) with the
// service's own error body.
func (s *Server) Fail(n, status int) {
	s.mu.Lock()
	s.failN, s.failCode = n, status
	s.mu.Unlock()
}

// Requests returns the requests answered so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Secrets returns every secret access key and session token the emulator
// issued, for leak checks.
func (s *Server) Secrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.secrets)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	op := ""
	defer func() {
		s.mu.Lock()
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Op: op, Status: rec.status})
		s.mu.Unlock()
	}()
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(rec, err.Error(), http.StatusBadRequest)
		return
	}
	// Both services answer POST / on their own host; here the KMS JSON
	// protocol is told apart by its X-Amz-Target header (AWS KMS API
	// Reference, "Common parameters"), the STS Query API by its form.
	isKMS := r.Header.Get("X-Amz-Target") != ""
	if isKMS {
		op = "kms:" + strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "TrentService.")
	} else {
		op = "sts:" + formValue(body, "Action")
	}
	s.mu.Lock()
	fail := 0
	if s.failN > 0 {
		s.failN--
		fail = s.failCode
	}
	s.mu.Unlock()
	if fail != 0 {
		// Assumed: KMSInternalException (500) and ThrottlingException for
		// KMS, InternalFailure and Throttling for STS.
		if isKMS {
			code := "KMSInternalException"
			if fail == http.StatusTooManyRequests {
				code = "ThrottlingException"
			}
			kmsError(rec, fail, code, "injected fault")
		} else {
			code := "InternalFailure"
			if fail == http.StatusTooManyRequests {
				code = "Throttling"
			}
			stsError(rec, fail, "Receiver", code, "injected fault")
		}
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		s.tb.Errorf("awskmstest: %s %s, want POST /", r.Method, r.URL.Path)
		http.NotFound(rec, r)
		return
	}
	if isKMS {
		s.kms(rec, r, body)
	} else {
		s.sts(rec, r, body)
	}
}

// sts answers AssumeRoleWithWebIdentity (AWS STS API Reference,
// "AssumeRoleWithWebIdentity": parameters RoleArn, RoleSessionName,
// WebIdentityToken, DurationSeconds; the Query API's Action and Version).
func (s *Server) sts(w http.ResponseWriter, r *http.Request, body []byte) {
	// The Query API takes a form-encoded POST body.
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		s.tb.Errorf("awskmstest: STS Content-Type %q, want application/x-www-form-urlencoded", ct)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("Action") != "AssumeRoleWithWebIdentity" || form.Get("Version") != "2011-06-15" {
		s.tb.Errorf("awskmstest: STS request is not AssumeRoleWithWebIdentity of version 2011-06-15")
		// Assumed: the Query API's answer to an unknown action.
		stsError(w, http.StatusBadRequest, "Sender", "InvalidAction", "Could not find operation "+form.Get("Action")+" for version "+form.Get("Version"))
		return
	}
	roleARN, session, token := form.Get("RoleArn"), form.Get("RoleSessionName"), form.Get("WebIdentityToken")
	duration, err := strconv.Atoi(form.Get("DurationSeconds"))
	if form.Get("DurationSeconds") == "" {
		duration, err = 3600, nil // the API's default
	}
	// RoleSessionName: 2 to 64 of [\w+=,.@-]; DurationSeconds: 900 to the
	// role's maximum session duration, 1 hour by default (API Reference).
	// Assumed: the wording of ValidationError.
	switch {
	case !sessionNameRE.MatchString(session):
		stsError(w, http.StatusBadRequest, "Sender", "ValidationError", "1 validation error detected: Value '"+session+"' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*")
		return
	case err != nil || duration < 900 || duration > 3600:
		stsError(w, http.StatusBadRequest, "Sender", "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
		return
	}
	// Assumed: the message for a missing identity provider.
	if s.cfg.NoProvider {
		stsError(w, http.StatusBadRequest, "Sender", "InvalidIdentityToken", "No OpenIDConnect provider found in your account for "+oidctest.Issuer)
		return
	}
	claims, err := oidctest.Verify(token, "sts.amazonaws.com")
	if err != nil {
		// Assumed: InvalidIdentityToken with "Incorrect token audience".
		msg := "The web identity token is not valid"
		if strings.Contains(err.Error(), "audience") {
			msg = "Incorrect token audience"
		}
		stsError(w, http.StatusBadRequest, "Sender", "InvalidIdentityToken", msg)
		return
	}
	sub, _ := claims["sub"].(string)
	pattern, ok := s.cfg.Roles[roleARN]
	if !ok || !oidctest.MatchSubject(pattern, sub) {
		// 403 AccessDenied "Not authorized to perform
		// sts:AssumeRoleWithWebIdentity" (aws/aws-sdk-net#744,
		// aws-amplify/aws-sdk-android#9), whether the role is missing or its
		// trust policy refuses.
		stsError(w, http.StatusForbidden, "Sender", "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
		return
	}
	roleName := roleARN[strings.LastIndexByte(roleARN, '/')+1:]
	caller := "arn:aws:sts::" + s.cfg.Account + ":assumed-role/" + roleName + "/" + session
	// Temporary access key IDs start with ASIA (IAM User Guide, "Unique
	// identifiers").
	c := Credentials{AccessKeyID: "ASIA" + upper(16), SecretAccessKey: secret(40), SessionToken: "IQoJb3JpZ2luX2Vj" + secret(300)}
	expires := s.cfg.Now().Add(time.Duration(duration) * time.Second).UTC()
	s.mu.Lock()
	s.keys[c.AccessKeyID] = &access{secret: c.SecretAccessKey, token: c.SessionToken, policyName: roleARN, caller: caller, expires: expires}
	s.secrets = append(s.secrets, c.SecretAccessKey, c.SessionToken)
	s.mu.Unlock()
	// The answer's shape (AWS STS API Reference, AssumeRoleWithWebIdentity,
	// "Examples": the response's XML).
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-RequestId", requestID())
	fmt.Fprintf(w, `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <Audience>sts.amazonaws.com</Audience>
    <AssumedRoleUser>
      <AssumedRoleId>AROA%s:%s</AssumedRoleId>
      <Arn>%s</Arn>
    </AssumedRoleUser>
    <Provider>arn:aws:iam::%s:oidc-provider/token.actions.githubusercontent.com</Provider>
    <Credentials>
      <AccessKeyId>%s</AccessKeyId>
      <SecretAccessKey>%s</SecretAccessKey>
      <SessionToken>%s</SessionToken>
      <Expiration>%s</Expiration>
    </Credentials>
    <SubjectFromWebIdentityToken>%s</SubjectFromWebIdentityToken>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata>
    <RequestId>%s</RequestId>
  </ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>
`, upper(17), xmlText(session), xmlText(caller), s.cfg.Account, c.AccessKeyID, c.SecretAccessKey, c.SessionToken,
		expires.Format(time.RFC3339), xmlText(sub), requestID())
}

var sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

// kms authenticates a KMS request and answers Sign.
func (s *Server) kms(w http.ResponseWriter, r *http.Request, body []byte) {
	// The JSON protocol: Content-Type application/x-amz-json-1.1 and
	// X-Amz-Target TrentService.Operation (AWS KMS API Reference, "Common
	// parameters" and each operation's example request).
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		s.tb.Errorf("awskmstest: KMS Content-Type %q, want application/x-amz-json-1.1", ct)
	}
	a, code, msg := s.authenticate(r, body)
	if code != "" {
		kmsError(w, http.StatusBadRequest, code, msg)
		return
	}
	if target := r.Header.Get("X-Amz-Target"); target != "TrentService.Sign" {
		s.tb.Errorf("awskmstest: X-Amz-Target %q, want TrentService.Sign", target)
		// Assumed: the JSON protocol's answer to an unknown operation.
		kmsError(w, http.StatusBadRequest, "UnknownOperationException", "")
		return
	}
	// Sign's request (AWS KMS API Reference, "Sign"): KeyId, Message
	// (base64), MessageType RAW or DIGEST, SigningAlgorithm.
	var in struct {
		KeyId, Message, MessageType, SigningAlgorithm string
	}
	if err := json.Unmarshal(body, &in); err != nil {
		// Assumed: the JSON protocol's answer to a body it cannot read.
		kmsError(w, http.StatusBadRequest, "SerializationException", "")
		return
	}
	keyARN := s.KeyARN()
	if !s.isKey(in.KeyId) {
		// Assumed: NotFoundException's wording.
		kmsError(w, http.StatusBadRequest, "NotFoundException", "Key '"+in.KeyId+"' does not exist")
		return
	}
	if !slices.Contains(s.cfg.Signers, a.policyName) {
		// 400 {"__type":"AccessDeniedException","Message":"User: ... is not
		// authorized to perform: kms:Sign on resource: ... because no
		// resource-based policy allows the kms:Sign action"}
		// (aws/aws-nitro-enclaves-sdk-c#127).
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"__type":"AccessDeniedException","Message":%q}`,
			"User: "+a.caller+" is not authorized to perform: kms:Sign on resource: "+keyARN+" because no resource-based policy allows the kms:Sign action")
		return
	}
	switch s.cfg.KeyState {
	case "Disabled":
		// Assumed: DisabledException's wording.
		kmsError(w, http.StatusBadRequest, "DisabledException", keyARN+" is disabled.")
		return
	case "PendingDeletion", "PendingImport":
		// Assumed: KMSInvalidStateException's wording.
		state := "pending deletion"
		if s.cfg.KeyState == "PendingImport" {
			state = "pending import"
		}
		kmsError(w, http.StatusBadRequest, "KMSInvalidStateException", keyARN+" is "+state+".")
		return
	}
	if s.cfg.KeyUsage != "SIGN_VERIFY" {
		// "ARN key usage is SIGN_VERIFY which is not valid for Encrypt."
		// (jonathankeebler/jwt-kms#4), the other way round.
		kmsError(w, http.StatusBadRequest, "InvalidKeyUsageException", keyARN+" key usage is "+s.cfg.KeyUsage+" which is not valid for Sign.")
		return
	}
	if !strings.HasPrefix(s.cfg.KeySpec, "RSA_") || !strings.HasPrefix(in.SigningAlgorithm, "RSASSA_") {
		// Assumed: InvalidKeyUsageException for an algorithm the key spec
		// does not offer.
		kmsError(w, http.StatusBadRequest, "InvalidKeyUsageException", "Algorithm "+in.SigningAlgorithm+" is incompatible with key spec "+s.cfg.KeySpec+".")
		return
	}
	digest, err := base64.StdEncoding.DecodeString(in.Message)
	if in.SigningAlgorithm != "RSASSA_PKCS1_V1_5_SHA_256" || in.MessageType != "DIGEST" || err != nil || len(digest) != sha256.Size {
		// Assumed: ValidationException for a digest of the wrong length.
		// The emulator signs only what awskms sends.
		s.tb.Errorf("awskmstest: Sign of %s %s, want a SHA-256 DIGEST for RSASSA_PKCS1_V1_5_SHA_256", in.MessageType, in.SigningAlgorithm)
		kmsError(w, http.StatusBadRequest, "ValidationException", "Digest is invalid length for algorithm "+in.SigningAlgorithm+".")
		return
	}
	sig, err := rsa.SignPKCS1v15(nil, s.cfg.Key, crypto.SHA256, digest)
	if err != nil {
		kmsError(w, http.StatusInternalServerError, "KMSInternalException", err.Error())
		return
	}
	// Sign's answer: KeyId is the key's ARN (AWS KMS API Reference, "Sign",
	// Response Elements).
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", requestID())
	fmt.Fprintf(w, `{"KeyId":%q,"Signature":%q,"SigningAlgorithm":"RSASSA_PKCS1_V1_5_SHA_256"}`, keyARN, base64.StdEncoding.EncodeToString(sig))
}

// isKey reports whether id names the key: its ID, its ARN, one of its
// alias names or alias ARNs (AWS KMS API Reference, "Sign", KeyId).
func (s *Server) isKey(id string) bool {
	prefix := "arn:aws:kms:" + s.cfg.Region + ":" + s.cfg.Account + ":"
	if id == s.cfg.KeyID || id == prefix+"key/"+s.cfg.KeyID {
		return true
	}
	for _, a := range s.cfg.Aliases {
		if id == a || id == prefix+a {
			return true
		}
	}
	return false
}

// authenticate checks the request's Signature Version 4 (AWS General
// Reference, "Signature Version 4 signing process": the Authorization
// header's Credential, SignedHeaders and Signature; the canonical request;
// the string to sign; the derived key) against the credentials the
// emulator knows, and returns them, or the error's code and message.
func (s *Server) authenticate(r *http.Request, body []byte) (a *access, code, msg string) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		// Assumed: the answer to an unsigned request.
		return nil, "MissingAuthenticationTokenException", "Missing Authentication Token"
	}
	rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
	if !ok {
		return nil, "IncompleteSignatureException", "Unsupported authorization type"
	}
	fields := map[string]string{}
	for _, f := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
		fields[k] = v
	}
	cred := strings.Split(fields["Credential"], "/")
	signedHeaders := strings.Split(fields["SignedHeaders"], ";")
	if len(cred) != 5 || cred[4] != "aws4_request" || fields["Signature"] == "" || fields["SignedHeaders"] == "" {
		// Assumed: IncompleteSignatureException's wording.
		return nil, "IncompleteSignatureException", "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters."
	}
	s.mu.Lock()
	a = s.keys[cred[0]]
	s.mu.Unlock()
	now := s.cfg.Now()
	// Assumed: UnrecognizedClientException for an unknown access key or a
	// session token that does not belong to it, ExpiredTokenException for
	// expired temporary credentials.
	if a == nil || r.Header.Get("X-Amz-Security-Token") != a.token {
		return nil, "UnrecognizedClientException", "The security token included in the request is invalid."
	}
	if !a.expires.IsZero() && now.After(a.expires) {
		return nil, "ExpiredTokenException", "The security token included in the request is expired"
	}
	// Assumed: the wording of these InvalidSignatureExceptions; the 15
	// minutes of clock skew AWS allows (General Reference).
	amzDate := r.Header.Get("X-Amz-Date")
	t, err := time.Parse("20060102T150405Z", amzDate)
	if err != nil || !strings.HasPrefix(amzDate, cred[1]) {
		return nil, "IncompleteSignatureException", "Date must be in ISO-8601 'basic format' and match the credential scope."
	}
	if d := now.Sub(t); d > 15*time.Minute || d < -15*time.Minute {
		return nil, "InvalidSignatureException", "Signature expired: " + amzDate + " is now earlier or later than the allowed 15 minutes."
	}
	if cred[2] != s.cfg.Region {
		return nil, "InvalidSignatureException", "Credential should be scoped to a valid region."
	}
	if cred[3] != "kms" {
		return nil, "InvalidSignatureException", "Credential should be scoped to correct service: 'kms'."
	}
	// Host and X-Amz-Date must be signed (General Reference: "the host
	// header must be included as a signed header"; the date, when given
	// in X-Amz-Date, too).
	if !slices.Contains(signedHeaders, "host") || !slices.Contains(signedHeaders, "x-amz-date") || !sort.StringsAreSorted(signedHeaders) {
		return nil, "InvalidSignatureException", "'Host' and 'X-Amz-Date' must be signed headers, in sorted order."
	}
	var creq strings.Builder
	creq.WriteString(r.Method + "\n" + escapedPath(r.URL) + "\n" + canonicalQuery(r.URL.Query()) + "\n")
	for _, h := range signedHeaders {
		v := r.Host
		if h != "host" {
			vals := r.Header.Values(h)
			for i, x := range vals {
				vals[i] = strings.Join(strings.Fields(x), " ")
			}
			v = strings.Join(vals, ",")
		}
		creq.WriteString(h + ":" + v + "\n")
	}
	bodyHash := sha256.Sum256(body)
	creq.WriteString("\n" + fields["SignedHeaders"] + "\n" + hex.EncodeToString(bodyHash[:]))
	creqHash := sha256.Sum256([]byte(creq.String()))
	scope := strings.Join(cred[1:], "/")
	toSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(creqHash[:])
	key := []byte("AWS4" + a.secret)
	for _, part := range cred[1:] {
		key = mac(key, part)
	}
	want := hex.EncodeToString(mac(key, toSign))
	if !hmac.Equal([]byte(want), []byte(fields["Signature"])) {
		// The message AWS answers for a signature it recomputes differently
		// (widely quoted; e.g. aws/aws-sdk-go issues).
		return nil, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	}
	return a, "", ""
}

func mac(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	io.WriteString(m, data)
	return m.Sum(nil)
}

func escapedPath(u *url.URL) string {
	if p := u.EscapedPath(); p != "" {
		return p
	}
	return "/"
}

// canonicalQuery encodes each name and value (RFC 3986 unreserved
// characters kept) and sorts the pairs.
func canonicalQuery(q url.Values) string {
	var pairs []string
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, strings.ReplaceAll(url.QueryEscape(k), "+", "%20")+"="+strings.ReplaceAll(url.QueryEscape(v), "+", "%20"))
		}
	}
	sort.Strings(pairs)
	return strings.Join(pairs, "&")
}

// kmsError writes an error of the JSON protocol:
// {"__type":"NotFoundException","message":"..."} (AWS KMS API Reference,
// "Common errors"; HTTP 400 for the client's errors).
func kmsError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", requestID())
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"__type":%q,"message":%q}`, code, msg)
}

// stsError writes an error of the Query API (aws/aws-sdk-js#198 quotes
// one): <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>.
func stsError(w http.ResponseWriter, status int, typ, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>%s</Type>
    <Code>%s</Code>
    <Message>%s</Message>
  </Error>
  <RequestId>%s</RequestId>
</ErrorResponse>
`, typ, code, xmlText(msg), requestID())
}

func formValue(body []byte, name string) string {
	q, _ := url.ParseQuery(string(body))
	return q.Get(name)
}

func xmlText(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// upper returns n random upper-case letters and digits.
func upper(n int) string {
	var s string
	for len(s) < n {
		s += rand.Text()
	}
	return s[:n]
}

// secret returns n random base64 characters.
func secret(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)[:n]
}

func requestID() string {
	b := make([]byte, 16)
	rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}
