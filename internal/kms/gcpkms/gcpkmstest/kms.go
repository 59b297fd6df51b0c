package gcpkmstest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"hash/crc32"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

var ecKey = sync.OnceValue(func() *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
})

// otherKey is the RSA key of every version but KeyName's.
var otherKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// defaultPageSize is how many versions a list answers when the request
// names no pageSize. Assumed: the reference says only that the server
// picks a default; a small one makes clients follow nextPageToken.
const defaultPageSize = 2

// The permissions of a key version's methods (Cloud KMS REST reference,
// "Authorization requires the following IAM permission" of each method).
const (
	permSign          = "cloudkms.cryptoKeyVersions.useToSign"
	permVerify        = "cloudkms.cryptoKeyVersions.useToVerify"
	permViewPublicKey = "cloudkms.cryptoKeyVersions.viewPublicKey"
	permGet           = "cloudkms.cryptoKeyVersions.get"
	permList          = "cloudkms.cryptoKeyVersions.list"
)

// rolePermissions are the key version permissions of the roles Config
// binds, as IAM's "Cloud Key Management Service roles and permissions"
// (cloud.google.com/iam/docs/roles-permissions/cloudkms) lists them:
// CryptoKey Signer holds useToSign alone; CryptoKey Signer/Verifier adds
// useToVerify and viewPublicKey; Public Key Viewer holds viewPublicKey;
// Viewer holds get and list, but no use and no viewPublicKey. (Each
// role's other permissions, on locations and projects, play no part.)
var rolePermissions = map[string][]string{
	"roles/cloudkms.signer":          {permSign},
	"roles/cloudkms.signerVerifier":  {permSign, permVerify, permViewPublicKey},
	"roles/cloudkms.publicKeyViewer": {permViewPublicKey},
	"roles/cloudkms.viewer":          {permGet, permList},
}

// allowed reports whether principal holds permission on the key through
// one of the roles Config binds.
func (s *Server) allowed(principal, permission string) bool {
	bindings := map[string][]string{
		"roles/cloudkms.signer":          s.cfg.Signers,
		"roles/cloudkms.signerVerifier":  s.cfg.SignerVerifiers,
		"roles/cloudkms.publicKeyViewer": s.cfg.PublicKeyViewers,
		"roles/cloudkms.viewer":          s.cfg.Viewers,
	}
	for role, members := range bindings {
		if slices.Contains(rolePermissions[role], permission) && match(members, principal) {
			return true
		}
	}
	return false
}

// version is a key version as the emulator holds it.
type version struct {
	name      string
	algorithm string
	state     string
	key       *rsa.PrivateKey // nil for EC and symmetric versions
}

// versions returns the key's versions: KeyName's, then Config.Versions.
func (s *Server) versions() []version {
	state := "ENABLED"
	if s.cfg.Disabled {
		state = "DISABLED"
	}
	out := []version{{name: s.cfg.KeyName, algorithm: s.cfg.Algorithm, state: state, key: s.cfg.Key}}
	parent := s.cryptoKey()
	for _, v := range s.cfg.Versions {
		st := v.State
		if st == "" {
			st = "ENABLED"
		}
		out = append(out, version{name: parent + "/cryptoKeyVersions/" + v.ID, algorithm: v.Algorithm, state: st, key: otherKey()})
	}
	return out
}

// cryptoKey returns the name of the key that holds the versions.
func (s *Server) cryptoKey() string {
	parent, _, _ := strings.Cut(s.cfg.KeyName, "/cryptoKeyVersions/")
	return parent
}

// serveKMS answers the Cloud KMS methods of a key version
// (cloud.google.com/kms/docs/reference/rest/v1/projects.locations.keyRings.cryptoKeys.cryptoKeyVersions):
// asymmetricSign (POST NAME:asymmetricSign), get (GET NAME), getPublicKey
// (GET NAME/publicKey) and list (GET KEY/cryptoKeyVersions). Each needs
// the cloud-platform or cloudkms scope, and its own permission on the key.
func (s *Server) serveKMS(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/cloudkms/v1/")
	if !strings.HasPrefix(r.URL.Path, "/cloudkms/v1/projects/") {
		googleError(w, http.StatusNotFound, "Method not found.", "NOT_FOUND")
		return
	}
	g, ok := s.bearer(r)
	if !ok {
		googleError(w, http.StatusUnauthorized, msgUnauthenticated, "UNAUTHENTICATED")
		return
	}
	if !slices.Contains(g.scopes, cloudPlatform) && !slices.Contains(g.scopes, "https://www.googleapis.com/auth/cloudkms") {
		// Google's answer to a token without the method's scope.
		googleError(w, http.StatusForbidden, "Request had insufficient authentication scopes.", "PERMISSION_DENIED")
		return
	}
	switch name, sign := strings.CutSuffix(path, ":asymmetricSign"); {
	case sign && r.Method == http.MethodPost:
		s.sign(w, r, g, name)
	case r.Method != http.MethodGet:
		googleError(w, http.StatusNotFound, "Method not found.", "NOT_FOUND")
	case strings.HasSuffix(path, "/publicKey"):
		s.getPublicKey(w, g, strings.TrimSuffix(path, "/publicKey"))
	case strings.HasSuffix(path, "/cryptoKeyVersions"):
		s.list(w, r, g, strings.TrimSuffix(path, "/cryptoKeyVersions"))
	default:
		s.get(w, g, path)
	}
}

