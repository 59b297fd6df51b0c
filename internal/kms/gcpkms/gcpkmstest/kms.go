package gcpkmstest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
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

// serveKMS answers cryptoKeyVersions.asymmetricSign
// (cloud.google.com/kms/docs/reference/rest/v1/projects.locations.keyRings.cryptoKeys.cryptoKeyVersions/asymmetricSign):
// POST /v1/NAME:asymmetricSign with {"digest":{"sha256":"…"},
// "digestCrc32c":"…"} → {"signature","signatureCrc32c",
// "verifiedDigestCrc32c","name","protectionLevel"}. Authorization needs
// cloudkms.cryptoKeyVersions.useToSign on NAME (roles/cloudkms.signer) and
// the cloud-platform or cloudkms scope.
func (s *Server) serveKMS(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/cloudkms/v1/"), ":asymmetricSign")
	if !ok || r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/cloudkms/v1/projects/") {
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
	// Cloud KMS answers 403 both for a key the caller may not use and for
	// one that does not exist ("or it may not exist").
	if name != s.cfg.KeyName || !match(s.cfg.Signers, g.principal) {
		googleError(w, http.StatusForbidden, "Permission 'cloudkms.cryptoKeyVersions.useToSign' denied on resource '"+name+"' (or it may not exist).", "PERMISSION_DENIED")
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
	if s.cfg.Disabled {
		// Assumed wording; the status is FAILED_PRECONDITION.
		googleError(w, http.StatusBadRequest, "The request cannot be fulfilled. CryptoKeyVersion "+name+" is not enabled, current state is: DISABLED.", "FAILED_PRECONDITION")
		return
	}
	if s.cfg.Algorithm == "GOOGLE_SYMMETRIC_ENCRYPTION" {
		// Assumed wording; the status is FAILED_PRECONDITION.
		googleError(w, http.StatusBadRequest, "The request cannot be fulfilled. CryptoKey purpose ENCRYPT_DECRYPT does not support asymmetricSign; it requires ASYMMETRIC_SIGN.", "FAILED_PRECONDITION")
		return
	}
	digest := body.Digest.SHA256
	if len(digest) != 32 || body.Digest.SHA384 != nil || body.Digest.SHA512 != nil {
		// Assumed wording.
		googleError(w, http.StatusBadRequest, "The digest must be a SHA-256 digest (32 bytes) for algorithm "+s.cfg.Algorithm+".", "INVALID_ARGUMENT")
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
	if strings.HasPrefix(s.cfg.Algorithm, "EC_SIGN_") {
		sig, err = ecdsa.SignASN1(rand.Reader, ecKey(), digest)
	} else {
		sig, err = rsa.SignPKCS1v15(nil, s.cfg.Key, crypto.SHA256, digest)
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
