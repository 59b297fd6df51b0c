package runnertest

import (
	"crypto/rand"
	"crypto/rsa"
	"sync"

	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
)

// The test world's app (see [World]).
const (
	AppID    = 1001
	ClientID = "Iv23liTestClient0001"
	AppSlug  = "test-app"
)

// Keys returns the app's key and an unrelated one, made once per test binary.
var Keys = sync.OnceValues(func() (app, other *rsa.PrivateKey) {
	return newKey(), newKey()
})

func newKey() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

// World returns the emulator configuration the tests share: one app,
// installed on an organization with selected repositories (installation
// 11), on a user with all repositories (12), on a suspended organization
// (13) and on an enterprise (14).
func World() githubapitest.Config {
	key, _ := Keys()
	return githubapitest.Config{
		App: githubapitest.App{ID: AppID, ClientID: ClientID, Slug: AppSlug, Name: "Test App", Key: key},
		Installations: []githubapitest.Installation{
			{
				ID:                  11,
				Account:             githubapitest.Account{Login: "octo-org", ID: 9001, Type: "Organization"},
				RepositorySelection: "selected",
				Repositories:        []githubapitest.Repository{{ID: 101, Name: "app"}, {ID: 102, Name: "infra"}, {ID: 103, Name: "docs"}},
				Permissions:         map[string]string{"contents": "write", "issues": "write", "metadata": "read", "pull_requests": "write"},
			},
			{
				ID:                  12,
				Account:             githubapitest.Account{Login: "octocat", ID: 9002, Type: "User"},
				RepositorySelection: "all",
				Repositories:        []githubapitest.Repository{{ID: 201, Name: "dotfiles"}, {ID: 202, Name: "blog"}},
				Permissions:         map[string]string{"contents": "read", "metadata": "read"},
			},
			{
				ID:                  13,
				Account:             githubapitest.Account{Login: "frozen-org", ID: 9003, Type: "Organization"},
				RepositorySelection: "all",
				Repositories:        []githubapitest.Repository{{ID: 301, Name: "ice"}},
				Permissions:         map[string]string{"contents": "read", "metadata": "read"},
				Suspended:           true,
			},
			{
				ID:                  14,
				Account:             githubapitest.Account{Login: "octo-ent", ID: 9004, Type: "Enterprise"},
				RepositorySelection: "selected",
				Permissions:         map[string]string{"enterprise_custom_properties_for_organizations": "write"},
			},
		},
		Renamed: map[string]string{"octo-org/old-app": "octo-org/app"},
	}
}