// find returns the version named name, if the principal holds
// permission on the key. Cloud KMS answers 403 both for a key the caller
// may not use and for one that does not exist ("or it may not exist").
func (s *Server) find(w http.ResponseWriter, g grant, name, permission string) (version, bool) {
	i := slices.IndexFunc(s.versions(), func(v version) bool { return v.name == name })
	if i < 0 || !s.allowed(g.principal, permission) {
		googleError(w, http.StatusForbidden, "Permission '"+permission+"' denied on resource '"+name+"' (or it may not exist).", "PERMISSION_DENIED")
		return version{}, false
	}
	return s.versions()[i], true
}

// versionJSON is a CryptoKeyVersion resource as the REST reference shows
// it: name, state, protectionLevel, algorithm, createTime (and, for an
// imported version, importJob and importTime, which are left out).
func versionJSON(v version) map[string]any {
	return map[string]any{
		"name":            v.name,
		"state":           v.state,
		"protectionLevel": "HSM",
		"algorithm":       v.algorithm,
		"createTime":      "2026-01-02T03:04:05.678901Z",
	}
}

// get answers cryptoKeyVersions.get: GET /v1/NAME → a CryptoKeyVersion;
// it needs cloudkms.cryptoKeyVersions.get.
func (s *Server) get(w http.ResponseWriter, g grant, name string) {
	v, ok := s.find(w, g, name, permGet)
	if ok {
		writeJSON(w, http.StatusOK, versionJSON(v))
	}
}

// getPublicKey answers cryptoKeyVersions.getPublicKey: GET
// /v1/NAME/publicKey → {"pem","algorithm","pemCrc32c","name",
// "protectionLevel"}; it needs cloudkms.cryptoKeyVersions.viewPublicKey.
// A version that is not ENABLED answers FAILED_PRECONDITION.
func (s *Server) getPublicKey(w http.ResponseWriter, g grant, name string) {
	v, ok := s.find(w, g, name, permViewPublicKey)
	if !ok {
		return
	}
	if v.state != "ENABLED" {
		// Assumed wording; the status is FAILED_PRECONDITION.
		googleError(w, http.StatusBadRequest, "The request cannot be fulfilled. CryptoKeyVersion "+name+" is not enabled, current state is: "+v.state+".", "FAILED_PRECONDITION")
		return
	}
	if v.algorithm == "GOOGLE_SYMMETRIC_ENCRYPTION" {
		// The reference: "The CryptoKey.purpose must be ASYMMETRIC_SIGN or
		// ASYMMETRIC_DECRYPT". Assumed wording; the status is
		// FAILED_PRECONDITION.
		googleError(w, http.StatusBadRequest, "The request cannot be fulfilled. CryptoKey purpose ENCRYPT_DECRYPT has no public key.", "FAILED_PRECONDITION")
		return
	}
	var pub any = &ecKey().PublicKey
	if v.key != nil {
		pub = &v.key.PublicKey
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		s.tb.Errorf("gcpkmstest: public key: %v", err)
		googleError(w, http.StatusInternalServerError, "Internal error encountered.", "INTERNAL")
		return
	}
	p := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	writeJSON(w, http.StatusOK, map[string]any{
		"pem":             string(p),
		"algorithm":       v.algorithm,
		"pemCrc32c":       strconv.FormatUint(uint64(crc32.Checksum(p, castagnoli)), 10),
		"name":            name,
		"protectionLevel": "HSM",
	})
}

// list answers cryptoKeyVersions.list: GET /v1/KEY/cryptoKeyVersions
// [?pageSize=N&pageToken=T] → {"cryptoKeyVersions":[…],"nextPageToken",
// "totalSize"}; it needs cloudkms.cryptoKeyVersions.list. Versions come in
// order of their numbers.
func (s *Server) list(w http.ResponseWriter, r *http.Request, g grant, key string) {
	if key != s.cryptoKey() || !s.allowed(g.principal, permList) {
		googleError(w, http.StatusForbidden, "Permission '"+permList+"' denied on resource '"+key+"' (or it may not exist).", "PERMISSION_DENIED")
		return
	}
	all := s.versions()
	slices.SortFunc(all, func(a, b version) int { return number(a.name) - number(b.name) })
	size, start := defaultPageSize, 0
	if v := r.URL.Query().Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			googleError(w, http.StatusBadRequest, "Invalid value at 'page_size'.", "INVALID_ARGUMENT") // Assumed wording.
			return
		}
		if n > 0 {
			size = n
		}
	}
	if t := r.URL.Query().Get("pageToken"); t != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(t, "page-"))
		if err != nil || n < 0 || n > len(all) {
			googleError(w, http.StatusBadRequest, "Invalid page token.", "INVALID_ARGUMENT") // Assumed wording.
			return
		}
		start = n
	}
	end := min(start+size, len(all))
	var page []map[string]any
	for _, v := range all[start:end] {
		page = append(page, versionJSON(v))
	}
	out := map[string]any{"totalSize": len(all)}
	if len(page) > 0 {
		out["cryptoKeyVersions"] = page // omitted when empty, as proto3 JSON omits it
	}
	if end < len(all) {
		out["nextPageToken"] = "page-" + strconv.Itoa(end)
	}
	writeJSON(w, http.StatusOK, out)
}

