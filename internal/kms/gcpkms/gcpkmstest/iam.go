package gcpkmstest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
)

// msgUnauthenticated is Google's answer to a missing or invalid bearer
// token (401 UNAUTHENTICATED).
const msgUnauthenticated = "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."

// serveIAMCredentials answers projects.serviceAccounts.generateAccessToken
// (cloud.google.com/iam/docs/reference/credentials/rest/v1/projects.serviceAccounts/generateAccessToken):
// POST /v1/projects/-/serviceAccounts/SA:generateAccessToken with
// {"scope":[…],"lifetime":"600s"} → {"accessToken":"…","expireTime":"…"}.
// It needs iam.serviceAccounts.getAccessToken on SA, which
// roles/iam.workloadIdentityUser grants to federated principals.
func (s *Server) serveIAMCredentials(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/iamcredentials/v1/projects/-/serviceAccounts/")
	sa, ok2 := strings.CutSuffix(rest, ":generateAccessToken")
	if !ok || !ok2 || r.Method != http.MethodPost {
		googleError(w, http.StatusNotFound, "Method not found.", "NOT_FOUND")
		return
	}
	g, ok := s.bearer(r)
	if !ok {
		googleError(w, http.StatusUnauthorized, msgUnauthenticated, "UNAUTHENTICATED")
		return
	}
	var body struct {
		Scope    []string `json:"scope"`
		Lifetime string   `json:"lifetime"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&body); err != nil {
		googleError(w, http.StatusBadRequest, "Invalid JSON payload received.", "INVALID_ARGUMENT")
		return
	}
	if len(body.Scope) == 0 {
		googleError(w, http.StatusBadRequest, "Scope required.", "INVALID_ARGUMENT") // Assumed wording.
		return
	}
	life := time.Hour // the documented default
	if body.Lifetime != "" {
		d, err := time.ParseDuration(body.Lifetime)
		// The documented maximum is one hour (without the org policy that
		// extends it to 12 hours).
		if err != nil || !strings.HasSuffix(body.Lifetime, "s") || d <= 0 || d > time.Hour {
			googleError(w, http.StatusBadRequest, "The lifetime must be between 1s and 3600s.", "INVALID_ARGUMENT") // Assumed wording.
			return
		}
		life = d
	}
	i := slices.IndexFunc(s.cfg.ServiceAccounts, func(a ServiceAccount) bool { return a.Email == sa })
	// Google's words for a denied permission, as users report them.
	if i < 0 || !match(s.cfg.ServiceAccounts[i].Users, g.principal) {
		googleError(w, http.StatusForbidden, "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).", "PERMISSION_DENIED")
		return
	}
	tok := s.issue("ya29.c.sa-", "serviceAccount:"+sa, body.Scope, life)
	writeJSON(w, http.StatusOK, map[string]string{
		"accessToken": tok,
		"expireTime":  time.Now().Add(life).UTC().Format(time.RFC3339),
	})
}
