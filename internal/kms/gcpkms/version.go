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
// checked once per Signer: the version the key names, whose algorithm
// must be RSA_SIGN_PKCS1_*_SHA256, or, if it names none, the
// highest-numbered ENABLED version with such an algorithm.
//
// A named version's algorithm is read with getPublicKey (permission
// cloudkms.cryptoKeyVersions.viewPublicKey, in roles/cloudkms.signerVerifier,
// the least role that both signs and reads it), or else with
// cryptoKeyVersions.get (cloudkms.cryptoKeyVersions.get, in
// roles/cloudkms.viewer); both answers hold "algorithm" (Cloud KMS REST
// reference, PublicKey and CryptoKeyVersion). If the principal may do
// neither (roles/cloudkms.signer alone), the version is used unchecked.
func (s *Signer) keyVersion(ctx context.Context, token, who string, secrets []string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.version != "" {
		return s.version, nil
	}
	var name string
	var err error
	if s.number == "" {
		name, err = s.chooseVersion(ctx, token, who, secrets)
	} else {
		name, err = s.checkVersion(ctx, token, who, secrets)
	}
	if err != nil {
		return "", err
	}
	s.version = name
	return name, nil
}

// checkVersion reads the named version's algorithm and state and refuses
// a version that cannot sign RS256.
func (s *Signer) checkVersion(ctx context.Context, token, who string, secrets []string) (string, error) {
	name := s.key + "/cryptoKeyVersions/" + s.number
	c := s.o.Client("GCP KMS")
	resp, err := c.Do(ctx, "get the public key of "+name, s.getter(s.kmsURL+"/"+name+"/publicKey", token), parseGoogleError, secrets...)
	if denied(err) || failedPrecondition(err) {
		// No viewPublicKey, or a version that is not enabled, which get
		// names.
		resp, err = c.Do(ctx, "get key version "+name, s.getter(s.kmsURL+"/"+name, token), parseGoogleError, secrets...)
		if denied(err) {
			// Neither permission: asymmetricSign tells the rest.
			return name, nil
		}
	}
	if err != nil {
		return "", explainSign(err, who, s.federated)
	}
	var v cryptoKeyVersion
	if json.Unmarshal(resp.Body, &v) != nil || v.Algorithm == "" {
		return "", fmt.Errorf("GCP KMS get key version %s: the answer holds no algorithm", name)
	}
	if v.State != "" && v.State != "ENABLED" {
		return "", hint.New(fmt.Errorf("GCP KMS: key version %s is %s, not ENABLED", name, v.State),
			"enable the key version (gcloud kms keys versions enable), or name another in {signing-key}")
	}
	if !rs256(v.Algorithm) {
		return "", hint.New(fmt.Errorf("GCP KMS: key version %s has algorithm %s, which does not make RS256 signatures (RSASSA-PKCS1-v1_5 with SHA-256); GitHub would refuse the app's JWT", name, v.Algorithm),
			algorithmHint)
	}
	return name, nil
}

// chooseVersion lists the key's versions (cryptoKeyVersions.list,
// permission cloudkms.cryptoKeyVersions.list, following nextPageToken) and
// returns the highest-numbered ENABLED one with an RS256 algorithm.
func (s *Signer) chooseVersion(ctx context.Context, token, who string, secrets []string) (string, error) {
	c := s.o.Client("GCP KMS")
	best, bestN := "", -1
	var seen []string
	pageToken := ""
	for range maxPages {
		u := s.kmsURL + "/" + s.key + "/cryptoKeyVersions"
		if pageToken != "" {
			u += "?pageToken=" + url.QueryEscape(pageToken)
		}
		resp, err := c.Do(ctx, "list the versions of "+s.key, s.getter(u, token), parseGoogleError, secrets...)
		if denied(err) {
			return "", hint.New(err, fmt.Sprintf("name the key version in {signing-key} (…/cryptoKeyVersions/N), or grant roles/cloudkms.viewer (permission cloudkms.cryptoKeyVersions.list) on the key to %s so that the newest RS256 version can be chosen; check that the key exists", who))
		}
		if err != nil {
			return "", explainSign(err, who, s.federated)
		}
		var page struct {
			Versions      []cryptoKeyVersion `json:"cryptoKeyVersions"`
			NextPageToken string             `json:"nextPageToken"`
		}
		if err := json.Unmarshal(resp.Body, &page); err != nil {
			return "", fmt.Errorf("GCP KMS list the versions of %s: the answer is not a list of versions", s.key)
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
				best, bestN = v.Name, n
			}
		}
		if pageToken = page.NextPageToken; pageToken == "" {
			break
		}
	}
	if best == "" {
		found := "it has none"
		if len(seen) > 0 {
			found = "it has: " + strings.Join(seen, ", ")
		}
		return "", hint.New(fmt.Errorf("GCP KMS: key %s has no ENABLED version with algorithm RSA_SIGN_PKCS1_*_SHA256 (%s)", s.key, found), algorithmHint)
	}
	return best, nil
}

// denied reports whether err is Cloud KMS's 403, which it answers both
// for a missing permission and for a resource that does not exist.
func denied(err error) bool {
	var e *kmshttp.Error
	return errors.As(err, &e) && (e.Status == http.StatusForbidden || e.Status == http.StatusNotFound)
}

// failedPrecondition reports whether err is FAILED_PRECONDITION, which
// getPublicKey answers for a version that is not enabled.
func failedPrecondition(err error) bool {
	var e *kmshttp.Error
	return errors.As(err, &e) && e.Code == "FAILED_PRECONDITION"
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
