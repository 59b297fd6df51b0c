package githubapitest

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// GitHub's own words for authentication failures.
const (
	msgRequiresAuth        = "Requires authentication"
	msgBadCredentials      = "Bad credentials"
	msgJWTDecode           = "A JSON web token could not be decoded"
	msgIssuedAt            = "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued."
	msgExpTooFar           = "'Expiration time' claim ('exp') is too far in the future"
	msgExpNotFuture        = "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires."
	msgIssuerNotInteger    = "'Issuer' claim ('iss') must be an Integer"
	msgIntegrationNotFound = "Integration not found"
)

const (
	// iatLeeway is how far in the future an app JWT's iat may lie, to
	// absorb clock drift between the app and GitHub. Assumed: GitHub
	// documents no leeway; it only advises setting iat 60 s in the past.
	iatLeeway = 60
	// maxJWTLifetime is the longest an app JWT may live, in seconds. That
	// exp may be at most 10 minutes past now is documented ("Generating a
	// JSON Web Token (JWT) for a GitHub App"). Assumed: that exp - iat is
	// held to the same limit.
	maxJWTLifetime = 600
)

// authError is a refused credential: the status and message to answer.
type authError struct {
	status  int
	message string
}

// credentialOf returns the credential of a request's Authorization header
// ("Bearer X" or "token X"). A header with another scheme is returned whole,
// so it fails every check. It reports false when there is no header.
func credentialOf(r *http.Request) (string, bool) {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	if h == "" {
		return "", false
	}
	scheme, value, ok := strings.Cut(h, " ")
	if ok && (strings.EqualFold(scheme, "bearer") || strings.EqualFold(scheme, "token")) {
		return strings.TrimSpace(value), true
	}
	return h, true
}

// looksLikeJWT reports whether a credential has a JWT's three parts and is
// not a GitHub token (new-style installation tokens embed a JWT).
func looksLikeJWT(cred string) bool {
	return !strings.HasPrefix(cred, "gh") && !strings.HasPrefix(cred, "github_pat_") &&
		strings.Count(cred, ".") == 2
}

// authApp checks that a request carries a valid JWT of the app. When it does
// not, authApp answers as GitHub does and returns false.
func (s *Server) authApp(w http.ResponseWriter, r *http.Request) bool {
	cred, ok := credentialOf(r)
	if !ok {
		s.fail(w, http.StatusUnauthorized, msgRequiresAuth, docRoot)
		return false
	}
	if !looksLikeJWT(cred) {
		// GitHub tries to decode whatever it gets on app endpoints.
		s.fail(w, http.StatusUnauthorized, msgJWTDecode, docRoot)
		return false
	}
	if e := s.checkJWT(cred, s.now()); e != nil {
		s.fail(w, e.status, e.message, docRoot)
		return false
	}
	return true
}

// checkJWT verifies an app JWT the way GitHub does: RS256 signed by the
// app's key, iss the app ID (string or number) or client ID, iat not in the
// future beyond a small leeway, exp in the future but at most ten minutes
// after iat and after now.
func (s *Server) checkJWT(raw string, now time.Time) *authError {
	claims := jwt.MapClaims{}
	var refused *authError
	p := jwt.NewParser(jwt.WithJSONNumber(), jwt.WithoutClaimsValidation(),
		jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}))
	// The parser calls the key function after decoding an RS256 token and
	// before checking its signature: GitHub finds the app by the issuer
	// first, so an unknown app is 404 whatever the signature.
	_, err := p.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) {
		if refused = s.checkIssuer(claims["iss"]); refused != nil {
			return nil, errors.New("issuer refused")
		}
		return &s.cfg.App.Key.PublicKey, nil
	})
	switch {
	case refused != nil:
		return refused
	case err != nil:
		return &authError{http.StatusUnauthorized, msgJWTDecode}
	}
	n := now.Unix()
	iat, iatOK := integerClaim(claims["iat"])
	exp, expOK := integerClaim(claims["exp"])
	switch {
	case !expOK || exp <= n:
		return &authError{http.StatusUnauthorized, msgExpNotFuture}
	case !iatOK || iat > n+iatLeeway:
		return &authError{http.StatusUnauthorized, msgIssuedAt}
	case exp-iat > maxJWTLifetime || exp > n+maxJWTLifetime:
		return &authError{http.StatusUnauthorized, msgExpTooFar}
	}
	return nil
}

// checkIssuer accepts the app ID, as a string or a number, or the client ID.
// Another integer names an app GitHub does not know; anything else is not
// an app ID at all.
func (s *Server) checkIssuer(iss any) *authError {
	var id int64
	switch v := iss.(type) {
	case json.Number:
		n, err := v.Int64()
		if err != nil {
			return &authError{http.StatusUnauthorized, msgIssuerNotInteger}
		}
		id = n
	case string:
		if s.cfg.App.ClientID != "" && v == s.cfg.App.ClientID {
			return nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return &authError{http.StatusUnauthorized, msgIssuerNotInteger}
		}
		id = n
	default:
		return &authError{http.StatusUnauthorized, msgIssuerNotInteger}
	}
	if id != s.cfg.App.ID {
		return &authError{http.StatusNotFound, msgIntegrationNotFound}
	}
	return nil
}

// integerClaim returns a numeric claim that is a whole number.
func integerClaim(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}

// authToken checks that a request carries a live installation token. When
// it does not, authToken answers as GitHub does and returns false.
func (s *Server) authToken(w http.ResponseWriter, r *http.Request) (*IssuedToken, bool) {
	cred, ok := credentialOf(r)
	if !ok {
		s.fail(w, http.StatusUnauthorized, msgRequiresAuth, docRoot)
		return nil, false
	}
	t := s.liveToken(cred)
	if t == nil {
		s.fail(w, http.StatusUnauthorized, msgBadCredentials, docRoot)
		return nil, false
	}
	return t, true
}

// authAny checks the credential of a request to a public endpoint: none, a
// live installation token or a valid app JWT. When the credential is bad,
// authAny answers as GitHub does and returns false.
func (s *Server) authAny(w http.ResponseWriter, r *http.Request) bool {
	cred, ok := credentialOf(r)
	switch {
	case !ok:
		return true
	case s.lagging(cred):
		// A token minted moments ago that has not reached every replica
		// is not known yet.
		s.fail(w, http.StatusUnauthorized, msgBadCredentials, docRoot)
		return false
	case s.liveToken(cred) != nil:
		return true
	case s.issued(cred):
		s.fail(w, http.StatusUnauthorized, msgBadCredentials, docRoot)
		return false
	case looksLikeJWT(cred):
		if e := s.checkJWT(cred, s.now()); e != nil {
			s.fail(w, e.status, e.message, docRoot)
			return false
		}
		return true
	}
	s.fail(w, http.StatusUnauthorized, msgBadCredentials, docRoot)
	return false
}

// liveToken returns a copy of the issued token cred when it is neither
// revoked nor expired, else nil.
func (s *Server) liveToken(cred string) *IssuedToken {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.byValue[cred]
	if t == nil || t.Revoked || !now.Before(t.ExpiresAt) {
		return nil
	}
	c := t.snapshot()
	return &c
}

// issued reports whether cred is a token the server issued.
func (s *Server) issued(cred string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byValue[cred] != nil
}
