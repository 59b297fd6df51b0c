package azurekmstest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"strings"
)

// vaultResource is the audience Key Vault accepts in a token (AKV10022's
// "Expected https://vault.azure.net"); the emulated vault is a
// public-cloud vault.
const vaultResource = "https://vault.azure.net"

// sign is Key Vault's sign operation ("sign - sign", REST API 7.4): POST
// /keys/{name}/{version}/sign?api-version=V with {"alg","value"} (value
// the digest, base64url) → {"kid","value"} (the signature, base64url). It
// "requires the keys/sign permission". The path /keys/{name}//sign, which
// the Azure SDKs send for an empty version, and /keys/{name}/sign sign
// with the current version.
func (s *Server) sign(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/keys/"), "/")
	var name, version string
	switch {
	case len(parts) == 3 && parts[2] == "sign":
		name, version = parts[0], parts[1]
	case len(parts) == 2 && parts[1] == "sign":
		name = parts[0]
	default:
		// Assumed: the answer to an operation the emulator lacks.
		vaultError(w, http.StatusNotFound, "NotFound", "", "The requested resource was not found.")
		return
	}
	if r.Method != http.MethodPost {
		// Assumed.
		vaultError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "", "The requested method is not allowed.")
		return
	}
	if r.URL.Query().Get("api-version") == "" {
		// Assumed: the text.
		vaultError(w, http.StatusBadRequest, "BadParameter", "", "The 'api-version' query parameter is required.")
		return
	}
	tok, ok := s.authorize(w, r)
	if !ok {
		return
	}
	if a := s.apps[strings.ToLower(tok.clientID)]; a == nil || !allowed(a.Sign, name) {
		s.forbid(w, r, tok, name)
		return
	}
	kv := s.lookup(name, version)
	if kv == nil {
		// KeyNotFound, 404, from a real answer (sigstore/cosign#3094).
		// Assumed: the same text names a missing version as name/version.
		id := name
		if version != "" {
			id += "/" + version
		}
		vaultError(w, http.StatusNotFound, "KeyNotFound", "", "A key with (name/id) "+id+" was not found in this key vault. If you recently deleted this key you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182")
		return
	}
	var in struct {
		Alg   string `json:"alg"`
		Value string `json:"value"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Alg == "" || in.Value == "" {
		// Assumed: the text.
		vaultError(w, http.StatusBadRequest, "BadParameter", "", "The request body is not valid: alg and value are required.")
		return
	}
	digest, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(in.Value, "="))
	if err != nil {
		// Assumed: the text.
		vaultError(w, http.StatusBadRequest, "BadParameter", "", "Property value has invalid value: not base64url.")
		return
	}
	if !slices.Contains(kv.ops, "sign") {
		// By analogy with a real refusal of decrypt (Azure/azure-sdk-for-net#11518):
		// 403 Forbidden, innererror KeyOperationForbidden.
		vaultError(w, http.StatusForbidden, "Forbidden", "KeyOperationForbidden", "Operation sign is not permitted on this key.")
		return
	}
	sig, status, msg := signWith(kv, in.Alg, digest)
	if status != 0 {
		vaultError(w, status, "BadParameter", "", msg)
		return
	}
	kid := "https://" + r.Host + "/keys/" + kv.name + "/" + kv.version
	writeJSON(w, http.StatusOK, fmt.Sprintf(`{"kid":%q,"value":%q}`, kid, base64.RawURLEncoding.EncodeToString(sig)))
}

// signWith signs digest with alg as Key Vault does: RS256 is
// RSASSA-PKCS1-v1_5 over a SHA-256 digest ("Key types, algorithms, and
// operations"), ES256 is ECDSA P-256 with the signature as r||s.
//
// Assumed: the texts of the refusals. The incompatible-key text follows a
// real answer's form for EC curves (Azure/azure-sdk-for-java#6262: 400
// BadParameter "Key and signing algorithm are incompatible. ...").
func signWith(kv *keyVersion, alg string, digest []byte) ([]byte, int, string) {
	kid := kv.name + "/" + kv.version
	switch k := kv.key.(type) {
	case *rsa.PrivateKey:
		if alg != "RS256" {
			return nil, http.StatusBadRequest, fmt.Sprintf("Key and signing algorithm are incompatible. Key %s is of type 'RSA', and algorithm '%s' cannot be used with it.", kid, alg)
		}
		if len(digest) != 32 {
			return nil, http.StatusBadRequest, fmt.Sprintf("Invalid digest length %d for algorithm RS256. Expected 32.", len(digest))
		}
		sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, digest)
		if err != nil {
			return nil, http.StatusBadRequest, err.Error()
		}
		return sig, 0, ""
	case *ecdsa.PrivateKey:
		if alg != "ES256" {
			return nil, http.StatusBadRequest, fmt.Sprintf("Key and signing algorithm are incompatible. Key %s is of type 'EC', and algorithm '%s' can only be used with key type 'RSA' or 'RSA-HSM'.", kid, alg)
		}
		r, ss, err := ecdsa.Sign(rand.Reader, k, digest)
		if err != nil {
			return nil, http.StatusBadRequest, err.Error()
		}
		size := (k.Curve.Params().BitSize + 7) / 8
		return append(pad(r, size), pad(ss, size)...), 0, ""
	}
	return nil, http.StatusBadRequest, "Unsupported key type."
}

func pad(n *big.Int, size int) []byte {
	b := make([]byte, size)
	return n.FillBytes(b)
}

// authorize checks the bearer token: present, issued here, unexpired, for
// Key Vault. A refusal is 401 with a challenge naming the authority and
// resource (real answers carry WWW-Authenticate: Bearer
// authorization="https://login.windows.net/TENANT",
// resource="https://vault.azure.net").
//
// AKV10022 is from real answers (argoproj-labs/argocd-vault-plugin#621,
// crossplane-contrib/provider-azure#346). Assumed: the texts of AKV10000
// (no token) and of an unknown or expired token.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) (*accessToken, bool) {
	refuse := func(msg string) (*accessToken, bool) {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer authorization="https://login.windows.net/%s", resource="%s"`, s.tenant, vaultResource))
		vaultError(w, http.StatusUnauthorized, "Unauthorized", "", msg)
		return nil, false
	}
	h := r.Header.Get("Authorization")
	raw, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || raw == "" {
		return refuse("AKV10000: Request is missing a Bearer or PoP token.")
	}
	tok := s.tokens[raw]
	switch {
	case tok == nil:
		return refuse("[TokenInvalid] Error validating token: the signature is invalid.")
	case tok.expired:
		return refuse("[TokenExpired] Error validating token: 'S2S12086'.")
	case tok.audience != vaultResource:
		return refuse(fmt.Sprintf("AKV10022: Invalid audience. Expected %s, found: %s.", vaultResource, tok.audience))
	}
	return tok, true
}

