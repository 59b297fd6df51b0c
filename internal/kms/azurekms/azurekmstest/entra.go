package azurekmstest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/ghapptoken/app-token-action/internal/oidc/oidctest"
)

const (
	// assertionType is the only client_assertion_type of the client
	// credentials grant with a certificate or federated credential ("OAuth
	// 2.0 client credentials flow", second and third cases).
	assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	// defaultAudience is the audience Entra ID recommends for federated
	// credentials ("Workload identity federation").
	defaultAudience = "api://AzureADTokenExchange"
	// tokenLifetime is expires_in of an access token, as in the documented
	// success response.
	tokenLifetime = 3599
)

// resources are the resource IDs the emulated tenant knows, by the scope
// a client names (RESOURCE/.default).
var resources = []string{
	"https://vault.azure.net",
	"https://managedhsm.azure.net",
	"https://management.azure.com",
	"https://graph.microsoft.com",
}

// token is Entra ID's token endpoint, for the client credentials grant
// with a federated credential only: POST /{tenant}/oauth2/v2.0/token, form
// client_id, scope, grant_type=client_credentials, client_assertion_type,
// client_assertion → {"token_type","expires_in","ext_expires_in",
// "access_token"} (Microsoft identity platform, "OAuth 2.0 client
// credentials flow", third case and "Successful response").
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	tenant := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/"), "/oauth2/v2.0/token")
	if r.Method != http.MethodPost {
		// Assumed: the status; the code and text are Entra ID's.
		entraError(w, http.StatusMethodNotAllowed, "invalid_request", 900561, "The endpoint only accepts POST requests. Received a "+r.Method+" request.")
		return
	}
	if !strings.EqualFold(tenant, s.tenant) {
		// AADSTS90002, from real answers (invalid_request, 400).
		entraError(w, http.StatusBadRequest, "invalid_request", 90002, fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.", tenant))
		return
	}
	if err := r.ParseForm(); err != nil || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		// Assumed: the answer to a body that is not a form.
		entraError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
		return
	}
	// AADSTS900144 names a missing parameter (real answers: "The request
	// body must contain the following parameter: 'X'.").
	for _, p := range []string{"grant_type", "client_id", "scope"} {
		if r.PostForm.Get(p) == "" {
			entraError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: '"+p+"'.")
			return
		}
	}
	if g := r.PostForm.Get("grant_type"); g != "client_credentials" {
		// Assumed: the text of AADSTS70003.
		entraError(w, http.StatusBadRequest, "unsupported_grant_type", 70003, "The app requested an unsupported grant type '"+g+"'.")
		return
	}
	assertion := r.PostForm.Get("client_assertion")
	if assertion == "" {
		// AADSTS7000218, from real answers.
		entraError(w, http.StatusUnauthorized, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
		return
	}
	if r.PostForm.Get("client_assertion_type") != assertionType {
		// Assumed: the answer to a wrong assertion type.
		entraError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'client_assertion_type'.")
		return
	}
	clientID := r.PostForm.Get("client_id")
	a := s.apps[strings.ToLower(clientID)]
	if a == nil {
		// AADSTS700016 (unauthorized_client), from real answers. Assumed:
		// status 400.
		entraError(w, http.StatusBadRequest, "unauthorized_client", 700016, fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", clientID, tenant))
		return
	}
	scope := r.PostForm.Get("scope")
	resource, ok := strings.CutSuffix(scope, "/.default")
	if !ok || strings.Contains(scope, " ") || !slices.Contains(resources, strings.TrimSuffix(resource, "/")) {
		// AADSTS500011 (invalid_resource), from real answers. Assumed:
		// that a scope without /.default is answered alike.
		entraError(w, http.StatusBadRequest, "invalid_resource", 500011, fmt.Sprintf("The resource principal named %s was not found in the tenant named %s. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.", resource, tenant))
		return
	}
	if status, code, num, msg := s.trust(a, assertion); status != 0 {
		entraError(w, status, code, num, msg)
		return
	}
	tok := s.issue(a.ClientID, a.objectID, strings.TrimSuffix(resource, "/"))
	writeJSON(w, http.StatusOK, fmt.Sprintf(`{"token_type":"Bearer","expires_in":%d,"ext_expires_in":%d,"access_token":%q}`, tokenLifetime, tokenLifetime, tok))
}

// trust checks the assertion against the app's federated credentials:
// issuer, then subject, then audience must match one credential, and the
// token must be valid. It returns the refusal, or status 0.
//
// The texts of AADSTS700211 (issuer) and 700213 (subject) are from real
// answers (Azure/azure-workload-identity#1200, dotnet/maui#31978), with
// error invalid_client; the 401 status is from a real answer of the same
// family (microsoft/Agents#202, AADSTS7002137). Assumed: the order of the
// checks, and the text of AADSTS700212 (audience) and AADSTS50013 (an
// assertion that fails validation).
func (s *Server) trust(a *app, assertion string) (status int, code string, num int, msg string) {
	iss, sub, auds := peek(assertion)
	var byIssuer, bySubject []FederatedCredential
	for _, c := range a.Credentials {
		if c.Issuer == "" {
			c.Issuer = oidctest.Issuer
		}
		if c.Audience == "" {
			c.Audience = defaultAudience
		}
		if c.Issuer == iss {
			byIssuer = append(byIssuer, c)
		}
	}
	if len(byIssuer) == 0 {
		return http.StatusUnauthorized, "invalid_client", 700211, fmt.Sprintf("No matching federated identity record found for presented assertion issuer '%s'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://docs.microsoft.com/en-us/azure/active-directory/develop/workload-identity-federation", iss)
	}
	for _, c := range byIssuer {
		if oidctest.MatchSubject(c.Subject, sub) {
			bySubject = append(bySubject, c)
		}
	}
	if len(bySubject) == 0 {
		return http.StatusUnauthorized, "invalid_client", 700213, fmt.Sprintf("No matching federated identity record found for presented assertion subject '%s'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation", sub)
	}
	for _, c := range bySubject {
		if !slices.Contains(auds, c.Audience) {
			continue
		}
		if _, err := oidctest.Verify(assertion, c.Audience); err != nil {
			return http.StatusUnauthorized, "invalid_client", 50013, "Assertion failed signature validation."
		}
		return 0, "", 0, ""
	}
	return http.StatusUnauthorized, "invalid_client", 700212, fmt.Sprintf("No matching federated identity record found for presented assertion audience '%s'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation", strings.Join(auds, ","))
}

// peek reads a JWT's iss, sub and aud without verifying it, as Entra ID
// must to find the credential to verify it with.
func peek(token string) (iss, sub string, aud []string) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", "", nil
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", "", nil
	}
	var c struct {
		Iss string          `json:"iss"`
		Sub string          `json:"sub"`
		Aud json.RawMessage `json:"aud"`
	}
	if json.Unmarshal(payload, &c) != nil {
		return "", "", nil
	}
	var one string
	if json.Unmarshal(c.Aud, &one) == nil {
		aud = []string{one}
	} else {
		json.Unmarshal(c.Aud, &aud)
	}
	return c.Iss, c.Sub, aud
}

// entraError answers as Entra ID does: {"error","error_description",
// "error_codes","timestamp","trace_id","correlation_id","error_uri"}, the
// description starting AADSTSn: and ending with the trace and correlation
// IDs (the client credentials flow's "Error response").
func entraError(w http.ResponseWriter, status int, code string, num int, msg string) {
	ts := now().Format("2006-01-02 15:04:05Z")
	trace, corr := guid("trace/"+msg), guid("corr/"+msg)
	desc := fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s", num, msg, trace, corr, ts)
	body, _ := json.Marshal(struct {
		Error         string `json:"error"`
		Description   string `json:"error_description"`
		Codes         []int  `json:"error_codes"`
		Timestamp     string `json:"timestamp"`
		TraceID       string `json:"trace_id"`
		CorrelationID string `json:"correlation_id"`
		ErrorURI      string `json:"error_uri"`
	}{code, desc, []int{num}, ts, trace, corr, fmt.Sprintf("https://login.microsoftonline.com/error?code=%d", num)})
	writeJSON(w, status, string(body))
}
