package main

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
)

// Test world: one app, installed on an organization with selected
// repositories, on a user with all repositories, and on a suspended
// organization.
const (
	testAppID    = 1001
	testClientID = "Iv23liTestClient0001"
	testAppSlug  = "test-app"
)

// keys returns the app's key and an unrelated one, made once per test binary.
var keys = sync.OnceValues(func() (app, other *rsa.PrivateKey) {
	return newKey(), newKey()
})

func newKey() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

// testWorld returns the emulator configuration the tests share.
func testWorld(tb testing.TB) githubapitest.Config {
	tb.Helper()
	key, _ := keys()
	return githubapitest.Config{
		App: githubapitest.App{ID: testAppID, ClientID: testClientID, Slug: testAppSlug, Name: "Test App", Key: key},
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

// actionInput is one input as action.yml declares it.
type actionInput struct {
	Description string  `yaml:"description"`
	Default     *string `yaml:"default"` // nil: no default
}

// actionInputs reads action.yml's inputs once per test binary: every
// harness asks for them.
var actionInputs = sync.OnceValues(func() (map[string]actionInput, error) {
	b, err := os.ReadFile("action.yml")
	if err != nil {
		return nil, fmt.Errorf("read action.yml: %w", err)
	}
	var meta struct {
		Inputs map[string]actionInput `yaml:"inputs"`
	}
	if err := yaml.Unmarshal(b, &meta); err != nil {
		return nil, fmt.Errorf("parse action.yml: %w", err)
	}
	return meta.Inputs, nil
})

// mustActionInputs returns action.yml's inputs, or fails tb. The map is
// shared: callers must not change it.
func mustActionInputs(tb testing.TB) map[string]actionInput {
	tb.Helper()
	inputs, err := actionInputs()
	if err != nil {
		tb.Fatal(err)
	}
	return inputs
}

// actionDefaults returns the inputs action.yml declares with a default, as
// the runner passes them: INPUT_<NAME> upper-cased with hyphens kept, and
// ${{ github.api_url }} replaced by apiURL.
func actionDefaults(tb testing.TB, apiURL string) map[string]string {
	tb.Helper()
	env := map[string]string{}
	for name, in := range mustActionInputs(tb) {
		if in.Default == nil {
			continue
		}
		v := *in.Default
		if v == "${{ github.api_url }}" {
			v = apiURL
		}
		env["INPUT_"+strings.ToUpper(name)] = v
	}
	return env
}
