// Package azurekms signs the app's JWT with an RSA key in Azure Key Vault
// (or a Managed HSM), named azurekms://VAULT.vault.azure.net/KEY[/VERSION].
//
// It signs in to Microsoft Entra ID with the job's OIDC token as a
// federated credential of an app registration (or user-assigned managed
// identity), when the azure-client-id and azure-tenant-id inputs are set;
// or it uses an access token handed to it in azure-access-token; or, when
// neither is set, the AZURE_CLIENT_ID and AZURE_TENANT_ID variables that
// the Azure Identity SDKs read. No standard variable carries a Key Vault
// access token: azure/login runs az login, whose token cache lives in the
// runner's home, out of a container action's reach, and exports nothing;
// a step can run `az account get-access-token --resource
// https://vault.azure.net` and pass the token to azure-access-token.
package azurekms

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/ghapptoken/app-token-action/internal/kms/kmshttp"
)

const (
	// apiVersion is the Key Vault data-plane version the sign request
	// names ("sign - sign", Key Vault REST API 7.4).
	apiVersion = "7.4"
	// AssertionAudience is the audience of the job's OIDC token that Entra
	// ID expects of a federated credential ("Workload identity federation":
	// the recommended audience api://AzureADTokenExchange).
	AssertionAudience = "api://AzureADTokenExchange"
	// authorityEnv overrides the Entra ID host, as in the Azure Identity
	// SDKs (EnvironmentCredential: AZURE_AUTHORITY_HOST).
	authorityEnv = "AZURE_AUTHORITY_HOST"
	clientIDEnv  = "AZURE_CLIENT_ID"
	tenantIDEnv  = "AZURE_TENANT_ID"
)

// Options configure a [Signer].
type Options struct {
	// Vault is the vault's host, with a port if it is not 443:
	// "myvault.vault.azure.net", "myhsm.managedhsm.azure.net". An
	// https:// prefix and a trailing slash are forgiven.
	Vault string
	// Key is the key's name; Version its version, "" for the current one.
	Key, Version string
	// ClientID and TenantID name the app registration or managed identity
	// to sign in as with the job's OIDC token (inputs azure-client-id and
	// azure-tenant-id). Both or neither must be set.
	ClientID, TenantID string
	// AccessToken is a Key Vault access token (input azure-access-token),
	// used when ClientID is empty.
	AccessToken string

	// Env's Getenv is read for AZURE_AUTHORITY_HOST, AZURE_CLIENT_ID and
	// AZURE_TENANT_ID.
	kmshttp.Env
}

// Signer signs digests with a key in Key Vault. It is safe for concurrent
// use; it signs in on its first signature, and keeps the access token
// until shortly before it expires ([kmshttp.Cached]).
type Signer struct {
	o     Options
	cloud cloud
	kv    kmshttp.Client
	aad   kmshttp.Client
	cred  *kmshttp.Cached[*credential]
}

// credential is an access token and where it came from, for hints.
type credential struct {
	token     string
	source    source
	assertion string // the job's OIDC token, when exchanged
}

type source int

const (
	fromInputs  source = iota // azure-client-id and azure-tenant-id
	fromToken                 // azure-access-token
	fromEnviron               // AZURE_CLIENT_ID and AZURE_TENANT_ID
)

// The checks of names are loops, not regular expressions: a bounded
// repetition such as {1,127} compiles into a large program, built at every
// start of the action's binary (0.8 ms measured).
var (
	// Key Vault object names: 1-127 letters, digits and dashes ("About
	// keys, secrets and certificates": object names).
	keyName = nameCheck{min: 1, max: 127, dash: true}
	// Versions are 32 hex digits; any letters and digits are let through,
	// and Key Vault judges.
	keyVersion = nameCheck{min: 1, max: 64}
	// A tenant is a GUID or a domain name.
	tenantID = nameCheck{min: 1, max: 253, dash: true, dot: true, alnumFirst: true}
)

// nameCheck accepts min to max letters and digits, and dashes or dots
// where allowed.
type nameCheck struct {
	min, max   int
	dash, dot  bool
	alnumFirst bool
}

// MatchString reports whether s is such a name.
func (c nameCheck) MatchString(s string) bool {
	if len(s) < c.min || len(s) > c.max {
		return false
	}
	for i := range len(s) {
		b := s[i]
		alnum := '0' <= b && b <= '9' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
		switch {
		case alnum:
		case i == 0 && c.alnumFirst:
			return false
		case b == '-' && c.dash, b == '.' && c.dot:
		default:
			return false
		}
	}
	return true
}

