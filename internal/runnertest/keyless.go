package runnertest

import (
	"maps"
	"testing"

	"github.com/ghapptoken/app-token-action/internal/kms/hashivault/hashivaulttest"
	"github.com/ghapptoken/app-token-action/internal/oidc/oidctest"
)

// OIDCJob is the test world's job as the runner's OIDC token service knows
// it: a workflow of octo-org/app on main, whose tokens' subject is
// repo:octo-org/app:ref:refs/heads/main.
var OIDCJob = oidctest.Job{Repository: "octo-org/app", Ref: "refs/heads/main"}

// StartOIDC starts the runner's OIDC token service for [OIDCJob]; its Env is
// what the runner gives a job with permissions: id-token: write.
func StartOIDC(tb testing.TB) *oidctest.Server {
	tb.Helper()
	return oidctest.Start(tb, OIDCJob)
}

// VaultRole is the name of the Vault JWT role of [StartVault] that admits
// [OIDCJob]'s OIDC tokens.
const VaultRole = "app-token"

// StartVault starts a Vault whose Transit key github-app holds the app's
// key ([Keys]), with the JWT role [VaultRole] that admits [OIDCJob]'s tokens
// for the audience of its owner's URL and may sign with that key (policy
// "sign"), and the roles in more besides.
func StartVault(tb testing.TB, more map[string]hashivaulttest.Role) *hashivaulttest.Server {
	tb.Helper()
	key, _ := Keys()
	roles := map[string]hashivaulttest.Role{VaultRole: {
		BoundAudiences: []string{"https://github.com/octo-org"},
		BoundClaims:    map[string]string{"sub": "repo:octo-org/app:*"},
		TokenPolicies:  []string{"sign"},
	}}
	maps.Copy(roles, more)
	return hashivaulttest.Start(tb, hashivaulttest.Config{
		Key:      key,
		Roles:    roles,
		Policies: map[string][]string{"sign": {"transit/sign/github-app"}},
	})
}

// SignWith makes the job sign with the key at uri in a KMS: signing-key
// is uri and private-key empty, as a keyless workflow passes them, and
// each of envs (an emulator's: the KMS's, the OIDC token service's) is
// added to the step's environment, as the job's env: would add it.
func (r *Runner) SignWith(uri string, envs ...map[string]string) {
	r.Set("private-key", "")
	r.Set("signing-key", uri)
	for _, env := range envs {
		maps.Copy(r.Env, env)
	}
}