// forbid refuses a principal without the sign permission, in the words of
// the vault's permission model. Azure RBAC: "Caller is not authorized to
// perform action on resource. ... Action: ... Assignment: (not found)",
// innererror ForbiddenByRbac (piyushsachdeva/Terraform_AKS#2,
// hashicorp/terraform-provider-azurerm#27817). Access policies: "The user,
// group or application '...' does not have keys sign permission on key
// vault '...'", innererror AccessDenied (Azure/azure-libraries-for-net#1067,
// MicrosoftDocs/azure-docs#97977). Assumed: the subscription and resource
// group in the resource path, and the location.
func (s *Server) forbid(w http.ResponseWriter, r *http.Request, tok *accessToken, name string) {
	vault, _, _ := strings.Cut(r.Host, ":")
	caller := fmt.Sprintf("appid=%s;oid=%s;iss=https://sts.windows.net/%s/", tok.clientID, tok.objectID, tok.tenant)
	if s.rbac {
		vaultError(w, http.StatusForbidden, "Forbidden", "ForbiddenByRbac",
			"Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\n"+
				"Caller: "+caller+"\r\n"+
				"Action: 'Microsoft.KeyVault/vaults/keys/sign/action'\r\n"+
				"Resource: '/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg/providers/microsoft.keyvault/vaults/"+vault+"/keys/"+strings.ToLower(name)+"'\r\n"+
				"Assignment: (not found)\r\nDenyAssignmentId: null\r\nDecisionReason: 'DeniedWithNoValidRBAC' \r\n"+
				"Vault: "+vault+";location=westeurope\r\n")
		return
	}
	vaultError(w, http.StatusForbidden, "Forbidden", "AccessDenied",
		"The user, group or application '"+caller+"' does not have keys sign permission on key vault '"+vault+";location=westeurope'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287")
}

func allowed(grants []string, name string) bool {
	return slices.ContainsFunc(grants, func(g string) bool { return g == "*" || strings.EqualFold(g, name) })
}

// lookup returns a version of a key, the current one for version "".
// Key names are case-insensitive in Key Vault.
func (s *Server) lookup(name, version string) *keyVersion {
	vs := s.keys[strings.ToLower(name)]
	if len(vs) == 0 {
		return nil
	}
	if version == "" {
		return vs[len(vs)-1]
	}
	for _, v := range vs {
		if strings.EqualFold(v.version, version) {
			return v
		}
	}
	return nil
}

// vaultError answers in Key Vault's error form: {"error":{"code",
// "message","innererror":{"code"}}} ("Common error codes for Azure Key
// Vault", and the real answers cited beside each use).
func vaultError(w http.ResponseWriter, status int, code, inner, msg string) {
	e := map[string]any{"code": code, "message": msg}
	if inner != "" {
		e["innererror"] = map[string]string{"code": inner}
	}
	body, _ := json.Marshal(map[string]any{"error": e})
	writeJSON(w, status, string(body))
}
