package gcpkms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ghapptoken/app-token-action/internal/hint"
	"github.com/ghapptoken/app-token-action/internal/kms/kmshttp"
)

// maxPages bounds the pages of key versions read when the key names no
// version.
const maxPages = 20

// rs256 reports whether a Cloud KMS algorithm makes the signatures of
// RS256: RSA_SIGN_PKCS1_2048_SHA256, _3072_ or _4096_ ("Key purposes and
// algorithms", cloud.google.com/kms/docs/algorithms). The PSS algorithms
// make signatures of the same length that GitHub refuses.
func rs256(algorithm string) bool {
	return strings.HasPrefix(algorithm, "RSA_SIGN_PKCS1_") && strings.HasSuffix(algorithm, "_SHA256")
}

// cryptoKeyVersion is the part of a CryptoKeyVersion resource read here
// (REST reference, projects.locations.keyRings.cryptoKeys.cryptoKeyVersions):
// its name, state (ENABLED, DISABLED, DESTROYED…) and algorithm.
type cryptoKeyVersion struct {
	Name      string `json:"name"`
	State     string `json:"state"`
	Algorithm string `json:"algorithm"`
}

// keyVersion returns the resource name of the key version to sign with,
// found once per Signer. A version the key names is used as it is, with
// no request: asymmetricSign needs cloudkms.cryptoKeyVersions.useToSign
// alone (roles/cloudkms.signer), and a read of the version first would be
// refused to that role, a denial in the project's audit logs on every
// run. Its algorithm is read only to explain a refusal (see
// [Signer.ExplainRefusal]). If the key names no version, the
// highest-numbered ENABLED version with an RSA_SIGN_PKCS1_*_SHA256
// algorithm is chosen, which needs cryptoKeyVersions.list.
func (s *Signer) keyVersion(ctx context.Context, token, who string, secrets []string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.version != "" {
		return s.version, nil
	}
	if s.number != "" {
		s.version = s.key + "/cryptoKeyVersions/" + s.number
		return s.version, nil
	}
	name, algorithm, err := s.chooseVersion(ctx, token, who, secrets)
	if err != nil {
		return "", err
	}
	s.version, s.algorithm = name, algorithm
	return name, nil
}

// ExplainRefusal returns the next step after GitHub refused (401) a JWT
// that s signed, from what the key version tells: an algorithm that does
// not make RS256 signatures (RSA_SIGN_PSS_*, of the same length, is the
// one GitHub sees), or an RS256 one, whose key then is not the app's. The
// algorithm is read only now, so that a run that succeeds makes no
// request roles/cloudkms.signer is refused. If it cannot be read, the next
// step says which algorithms work and which role would let the action
// check. It returns "" if s has not signed.
func (s *Signer) ExplainRefusal(ctx context.Context) string {
	name, algorithm, who, signed := s.signedAlgorithm(ctx)
	switch {
	case !signed:
		return ""
	case algorithm == "":
		return fmt.Sprintf("check key version %s: its algorithm must be RSA_SIGN_PKCS1_*_SHA256 (RSA_SIGN_PKCS1_2048_SHA256, RSA_SIGN_PKCS1_3072_SHA256 or RSA_SIGN_PKCS1_4096_SHA256; GitHub refuses the signatures of RSA_SIGN_PSS_*), "+
			"and it must hold the private key of the app in {client-id}; the action could not read the algorithm: grant roles/cloudkms.signerVerifier on the key to %s "+
			"(permission cloudkms.cryptoKeyVersions.viewPublicKey besides .useToSign) so that it names the algorithm it finds", name, who)
	case !rs256(algorithm):
		return notRS256(name, algorithm) + ", so GitHub cannot verify the app's JWT; " + algorithmHint
	}
	return fmt.Sprintf("key version %s has algorithm %s, which makes RS256 signatures, so the key it holds is not the app's, or the runner's clock is off: "+
		"import the private key of the app in {client-id} into a version of the key and name that version in {signing-key}", name, algorithm)
}

// SignatureDetail says, after a signature that is not RS256's (see
// [appjwt.RemoteSigner]), which algorithm the key version has, if it can
// be read; else "". Like [Signer.ExplainRefusal], it reads the version
// only after such a failure.
func (s *Signer) SignatureDetail(ctx context.Context) string {
	name, algorithm, _, signed := s.signedAlgorithm(ctx)
	if !signed || algorithm == "" || rs256(algorithm) {
		return ""
	}
	return notRS256(name, algorithm)
}

// notRS256 says that key version name's algorithm makes no RS256
// signatures.
func notRS256(name, algorithm string) string {
	return fmt.Sprintf("key version %s has algorithm %s, which does not make RS256 signatures (RSASSA-PKCS1-v1_5 with SHA-256)", name, algorithm)
}

