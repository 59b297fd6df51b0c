package azurekms

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ghapptoken/app-token-action/internal/hint"
	"github.com/ghapptoken/app-token-action/internal/kms/kmshttp"
	"github.com/ghapptoken/app-token-action/internal/oidc"
)

// federatedMismatch are the Entra ID codes of an assertion that no
// federated credential of the app accepts: AADSTS70021 (no record),
// 700211 (issuer), 700212 (audience), 700213 (subject), 7002137 and
// 7002138 (subject, in newer answers).
var federatedMismatch = []int{70021, 700211, 700212, 700213, 7002137, 7002138}

// Entra ID codes with a known remedy.
const (
	codeAppNotFound      = 700016 // AADSTS700016: application not found in the directory
	codeTenantNotFound   = 90002  // AADSTS90002: tenant not found
	codeResourceNotFound = 500011 // AADSTS500011: resource principal not found in the tenant
)

func usage(msg, next string) error {
	return hint.New(fmt.Errorf("sign with Azure Key Vault: %s", msg), next)
}

// identityField names where the identity came from, for hints.
func (s *Signer) identityField(src source) string {
	if src == fromEnviron {
		return "AZURE_CLIENT_ID (from the step's environment)"
	}
	return "{azure-client-id}"
}

func tenantField(src source) string {
	if src == fromEnviron {
		return "AZURE_TENANT_ID"
	}
	return "{azure-tenant-id}"
}

// explainExchange adds to an error of the token request the job's token's
// subject and audience where a trust rule refused it, and a next step.
func (s *Signer) explainExchange(err error, codes []int, assertion, clientID, tenant string, src source) error {
	ke := kmshttp.Answered(err)
	if ke == nil {
		return err // no answer, or a transient one: the core classifies those
	}
	id, tf := s.identityField(src), tenantField(src)
	has := func(code int) bool { return slices.Contains(codes, code) }
	switch {
	case slices.ContainsFunc(codes, func(c int) bool { return slices.Contains(federatedMismatch, c) }) ||
		strings.Contains(ke.Message, "No matching federated identity record"):
		if d := oidc.Describe(assertion); d != "" {
			err = fmt.Errorf("%w; the job's OIDC token has %s", err, d)
		}
		return hint.New(err, "add a federated credential to the app registration or managed identity "+id+
			" that matches the job's OIDC token exactly (matching is case-sensitive): issuer "+"https://token.actions.githubusercontent.com"+
			", subject its sub (entity type repository branch, environment, pull request or tag), audience "+AssertionAudience)
	case has(codeAppNotFound):
		return hint.New(err, "check "+id+" and "+tf+": tenant "+tenant+" has no application with client ID "+clientID+
			"; use the Application (client) ID of the app registration (or the managed identity's client ID) and the Directory (tenant) ID it lives in")
	case has(codeTenantNotFound):
		return hint.New(err, "check "+tf+": Entra ID knows no tenant "+tenant+"; use the Directory (tenant) ID of the app registration, and "+authorityEnv+" for a sovereign cloud")
	case has(codeResourceNotFound):
		return hint.New(err, "check the vault in {signing-key}: tenant "+tenant+" has no resource for scope "+s.cloud.scope+", which the vault's host implies")
	}
	return err
}

// explainSign adds a next step to an error of the sign request.
func (s *Signer) explainSign(err error, cred *credential, inner string) error {
	ke := kmshttp.Answered(err)
	if ke == nil {
		return err // no answer, or a transient one: the core classifies those
	}
	who := s.identityField(cred.source)
	if cred.source == fromToken {
		who = "the identity whose token is in {azure-access-token}"
	}
	role := "Key Vault Crypto User"
	if s.cloud.hsm {
		role = "Managed HSM Crypto User"
	}
	msg := ke.Message
	switch {
	case ke.Status == 401 && cred.source == fromToken:
		return hint.New(err, "{azure-access-token} was refused: it must be an unexpired Key Vault token of the vault's tenant; make it in the step just before with az account get-access-token --resource "+s.resource()+" --query accessToken --output tsv")
	case ke.Status == 401 && strings.Contains(msg, "AKV10032"):
		return hint.New(err, "the vault belongs to another tenant than "+tenantField(cred.source)+": sign in as an app registration of the vault's tenant")
	case ke.Status == 401:
		return hint.New(err, "check the vault in {signing-key}: Key Vault refused a token for scope "+s.cloud.scope+", which the vault's host implies")
	case ke.Status == 403 && (inner == "KeyOperationForbidden" || strings.Contains(msg, "not permitted on this key")):
		return hint.New(err, "the key's permitted operations leave out sign: allow it with az keyvault key set-attributes "+s.azVault()+" --name "+s.o.Key+" --ops sign verify, or import the app's key again with --ops sign verify")
	case ke.Status == 403 && inner == "ForbiddenByFirewall":
		return hint.New(err, "the vault's firewall refuses the runner's address: allow access from the runner's network, or run the job on a runner inside the vault's network")
	case ke.Status == 403 && (inner == "ForbiddenByRbac" || strings.Contains(msg, "Caller is not authorized")):
		return hint.New(err, "assign "+who+" the role "+role+" (it grants Microsoft.KeyVault/vaults/keys/sign/action) on the key or the vault; role assignments take a few minutes to apply")
	case ke.Status == 403:
		return hint.New(err, "give "+who+" the key permission Sign (a Cryptographic Operation) in the vault's access policies, or, if the vault uses Azure RBAC, the role "+role)
	case ke.Status == 404:
		return hint.New(err, "check the key in {signing-key}: vault "+s.o.Vault+" has no key "+s.keyPath()+"; copy its name (and version, if any) from the key's identifier")
	case ke.Status == 400:
		return hint.New(err, s.KeyHint())
	}
	return err
}

// KeyHint is the remedy for a key that cannot make an RS256 signature.
func (s *Signer) KeyHint() string {
	return "the key must be the app's RSA private key (2048 bits or more), imported as kty RSA or RSA-HSM: az keyvault key import " + s.azVault() + " --name " + s.o.Key + " --pem-file APP.private-key.pem --ops sign verify"
}

// azVault names the vault in an az keyvault command: --vault-name NAME,
// or --hsm-name NAME for a Managed HSM.
func (s *Signer) azVault() string {
	name := "VAULT"
	if strings.HasSuffix(s.o.Vault, s.cloud.suffix) {
		name = strings.TrimSuffix(s.o.Vault, s.cloud.suffix)
	}
	if s.cloud.hsm {
		return "--hsm-name " + name
	}
	return "--vault-name " + name
}
