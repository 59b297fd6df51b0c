package azurekms

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ghapptoken/app-token-action/internal/hint"
	"github.com/ghapptoken/app-token-action/internal/oidc"
)

// credential signs in and returns the access token to sign with, and its
// expiry (zero for a token handed in), for [Signer.cred].
func (s *Signer) credential(ctx context.Context) (*credential, time.Time, error) {
	switch {
	case s.o.ClientID != "":
		return s.exchange(ctx, s.o.ClientID, s.o.TenantID, fromInputs)
	case s.o.AccessToken != "":
		// The mask comes first.
		s.mask(s.o.AccessToken)
		return &credential{token: s.o.AccessToken, source: fromToken}, time.Time{}, nil
	}
	clientID, tenant := s.getenv(clientIDEnv), s.getenv(tenantIDEnv)
	if clientID != "" && tenant != "" && tenantID.MatchString(tenant) {
		return s.exchange(ctx, clientID, tenant, fromEnviron)
	}
	return nil, time.Time{}, hint.New(fmt.Errorf("sign with Azure Key Vault: no credentials for key %s in %s", s.keyPath(), s.o.Vault),
		"set {azure-client-id} and {azure-tenant-id} to an app registration whose federated credential trusts this workflow (and give the job permissions: id-token: write); "+
			"or set {azure-access-token} to a token from az account get-access-token --resource "+s.resource())
}

// resource is the Key Vault resource whose token the vault accepts.
func (s *Signer) resource() string { return strings.TrimSuffix(s.cloud.scope, "/.default") }

// exchange signs in as clientID of tenant with the job's OIDC token as
// the client assertion: the client credentials grant with a federated
// credential ("Microsoft identity platform and the OAuth 2.0 client
// credentials flow", third case: POST {authority}/{tenant}/oauth2/v2.0/token,
// form client_id, scope, grant_type=client_credentials,
// client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer,
// client_assertion → {"token_type","expires_in","access_token"}).
func (s *Signer) exchange(ctx context.Context, clientID, tenant string, src source) (*credential, time.Time, error) {
	if s.o.OIDC == nil {
		return nil, time.Time{}, hint.New(fmt.Errorf("sign with Azure Key Vault: get the job's OIDC token: %w", oidc.ErrUnavailable),
			"give the job permissions: id-token: write (in the workflow, under the job or at the top), so that the action can sign in to Azure as "+s.identityField(src)+"; workflows triggered from forks get none")
	}
	assertion, err := s.o.OIDC(ctx, AssertionAudience)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("sign with Azure Key Vault: %w", err)
	}
	s.mask(assertion)
	endpoint := s.authority() + "/" + url.PathEscape(tenant) + "/oauth2/v2.0/token"
	form := url.Values{
		"client_id":             {clientID},
		"scope":                 {s.cloud.scope},
		"grant_type":            {"client_credentials"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {assertion},
	}.Encode()
	var codes []int
	resp, err := s.aad.Do(ctx, "exchange the job's OIDC token", func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		return req, nil
	}, func(b []byte) (string, string) {
		code, message, c := parseEntraError(b)
		codes = c
		return code, message
	}, assertion)
	if err != nil {
		return nil, time.Time{}, s.explainExchange(err, codes, assertion, clientID, tenant, src)
	}
	var out struct {
		AccessToken string          `json:"access_token"`
		ExpiresIn   json.RawMessage `json:"expires_in"`
	}
	if err := json.Unmarshal(resp.Body, &out); err != nil || out.AccessToken == "" {
		return nil, time.Time{}, fmt.Errorf("exchange the job's OIDC token with Microsoft Entra ID: the answer holds no access token")
	}
	s.mask(out.AccessToken)
	var expires time.Time
	// expires_in is a number in v2.0 answers; v1.0 sent a string.
	if secs, err := strconv.Atoi(strings.Trim(string(out.ExpiresIn), `"`)); err == nil && secs > 0 {
		expires = s.o.Now().Add(time.Duration(secs) * time.Second)
	}
	return &credential{token: out.AccessToken, source: src, assertion: assertion}, expires, nil
}

// authority returns the Entra ID endpoint: AZURE_AUTHORITY_HOST (a URL,
// or a bare host as the Python SDK documents it), else the vault's
// cloud's.
func (s *Signer) authority() string {
	a := s.getenv(authorityEnv)
	if a == "" {
		return s.cloud.authority
	}
	if !strings.Contains(a, "://") {
		a = "https://" + a
	}
	return strings.TrimSuffix(a, "/")
}

// parseEntraError reads an Entra ID token error: {"error",
// "error_description","error_codes"} (the client credentials flow's
// "Error response"). The description loses its trace and correlation IDs,
// which only support can use.
func parseEntraError(b []byte) (code, message string, codes []int) {
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
		Codes       []int  `json:"error_codes"`
	}
	if json.Unmarshal(b, &e) != nil {
		return "", "", nil
	}
	message = e.Description
	if i := strings.Index(message, "Trace ID:"); i >= 0 {
		message = message[:i]
	}
	return e.Error, strings.TrimSpace(message), e.Codes
}