// signedAlgorithm returns the key version that s signed with, its
// algorithm (known from the choice of the version, else read now; "" if
// it cannot be read) and whom the credential stands for, or signed false
// if s has not signed. The credential comes from the cache
// ([kmshttp.Cached]): the one that signed, unless it has run low since,
// when it is fetched again.
func (s *Signer) signedAlgorithm(ctx context.Context) (name, algorithm, who string, signed bool) {
	s.mu.Lock()
	name, algorithm = s.version, s.algorithm
	s.mu.Unlock()
	if name == "" {
		return "", "", "", false
	}
	c, err := s.creds.Get(ctx)
	if err != nil {
		return "", "", "", false
	}
	if algorithm == "" {
		if v, ok := s.readVersion(ctx, c.token, name, c.secrets); ok {
			algorithm = v.Algorithm
		}
	}
	return name, algorithm, c.who, true
}

// readVersion reads key version name's algorithm and state, to explain a
// refusal: with getPublicKey (permission
// cloudkms.cryptoKeyVersions.viewPublicKey, in
// roles/cloudkms.signerVerifier and roles/cloudkms.publicKeyViewer), else
// with get (cloudkms.cryptoKeyVersions.get, in roles/cloudkms.viewer);
// both answers hold "algorithm" (Cloud KMS REST reference, PublicKey and
// CryptoKeyVersion). getPublicKey answers FAILED_PRECONDITION for a
// version that is not enabled, whose state get tells. It reports false if
// the principal may do neither (roles/cloudkms.signer alone), or neither
// answered.
func (s *Signer) readVersion(ctx context.Context, token, name string, secrets []string) (cryptoKeyVersion, bool) {
	c := s.o.Client("GCP KMS")
	resp, err := c.Do(ctx, "get the public key of "+name, s.getter(s.kmsURL+"/"+name+"/publicKey", token), parseGoogleError, secrets...)
	if err != nil {
		resp, err = c.Do(ctx, "get key version "+name, s.getter(s.kmsURL+"/"+name, token), parseGoogleError, secrets...)
	}
	var v cryptoKeyVersion
	if err != nil || json.Unmarshal(resp.Body, &v) != nil || v.Algorithm == "" {
		return cryptoKeyVersion{}, false
	}
	return v, true
}

// chooseVersion lists the key's versions (cryptoKeyVersions.list,
// permission cloudkms.cryptoKeyVersions.list, following nextPageToken) and
// returns the highest-numbered ENABLED one with an RS256 algorithm.
func (s *Signer) chooseVersion(ctx context.Context, token, who string, secrets []string) (name, algorithm string, err error) {
	c := s.o.Client("GCP KMS")
	bestN := -1
	var seen []string
	pageToken := ""
	for range maxPages {
		u := s.kmsURL + "/" + s.key + "/cryptoKeyVersions"
		if pageToken != "" {
			u += "?pageToken=" + url.QueryEscape(pageToken)
		}
		resp, err := c.Do(ctx, "list the versions of "+s.key, s.getter(u, token), parseGoogleError, secrets...)
		if denied(err) {
			return "", "", hint.New(err, fmt.Sprintf("name the key version in {signing-key} (…/cryptoKeyVersions/N), or grant roles/cloudkms.viewer (permission cloudkms.cryptoKeyVersions.list) on the key to %s so that the newest RS256 version can be chosen; check that the key exists", who))
		}
		if err != nil {
			return "", "", explainSign(err, who, s.federated)
		}
		var page struct {
			Versions      []cryptoKeyVersion `json:"cryptoKeyVersions"`
			NextPageToken string             `json:"nextPageToken"`
		}
		if err := json.Unmarshal(resp.Body, &page); err != nil {
			return "", "", fmt.Errorf("GCP KMS list the versions of %s: the answer is not a list of versions", s.key)
		}
		for _, v := range page.Versions {
			_, num, _ := strings.Cut(v.Name, "/cryptoKeyVersions/")
			n, err := strconv.Atoi(num)
			if err != nil || !strings.HasPrefix(v.Name, s.key+"/") {
				continue
			}
			if len(seen) < 10 {
				seen = append(seen, fmt.Sprintf("%d %s %s", n, v.Algorithm, v.State))
			}
			if v.State == "ENABLED" && rs256(v.Algorithm) && n > bestN {
				name, algorithm, bestN = v.Name, v.Algorithm, n
			}
		}
		if pageToken = page.NextPageToken; pageToken == "" {
			break
		}
	}
	if name == "" {
		found := "it has none"
		if len(seen) > 0 {
			found = "it has: " + strings.Join(seen, ", ")
		}
		return "", "", hint.New(fmt.Errorf("GCP KMS: key %s has no ENABLED version with algorithm RSA_SIGN_PKCS1_*_SHA256 (%s)", s.key, found), algorithmHint)
	}
	return name, algorithm, nil
}

// denied reports whether err is Cloud KMS's 403, which it answers both
// for a missing permission and for a resource that does not exist.
func denied(err error) bool {
	var e *kmshttp.Error
	return errors.As(err, &e) && (e.Status == http.StatusForbidden || e.Status == http.StatusNotFound)
}

// getter returns a builder of a GET of u with a bearer token.
func (s *Signer) getter(u, token string) func(context.Context) (*http.Request, error) {
	return func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Accept", "application/json")
		return req, nil
	}
}
