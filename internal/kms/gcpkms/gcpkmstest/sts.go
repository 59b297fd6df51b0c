package gcpkmstest

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ghapptoken/app-token-action/internal/oidc/oidctest"
)

const cloudPlatform = "https://www.googleapis.com/auth/cloud-platform"

// stsRequest is the token exchange request. Source: STS v1 "Method:
// token" (cloud.google.com/iam/docs/reference/sts/rest/v1/TopLevel/token):
// grantType, audience, scope, requestedTokenType, subjectToken,
// subjectTokenType; RFC 8693 section 2.1 gives the form-encoded
// snake_case names, which Google's auth libraries send.
// google-github-actions/auth sends the JSON camelCase form.
type stsRequest struct {
	GrantType, Audience, Scope, RequestedTokenType, SubjectToken, SubjectTokenType string
}

func readSTSRequest(w http.ResponseWriter, r *http.Request) (stsRequest, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		var j struct {
			GrantType          string `json:"grantType"`
			Audience           string `json:"audience"`
			Scope              string `json:"scope"`
			RequestedTokenType string `json:"requestedTokenType"`
			SubjectToken       string `json:"subjectToken"`
			SubjectTokenType   string `json:"subjectTokenType"`
		}
		err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&j)
		return stsRequest(j), err
	}
	if ct != "application/x-www-form-urlencoded" {
		return stsRequest{}, errors.New("unsupported content type")
	}
	if err := r.ParseForm(); err != nil {
		return stsRequest{}, err
	}
	f := r.PostForm
	return stsRequest{f.Get("grant_type"), f.Get("audience"), f.Get("scope"), f.Get("requested_token_type"), f.Get("subject_token"), f.Get("subject_token_type")}, nil
}

// stsError answers an OAuth 2.0 error (RFC 6749 section 5.2), as STS does:
// {"error":"invalid_grant","error_description":"…"}.
func stsError(w http.ResponseWriter, code int, errCode, description string) {
	writeJSON(w, code, map[string]string{"error": errCode, "error_description": description})
}

func (s *Server) serveSTS(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/sts/v1/token" || r.Method != http.MethodPost {
		googleError(w, http.StatusNotFound, "Method not found.", "NOT_FOUND")
		return
	}
	req, err := readSTSRequest(w, r)
	if err != nil {
		stsError(w, http.StatusBadRequest, "invalid_request", "Request body could not be parsed.") // Assumed wording.
		return
	}
	// The required values, per the STS reference page.
	switch {
	case req.GrantType != "urn:ietf:params:oauth:grant-type:token-exchange":
		stsError(w, http.StatusBadRequest, "unsupported_grant_type", "Unsupported grant type: "+req.GrantType) // Assumed wording.
		return
	case req.RequestedTokenType != "urn:ietf:params:oauth:token-type:access_token":
		stsError(w, http.StatusBadRequest, "invalid_request", "Invalid requested token type.") // Assumed wording.
		return
	case req.SubjectTokenType != "urn:ietf:params:oauth:token-type:jwt" && req.SubjectTokenType != "urn:ietf:params:oauth:token-type:id_token":
		stsError(w, http.StatusBadRequest, "invalid_request", "Invalid subject token type.") // Assumed wording.
		return
	}
	name, ok := strings.CutPrefix(req.Audience, "//iam.googleapis.com/")
	var p *Provider
	for i := range s.cfg.Providers {
		if ok && s.cfg.Providers[i].Name == name {
			p = &s.cfg.Providers[i]
		}
	}
	if p == nil {
		// Assumed: STS's answer for a missing or disabled pool or provider.
		stsError(w, http.StatusBadRequest, "invalid_target", `The target service indicated by the "audience" parameters is invalid. This might either be because the pool or provider is disabled or deleted or because it doesn't exist.`)
		return
	}
	// The provider's allowed audiences; empty: its full name with or without
	// https: (WorkloadIdentityPoolProvider.Oidc.allowedAudiences, IAM API
	// reference).
	audiences := p.AllowedAudiences
	if len(audiences) == 0 {
		audiences = []string{"//iam.googleapis.com/" + p.Name, "https://iam.googleapis.com/" + p.Name}
	}
	claims, err := verifyAny(req.SubjectToken, audiences)
	if err != nil {
		var ae audienceError
		if errors.As(err, &ae) {
			// Assumed wording, after reports of STS's answer.
			stsError(w, http.StatusBadRequest, "invalid_grant", "The audience in ID Token ["+string(ae)+"] does not match the expected audience.")
			return
		}
		stsError(w, http.StatusBadRequest, "invalid_grant", "The ID Token could not be verified.") // Assumed wording.
		return
	}
	sub, _ := claims["sub"].(string)
	if p.Subject != "" && !oidctest.MatchSubject(p.Subject, sub) {
		// The answer users report: 400 unauthorized_client.
		stsError(w, http.StatusBadRequest, "unauthorized_client", "The given credential is rejected by the attribute condition.")
		return
	}
	pool, _, _ := strings.Cut(p.Name, "/providers/")
	scopes := strings.Fields(req.Scope)
	tok := s.issue("ya29.d.federated-", "principal://iam.googleapis.com/"+pool+"/subject/"+sub, scopes, time.Hour)
	// The response of ExchangeToken (STS reference): access_token,
	// issued_token_type, token_type, expires_in.
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token":      tok,
		"issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
		"token_type":        "Bearer",
		"expires_in":        3600,
	})
}

// audienceError is a token's audience that no allowed audience matches.
type audienceError string

func (a audienceError) Error() string { return "audience " + string(a) + " not allowed" }

// verifyAny verifies token with oidctest.Verify for any of audiences.
func verifyAny(token string, audiences []string) (jwt.MapClaims, error) {
	var err error
	for _, aud := range audiences {
		var c jwt.MapClaims
		if c, err = oidctest.Verify(token, aud); err == nil {
			return c, nil
		}
	}
	// Tell a wrong audience from a bad token: the token verifies for its
	// own audience.
	var c jwt.MapClaims
	if _, _, perr := jwt.NewParser().ParseUnverified(token, &c); perr == nil {
		if got, _ := c.GetAudience(); len(got) > 0 && !slices.Contains(audiences, got[0]) {
			if _, verr := oidctest.Verify(token, got[0]); verr == nil {
				return nil, audienceError(strings.Join(got, ","))
			}
		}
	}
	return nil, err
}