// number returns the version number that ends a version's name.
func number(name string) int {
	i := strings.LastIndexByte(name, '/')
	n, _ := strconv.Atoi(name[i+1:])
	return n
}

// sign answers cryptoKeyVersions.asymmetricSign: POST /v1/NAME:asymmetricSign
// with {"digest":{"sha256":"…"}, "digestCrc32c":"…"} → {"signature",
// "signatureCrc32c", "verifiedDigestCrc32c", "name", "protectionLevel"}.
// It needs cloudkms.cryptoKeyVersions.useToSign (roles/cloudkms.signer).
// The signature is the version's algorithm's: RSASSA-PKCS1-v1_5 for
// RSA_SIGN_PKCS1_*, RSASSA-PSS with a salt as long as the digest for
// RSA_SIGN_PSS_* ("Key purposes and algorithms",
// cloud.google.com/kms/docs/algorithms), ECDSA for EC_SIGN_*.
func (s *Server) sign(w http.ResponseWriter, r *http.Request, g grant, name string) {
	v, ok := s.find(w, g, name, permSign)
	if !ok {
		return
	}
	var body struct {
		Digest struct {
			SHA256 []byte `json:"sha256"`
			SHA384 []byte `json:"sha384"`
			SHA512 []byte `json:"sha512"`
		} `json:"digest"`
		DigestCrc32c *string `json:"digestCrc32c"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&body); err != nil {
		googleError(w, http.StatusBadRequest, "Invalid JSON payload received.", "INVALID_ARGUMENT")
		return
	}
	if v.state != "ENABLED" {
		// Assumed wording; the status is FAILED_PRECONDITION.
		googleError(w, http.StatusBadRequest, "The request cannot be fulfilled. CryptoKeyVersion "+name+" is not enabled, current state is: "+v.state+".", "FAILED_PRECONDITION")
		return
	}
	if v.algorithm == "GOOGLE_SYMMETRIC_ENCRYPTION" {
		// Assumed wording; the status is FAILED_PRECONDITION.
		googleError(w, http.StatusBadRequest, "The request cannot be fulfilled. CryptoKey purpose ENCRYPT_DECRYPT does not support asymmetricSign; it requires ASYMMETRIC_SIGN.", "FAILED_PRECONDITION")
		return
	}
	digest := body.Digest.SHA256
	if len(digest) != 32 || body.Digest.SHA384 != nil || body.Digest.SHA512 != nil {
		// Assumed wording.
		googleError(w, http.StatusBadRequest, "The digest must be a SHA-256 digest (32 bytes) for algorithm "+v.algorithm+".", "INVALID_ARGUMENT")
		return
	}
	verified := false
	if body.DigestCrc32c != nil {
		// digestCrc32c is an Int64Value, a decimal string in JSON.
		want, err := strconv.ParseUint(*body.DigestCrc32c, 10, 32)
		if err != nil || uint32(want) != crc32.Checksum(digest, castagnoli) {
			// Assumed wording.
			googleError(w, http.StatusBadRequest, "The checksum in field digest_crc32c did not match the data in field digest.", "INVALID_ARGUMENT")
			return
		}
		verified = true
	}
	var sig []byte
	var err error
	switch {
	case strings.HasPrefix(v.algorithm, "EC_SIGN_"):
		sig, err = ecdsa.SignASN1(rand.Reader, ecKey(), digest)
	case strings.HasPrefix(v.algorithm, "RSA_SIGN_PSS_"):
		sig, err = rsa.SignPSS(rand.Reader, v.key, crypto.SHA256, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	default:
		sig, err = rsa.SignPKCS1v15(nil, v.key, crypto.SHA256, digest)
	}
	if err != nil {
		s.tb.Errorf("gcpkmstest: sign: %v", err)
		googleError(w, http.StatusInternalServerError, "Internal error encountered.", "INTERNAL")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"signature":            sig, // base64 in JSON, as the bytes type is
		"signatureCrc32c":      strconv.FormatUint(uint64(crc32.Checksum(sig, castagnoli)), 10),
		"verifiedDigestCrc32c": verified,
		"name":                 name,
		"protectionLevel":      "HSM",
	})
}
