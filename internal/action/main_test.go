package action

import (
	"strings"
	"testing"

	"github.com/ghapptoken/app-token-action/internal/apptoken"
	"github.com/ghapptoken/app-token-action/internal/config"
	"github.com/ghapptoken/app-token-action/internal/githubapi"
)

// TestScopeText checks the scope the main step's last log line names: as
// the inputs asked, counted from GitHub's answer.
func TestScopeText(t *testing.T) {
	t.Parallel()
	current := &config.Config{CurrentRepository: "octo-org/app"}
	tests := []struct {
		name     string
		cfg      *config.Config
		instSel  string   // the installation's repository selection
		tokSel   string   // the token's, as GitHub answered
		tokRepos []string // the token's repositories, as GitHub answered
		want     string
	}{
		{name: "owner, all", cfg: &config.Config{Owner: "octo-org"}, instSel: "all", tokSel: "all",
			want: "for all repositories of the installation"},
		{name: "owner, selected", cfg: &config.Config{Owner: "octo-org"}, instSel: "selected", tokSel: "selected",
			want: "for the installation's selected repositories"},
		{name: "installation id, selected, GitHub lists them", cfg: &config.Config{InstallationID: 11}, instSel: "selected", tokSel: "selected", tokRepos: []string{"a", "b"},
			want: "for the installation's selected repositories"},
		{name: "enterprise", cfg: &config.Config{Enterprise: "octo-ent"}, instSel: "all",
			want: "for all repositories of the installation"},
		{name: "the current repository, in another case", cfg: current, instSel: "selected", tokSel: "selected", tokRepos: []string{"App"},
			want: "scoped to octo-org/app"},
		{name: "one other repository", cfg: &config.Config{Repositories: []string{"infra"}, CurrentRepository: "octo-org/app"}, tokSel: "selected", tokRepos: []string{"infra"},
			want: "scoped to 1 repository"},
		{name: "two repositories", cfg: &config.Config{RepositoryIDs: []int64{1, 2}}, tokSel: "selected", tokRepos: []string{"a", "b"},
			want: "scoped to 2 repositories"},
		{name: "no list, token selected", cfg: &config.Config{RepositoryIDs: []int64{1}}, instSel: "all", tokSel: "selected",
			want: "for the installation's selected repositories"},
		{name: "no list, installation selected, token silent", cfg: current, instSel: "selected",
			want: "for the installation's selected repositories"},
		{name: "no list, installation selected, token all", cfg: current, instSel: "selected", tokSel: "all",
			want: "for all repositories of the installation"},
		{name: "no list, all", cfg: current, instSel: "all",
			want: "for all repositories of the installation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := apptoken.Result{
				Installation: githubapi.Installation{Account: "octo-org", RepositorySelection: tt.instSel},
				Token:        githubapi.Token{RepositorySelection: tt.tokSel, Repositories: tt.tokRepos},
			}
			if got := scopeText(tt.cfg, res); got != tt.want {
				t.Errorf("scopeText() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestWriteValues checks that no value with a line break reaches a file
// command, where it could forge another name, and that the others are all
// written, in order.
func TestWriteValues(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"x\ninjected=1", "x\r", "\n"} {
		var set []string
		err := writeValues("write step outputs", [][2]string{{"installation-id", "1"}, {"token", bad}},
			func(name, value string) { set = append(set, name) })
		if err == nil || !strings.Contains(err.Error(), "refusing token") || strings.Contains(err.Error(), bad) {
			t.Errorf("writeValues(%q) error = %v, want it to refuse token without quoting it", bad, err)
		}
		if len(set) != 0 {
			t.Errorf("writeValues(%q) wrote %v, want nothing", bad, set)
		}
	}
	var set []string
	if err := writeValues("save state", [][2]string{{"token", "ghs_x"}, {"expires-at", "2031-01-02T03:04:05Z"}},
		func(name, value string) { set = append(set, name+"="+value) }); err != nil {
		t.Fatalf("writeValues() error = %v", err)
	}
	if got, want := strings.Join(set, " "), "token=ghs_x expires-at=2031-01-02T03:04:05Z"; got != want {
		t.Errorf("writeValues() wrote %q, want %q", got, want)
	}
}