// New returns a Signer for the key o names. It checks o and touches no
// network; its errors carry hints.
func New(o Options) (*Signer, error) {
	vault, err := checkKey(o.Vault, o.Key, o.Version)
	if err != nil {
		return nil, err
	}
	o.Vault = vault
	switch {
	case o.ClientID != "" && o.TenantID == "":
		return nil, usage("azure-client-id is set without azure-tenant-id", "set {azure-tenant-id} to the Directory (tenant) ID of the app registration {azure-client-id}")
	case o.ClientID == "" && o.TenantID != "":
		return nil, usage("azure-tenant-id is set without azure-client-id", "set {azure-client-id} to the Application (client) ID of the app registration or managed identity that may sign with the key")
	case o.TenantID != "" && !tenantID.MatchString(o.TenantID):
		return nil, usage(fmt.Sprintf("tenant %q is not a tenant ID", o.TenantID), "set {azure-tenant-id} to the Directory (tenant) ID, a GUID")
	}
	o.Env = o.Env.WithDefaults()
	s := &Signer{
		o:     o,
		cloud: cloudOf(vault),
		kv:    o.Client("Azure Key Vault"),
		aad:   o.Client("Microsoft Entra ID"),
	}
	s.cred = kmshttp.NewCached(o.Now, s.credential)
	return s, nil
}

// SignDigest returns the RS256 (RSASSA-PKCS1-v1_5 with SHA-256) signature
// of digest made by the key. It signs in on its first call. Its errors
// name the step that failed and carry a hint; they hold no token.
func (s *Signer) SignDigest(ctx context.Context, digest []byte) ([]byte, error) {
	cred, err := s.cred.Get(ctx)
	if err != nil {
		return nil, err
	}
	return s.sign(ctx, cred, digest)
}

// keyPath is the key's path in the vault, for messages: "app-key" or
// "app-key/0123…".
func (s *Signer) keyPath() string {
	if s.o.Version == "" {
		return s.o.Key
	}
	return s.o.Key + "/" + s.o.Version
}

// sign asks Key Vault to sign digest ("sign - sign": POST
// {vault}/keys/{name}/{version}/sign, {"alg","value"} → {"kid","value"},
// base64url without padding). Without a version the path has an empty
// segment, as the Azure SDKs send it for the current version.
func (s *Signer) sign(ctx context.Context, cred *credential, digest []byte) ([]byte, error) {
	u := "https://" + s.o.Vault + "/keys/" + s.o.Key + "/" + s.o.Version + "/sign?api-version=" + apiVersion
	body, _ := json.Marshal(map[string]string{"alg": "RS256", "value": base64.RawURLEncoding.EncodeToString(digest)})
	var inner string
	resp, err := s.kv.Do(ctx, "sign with key "+s.keyPath(), func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(string(body)))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+cred.token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		return req, nil
	}, func(b []byte) (string, string) {
		code, message, in := parseVaultError(b)
		inner = in
		return code, message
	}, cred.token, cred.assertion)
	if err != nil {
		return nil, s.explainSign(err, cred, inner)
	}
	var out struct {
		Kid   string `json:"kid"`
		Value string `json:"value"`
	}
	if err := json.Unmarshal(resp.Body, &out); err != nil || out.Value == "" {
		return nil, fmt.Errorf("sign with Azure Key Vault key %s: the answer holds no signature", s.keyPath())
	}
	sig, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(out.Value, "="))
	if err != nil {
		return nil, fmt.Errorf("sign with Azure Key Vault key %s: the signature is not base64url", s.keyPath())
	}
	return sig, nil
}

// parseVaultError reads Key Vault's error body: {"error":{"code",
// "message","innererror":{"code"}}} ("Common error codes for Azure Key
// Vault"; the inner codes AccessDenied, ForbiddenByRbac,
// KeyOperationForbidden appear in real answers).
func parseVaultError(b []byte) (code, message, inner string) {
	var e struct {
		Error struct {
			Code       string `json:"code"`
			Message    string `json:"message"`
			InnerError struct {
				Code string `json:"code"`
			} `json:"innererror"`
		} `json:"error"`
	}
	if json.Unmarshal(b, &e) != nil {
		return "", "", ""
	}
	code, inner = e.Error.Code, e.Error.InnerError.Code
	if inner != "" {
		code += " (" + inner + ")"
	}
	// The advice about propagation is dropped so that what was refused,
	// to whom, fits in the error; the hint repeats it.
	message = strings.Replace(e.Error.Message, "If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.", "", 1)
	return code, message, inner
}

