package runnertest

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
)

// The benchmark's world: one app installed on an organization with
// benchRepos selected repositories and every permission, and on a user
// with all of its repositories.
const (
	BenchClientID    = "Iv23liBench000000000"
	benchOrg         = "octo-org"
	BenchRepository  = benchOrg + "/app" // GITHUB_REPOSITORY of the cases
	benchUser        = "octocat"
	benchUserInstall = 12
	benchRepos       = 501
)

// Case is one way a workflow uses the action, as the benchmarks measure it.
type Case struct {
	Name   string
	About  string
	Inputs map[string]string // input name ("permission-issues") to value, on top of action.yml's defaults
}

// Apply sets the case's inputs on r.
func (c Case) Apply(r *Runner) {
	for name, v := range c.Inputs {
		r.Set(name, v)
	}
}

// BenchCases returns the benchmark's cases, in run order, for the world of
// [BenchWorld]; perms are every permission input with its highest level,
// from [Action.PermissionLevels].
func BenchCases(perms map[string]string) []Case {
	many := map[string]string{
		"owner":        benchOrg,
		"repositories": strings.Join(benchRepoNames()[:500], "\n"),
	}
	for name, level := range perms {
		many["permission-"+name] = level
	}
	return []Case{
		{Name: "current-repo", About: "no inputs: the current repository " + BenchRepository},
		{Name: "owner-3-repos", About: "owner, 3 repositories, 3 permissions", Inputs: map[string]string{
			"owner":                    benchOrg,
			"repositories":             "app,infra,docs",
			"permission-contents":      "write",
			"permission-issues":        "write",
			"permission-pull-requests": "write",
		}},
		{Name: "500-repos", About: fmt.Sprintf("owner, 500 repositories, all %d permissions", len(perms)), Inputs: many},
		{Name: "installation-id", About: "installation-id of a user's installation on all repositories", Inputs: map[string]string{
			"installation-id": strconv.Itoa(benchUserInstall),
		}},
	}
}

// benchRepoNames returns the organization's repositories: app, infra,
// docs, then repo-0004 and on.
func benchRepoNames() []string {
	names := []string{"app", "infra", "docs"}
	for i := len(names) + 1; len(names) < benchRepos; i++ {
		names = append(names, fmt.Sprintf("repo-%04d", i))
	}
	return names
}

// BenchWorld returns the emulator's configuration for [BenchCases]; perms
// maps permission inputs without their prefix ("pull-requests") to the
// level the organization grants.
func BenchWorld(perms map[string]string) githubapitest.Config {
	var repos []githubapitest.Repository
	for i, name := range benchRepoNames() {
		repos = append(repos, githubapitest.Repository{ID: int64(100001 + i), Name: name})
	}
	grants := map[string]string{}
	for name, level := range perms {
		grants[strings.ReplaceAll(name, "-", "_")] = level
	}
	return githubapitest.Config{
		App: githubapitest.App{ID: 424242, ClientID: BenchClientID, Slug: "bench-app", Name: "Bench App"},
		Installations: []githubapitest.Installation{
			{
				ID:                  11,
				Account:             githubapitest.Account{Login: benchOrg, ID: 9001, Type: "Organization"},
				RepositorySelection: "selected",
				Repositories:        repos,
				Permissions:         grants,
			},
			{
				ID:                  benchUserInstall,
				Account:             githubapitest.Account{Login: benchUser, ID: 9002, Type: "User"},
				RepositorySelection: "all",
				Repositories:        []githubapitest.Repository{{ID: 201, Name: "dotfiles"}, {ID: 202, Name: "blog"}},
				Permissions:         map[string]string{"contents": "write", "metadata": "read"},
			},
		},
	}
}

// levelRE finds the levels an input's description allows.
var levelRE = regexp.MustCompile(`'(read|write|admin)'`)

// PermissionLevels returns every permission-* input of a, without the
// prefix ("pull-requests"), with the highest level its description allows
// (the last one it names). It fails when an input names no level or a
// declares no permission input.
func (a *Action) PermissionLevels() (map[string]string, error) {
	perms := map[string]string{}
	for name, in := range a.Inputs {
		p, ok := strings.CutPrefix(name, "permission-")
		// A permission GitHub no longer lists is declared only for drop-in
		// compatibility; the emulator, like GitHub, knows no level for it.
		if !ok || strings.Contains(in.Description, "no longer lists") {
			continue
		}
		levels := levelRE.FindAllStringSubmatch(in.Description, -1)
		if len(levels) == 0 {
			return nil, fmt.Errorf("action.yml: input %s names no level", name)
		}
		perms[p] = levels[len(levels)-1][1]
	}
	if len(perms) == 0 {
		return nil, fmt.Errorf("action.yml: no permission-* inputs")
	}
	return perms, nil
}
