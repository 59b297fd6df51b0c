package main

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
)

// The benchmark's world: one app installed on an organization with 501
// selected repositories and every permission, and on a user with all
// repositories.
const (
	appID       = 424242
	clientID    = "Iv23liBench000000000"
	orgLogin    = "octo-org"
	userLogin   = "octocat"
	userInstall = 12
	orgRepos    = 501
)

// benchCase is one way a workflow uses the action.
type benchCase struct {
	name   string
	about  string
	inputs map[string]string // INPUT_* on top of action.yml's defaults
}

// caseNames returns the names of the cases, in run order.
func caseNames() []string {
	var names []string
	for _, c := range cases(nil) {
		names = append(names, c.name)
	}
	return names
}

// cases returns the cases; perms are every permission input with its
// highest level.
func cases(perms map[string]string) []benchCase {
	all := map[string]string{
		"INPUT_OWNER":        orgLogin,
		"INPUT_REPOSITORIES": strings.Join(repoNames()[:500], "\n"),
	}
	for name, level := range perms {
		all["INPUT_PERMISSION-"+strings.ToUpper(name)] = level
	}
	return []benchCase{
		{name: "current-repo", about: "no inputs: the current repository " + orgLogin + "/app"},
		{name: "owner-3-repos", about: "owner, 3 repositories, 3 permissions", inputs: map[string]string{
			"INPUT_OWNER":                    orgLogin,
			"INPUT_REPOSITORIES":             "app,infra,docs",
			"INPUT_PERMISSION-CONTENTS":      "write",
			"INPUT_PERMISSION-ISSUES":        "write",
			"INPUT_PERMISSION-PULL-REQUESTS": "write",
		}},
		{name: "500-repos", about: fmt.Sprintf("owner, 500 repositories, all %d permissions", len(perms)), inputs: all},
		{name: "installation-id", about: "installation-id of a user's installation on all repositories", inputs: map[string]string{
			"INPUT_INSTALLATION-ID": strconv.Itoa(userInstall),
		}},
	}
}

// repoNames returns the organization's repositories: app, infra, docs,
// then repo-0004 and on.
func repoNames() []string {
	names := []string{"app", "infra", "docs"}
	for i := len(names) + 1; len(names) < orgRepos; i++ {
		names = append(names, fmt.Sprintf("repo-%04d", i))
	}
	return names
}

// world returns the emulator's configuration; perms maps permission names
// (contents, pull_requests) to the level the organization grants.
func world(perms map[string]string) githubapitest.Config {
	var repos []githubapitest.Repository
	for i, name := range repoNames() {
		repos = append(repos, githubapitest.Repository{ID: int64(100001 + i), Name: name})
	}
	grants := map[string]string{}
	for name, level := range perms {
		grants[strings.ReplaceAll(name, "-", "_")] = level
	}
	return githubapitest.Config{
		App: githubapitest.App{ID: appID, ClientID: clientID, Slug: "bench-app", Name: "Bench App"},
		Installations: []githubapitest.Installation{
			{
				ID:                  11,
				Account:             githubapitest.Account{Login: orgLogin, ID: 9001, Type: "Organization"},
				RepositorySelection: "selected",
				Repositories:        repos,
				Permissions:         grants,
			},
			{
				ID:                  userInstall,
				Account:             githubapitest.Account{Login: userLogin, ID: 9002, Type: "User"},
				RepositorySelection: "all",
				Repositories:        []githubapitest.Repository{{ID: 201, Name: "dotfiles"}, {ID: 202, Name: "blog"}},
				Permissions:         map[string]string{"contents": "write", "metadata": "read"},
			},
		},
	}
}

// apiURLExpr is the default of github-api-url, which the runner evaluates.
const apiURLExpr = "${{ github.api_url }}"

// actionInputs reads action.yml: the INPUT_* variables the runner sets
// from the inputs' defaults (expressions such as [apiURLExpr] left for the
// caller to evaluate), and every permission-* input (name without the
// prefix, e.g. "pull-requests") with the highest level its description
// allows.
func actionInputs(path string) (defaults, perms map[string]string, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read action metadata: %w", err)
	}
	var meta struct {
		Inputs map[string]struct {
			Description string  `yaml:"description"`
			Default     *string `yaml:"default"`
		} `yaml:"inputs"`
	}
	if err := yaml.Unmarshal(b, &meta); err != nil {
		return nil, nil, fmt.Errorf("parse action metadata: %w", err)
	}
	levelRE := regexp.MustCompile(`'(read|write|admin)'`)
	defaults, perms = map[string]string{}, map[string]string{}
	for name, in := range meta.Inputs {
		if in.Default != nil {
			defaults["INPUT_"+strings.ToUpper(name)] = *in.Default
		}
		if p, ok := strings.CutPrefix(name, "permission-"); ok {
			levels := levelRE.FindAllStringSubmatch(in.Description, -1)
			if len(levels) == 0 {
				return nil, nil, fmt.Errorf("action metadata: input %s names no level", name)
			}
			perms[p] = levels[len(levels)-1][1]
		}
	}
	if len(perms) == 0 {
		return nil, nil, fmt.Errorf("action metadata: no permission-* inputs")
	}
	return defaults, perms, nil
}