// cloud is what a vault's host says about its cloud: the scope of its
// tokens and the Entra ID host that issues them.
type cloud struct {
	suffix    string
	scope     string
	authority string
	hsm       bool
}

// clouds lists the Key Vault and Managed HSM host suffixes of the public,
// China and US Government clouds, with their resource scopes and Entra ID
// hosts ("National clouds"; Azure environments: AzureKeyVaultDnsSuffix,
// AzureKeyVaultServiceEndpointResourceId, ActiveDirectoryAuthority).
// Assumed: the managed HSM scopes of the sovereign clouds follow the
// public cloud's pattern.
var clouds = []cloud{
	{".vault.azure.net", "https://vault.azure.net/.default", "https://login.microsoftonline.com", false},
	{".managedhsm.azure.net", "https://managedhsm.azure.net/.default", "https://login.microsoftonline.com", true},
	{".vault.azure.cn", "https://vault.azure.cn/.default", "https://login.chinacloudapi.cn", false},
	{".managedhsm.azure.cn", "https://managedhsm.azure.cn/.default", "https://login.chinacloudapi.cn", true},
	{".vault.usgovcloudapi.net", "https://vault.usgovcloudapi.net/.default", "https://login.microsoftonline.us", false},
	{".managedhsm.usgovcloudapi.net", "https://managedhsm.usgovcloudapi.net/.default", "https://login.microsoftonline.us", true},
}

// cloudOf returns the cloud of a vault host; a host of no known cloud (a
// private DNS name, an emulator) is taken for a public-cloud vault.
func cloudOf(vault string) cloud {
	host := strings.ToLower(vault)
	if h, _, ok := strings.Cut(host, ":"); ok {
		host = h
	}
	for _, c := range clouds {
		if strings.HasSuffix(host, c.suffix) {
			return c
		}
	}
	return clouds[0]
}

// checkKey checks the vault's host, the key's name and its version, and
// returns the host without https:// or a final slash.
func checkKey(vault, key, version string) (string, error) {
	vault = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(vault), "https://"), "/")
	if vault == "" {
		return "", usage("no vault", "set {signing-key} to azurekms://VAULT.vault.azure.net/KEY")
	}
	if u, err := url.Parse("https://" + vault); err != nil || u.Host != vault || u.Hostname() == "" || u.User != nil {
		return "", usage(fmt.Sprintf("vault %q is not a host name", vault), "set {signing-key} to azurekms://VAULT.vault.azure.net/KEY, where VAULT.vault.azure.net is the vault's host (its Vault URI without https://)")
	}
	if !keyName.MatchString(key) {
		return "", usage(fmt.Sprintf("key name %q is not a Key Vault key name", key), "set {signing-key} to azurekms://"+vault+"/KEY[/VERSION], where KEY has 1-127 letters, digits and dashes")
	}
	if version != "" && !keyVersion.MatchString(version) {
		return "", usage(fmt.Sprintf("key version %q is not a Key Vault key version", version), "set {signing-key} to azurekms://"+vault+"/"+key+"/VERSION, where VERSION is the 32 hex digits at the end of the key's identifier, or leave it out for the current version")
	}
	return vault, nil
}

// ParseURI splits a key URI, azurekms://VAULT/KEY[/VERSION], into the
// vault's host, the key's name and its version ("" for the current one).
// New checks the parts.
func ParseURI(uri string) (vault, key, version string, err error) {
	rest, ok := strings.CutPrefix(uri, "azurekms://")
	if !ok {
		return "", "", "", usage("key URI does not start with azurekms://", "set {signing-key} to azurekms://VAULT.vault.azure.net/KEY[/VERSION]")
	}
	parts := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	// A key identifier copied from the portal has /keys/ in it.
	if len(parts) >= 3 && parts[1] == "keys" {
		parts = append(parts[:1], parts[2:]...)
	}
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return "", "", "", usage("key URI is not azurekms://VAULT/KEY[/VERSION]", "set {signing-key} to azurekms://VAULT.vault.azure.net/KEY[/VERSION]")
	}
	vault, key = parts[0], parts[1]
	if len(parts) == 3 {
		version = parts[2]
	}
	return vault, key, version, nil
}

func (s *Signer) mask(secret string) {
	if secret != "" {
		s.o.Mask(secret)
	}
}

func (s *Signer) getenv(name string) string {
	return strings.TrimSpace(s.o.Getenv(name))
}
