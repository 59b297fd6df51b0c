package githubapitest

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"time"
)

// The JSON shapes below follow GitHub's answers field for field (in GitHub's
// order), trimmed of the URL templates no client of this server reads.

// errorBody is GitHub's error answer.
type errorBody struct {
	Message          string `json:"message"`
	DocumentationURL string `json:"documentation_url"`
	Status           string `json:"status"`
}

// movedBody is GitHub's answer for a renamed repository.
type movedBody struct {
	Message          string `json:"message"`
	URL              string `json:"url"`
	DocumentationURL string `json:"documentation_url"`
}

// userBody is a simple user: the owner of a repository or an account.
type userBody struct {
	Login             string `json:"login"`
	ID                int64  `json:"id"`
	NodeID            string `json:"node_id"`
	AvatarURL         string `json:"avatar_url"`
	GravatarID        string `json:"gravatar_id"`
	URL               string `json:"url"`
	HTMLURL           string `json:"html_url"`
	FollowersURL      string `json:"followers_url"`
	OrganizationsURL  string `json:"organizations_url"`
	ReposURL          string `json:"repos_url"`
	EventsURL         string `json:"events_url"`
	ReceivedEventsURL string `json:"received_events_url"`
	Type              string `json:"type"`
	UserViewType      string `json:"user_view_type"`
	SiteAdmin         bool   `json:"site_admin"`
}

// fullUserBody is the answer of GET /users/{username}.
type fullUserBody struct {
	userBody
	Name            *string `json:"name"`
	Company         *string `json:"company"`
	Blog            string  `json:"blog"`
	Location        *string `json:"location"`
	Email           *string `json:"email"`
	Hireable        *bool   `json:"hireable"`
	Bio             *string `json:"bio"`
	TwitterUsername *string `json:"twitter_username"`
	PublicRepos     int     `json:"public_repos"`
	PublicGists     int     `json:"public_gists"`
	Followers       int     `json:"followers"`
	Following       int     `json:"following"`
	CreatedAt       string  `json:"created_at"`
	UpdatedAt       string  `json:"updated_at"`
}

// enterpriseBody is an enterprise account.
type enterpriseBody struct {
	ID          int64   `json:"id"`
	Slug        string  `json:"slug"`
	Name        string  `json:"name"`
	NodeID      string  `json:"node_id"`
	AvatarURL   string  `json:"avatar_url"`
	Description *string `json:"description"`
	WebsiteURL  *string `json:"website_url"`
	HTMLURL     string  `json:"html_url"`
	CreatedAt   string  `json:"created_at"`
	UpdatedAt   string  `json:"updated_at"`
}

// appBody is the answer of GET /app.
type appBody struct {
	ID                 int64             `json:"id"`
	ClientID           string            `json:"client_id"`
	Slug               string            `json:"slug"`
	NodeID             string            `json:"node_id"`
	Owner              userBody          `json:"owner"`
	Name               string            `json:"name"`
	Description        string            `json:"description"`
	ExternalURL        string            `json:"external_url"`
	HTMLURL            string            `json:"html_url"`
	CreatedAt          string            `json:"created_at"`
	UpdatedAt          string            `json:"updated_at"`
	Permissions        map[string]string `json:"permissions"`
	Events             []string          `json:"events"`
	InstallationsCount int               `json:"installations_count"`
}

// installationBody is an installation. client_id is in the installation
// schema of github/rest-api-description (components/schemas/installation).
type installationBody struct {
	ID                     int64             `json:"id"`
	Account                any               `json:"account"`
	RepositorySelection    string            `json:"repository_selection"`
	AccessTokensURL        string            `json:"access_tokens_url"`
	RepositoriesURL        string            `json:"repositories_url"`
	HTMLURL                string            `json:"html_url"`
	AppID                  int64             `json:"app_id"`
	ClientID               string            `json:"client_id"`
	AppSlug                string            `json:"app_slug"`
	TargetID               int64             `json:"target_id"`
	TargetType             string            `json:"target_type"`
	Permissions            map[string]string `json:"permissions"`
	Events                 []string          `json:"events"`
	CreatedAt              string            `json:"created_at"`
	UpdatedAt              string            `json:"updated_at"`
	SingleFileName         *string           `json:"single_file_name"`
	HasMultipleSingleFiles bool              `json:"has_multiple_single_files"`
	SingleFilePaths        []string          `json:"single_file_paths"`
	SuspendedBy            *userBody         `json:"suspended_by"`
	SuspendedAt            *string           `json:"suspended_at"`
}

// repoBody is a repository.
type repoBody struct {
	ID            int64    `json:"id"`
	NodeID        string   `json:"node_id"`
	Name          string   `json:"name"`
	FullName      string   `json:"full_name"`
	Private       bool     `json:"private"`
	Owner         userBody `json:"owner"`
	HTMLURL       string   `json:"html_url"`
	Description   *string  `json:"description"`
	Fork          bool     `json:"fork"`
	URL           string   `json:"url"`
	CreatedAt     string   `json:"created_at"`
	UpdatedAt     string   `json:"updated_at"`
	PushedAt      string   `json:"pushed_at"`
	Archived      bool     `json:"archived"`
	Disabled      bool     `json:"disabled"`
	Visibility    string   `json:"visibility"`
	DefaultBranch string   `json:"default_branch"`
}

// tokenBody is the answer of POST /app/installations/{id}/access_tokens.
type tokenBody struct {
	Token               string            `json:"token"`
	ExpiresAt           string            `json:"expires_at"`
	Permissions         map[string]string `json:"permissions"`
	RepositorySelection string            `json:"repository_selection"`
	Repositories        []repoBody        `json:"repositories,omitempty"`
}

// epoch is when the emulated world was created.
var epoch = time.Date(2024, time.January, 15, 10, 0, 0, 0, time.UTC)

// apiRoot returns the absolute API root a request reached.
func (s *Server) apiRoot(r *http.Request) string { return "http://" + r.Host + s.cfg.BasePath }

// webRoot returns the web root matching the API root: github.com for the
// api.github.com layout, the server itself for the Enterprise Server layout.
func (s *Server) webRoot(r *http.Request) string {
	if s.cfg.BasePath == "" {
		return "https://github.com"
	}
	return "http://" + r.Host
}

// nodeID returns a legacy GraphQL node ID such as "MDQ6VXNlcjE=".
func nodeID(kind string, id int64) string {
	return base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "0%d:%s%d", len(kind), kind, id))
}

// appJSON renders the app.
func (s *Server) appJSON(r *http.Request) appBody {
	app := s.cfg.App
	owner := Account{Login: app.Slug + "-owner", ID: 1_000_000 + app.ID%1_000_000, Type: "User"}
	for _, in := range s.cfg.Installations {
		if in.Account.Type != "Enterprise" {
			owner = in.Account
			break
		}
	}
	perms := map[string]string{}
	for _, in := range s.cfg.Installations {
		for name, level := range in.Permissions {
			if levelRank(level) > levelRank(perms[name]) {
				perms[name] = level
			}
		}
	}
	return appBody{
		ID:                 app.ID,
		ClientID:           app.ClientID,
		Slug:               app.Slug,
		NodeID:             nodeID("Integration", app.ID),
		Owner:              s.userJSON(r, owner),
		Name:               app.Name,
		Description:        "",
		ExternalURL:        "https://example.com/" + app.Slug,
		HTMLURL:            s.webRoot(r) + "/apps/" + app.Slug,
		CreatedAt:          epoch.Format(time.RFC3339),
		UpdatedAt:          epoch.Format(time.RFC3339),
		Permissions:        perms,
		Events:             []string{},
		InstallationsCount: len(s.cfg.Installations),
	}
}

// installationJSON renders installation i.
func (s *Server) installationJSON(r *http.Request, i int) installationBody {
	in := s.cfg.Installations[i]
	created := epoch.Add(time.Duration(i+1) * 24 * time.Hour)
	const stamp = "2006-01-02T15:04:05.000Z"
	out := installationBody{
		ID:                  in.ID,
		RepositorySelection: in.RepositorySelection,
		AccessTokensURL:     fmt.Sprintf("%s/app/installations/%d/access_tokens", s.apiRoot(r), in.ID),
		RepositoriesURL:     s.apiRoot(r) + "/installation/repositories",
		HTMLURL:             s.installationHTMLURL(r, in),
		AppID:               s.cfg.App.ID,
		ClientID:            s.cfg.App.ClientID,
		AppSlug:             s.cfg.App.Slug,
		TargetID:            in.Account.ID,
		TargetType:          in.Account.Type,
		Permissions:         in.Permissions,
		Events:              []string{},
		CreatedAt:           created.Format(stamp),
		UpdatedAt:           created.Format(stamp),
		SingleFilePaths:     []string{},
	}
	if out.Permissions == nil {
		out.Permissions = map[string]string{}
	}
	if in.Account.Type == "Enterprise" {
		out.Account = s.enterpriseJSON(r, in.Account)
	} else {
		out.Account = s.userJSON(r, in.Account)
	}
	if in.Suspended {
		at := created.Add(time.Hour).Format(stamp)
		by := s.userJSON(r, Account{Login: "suspender", ID: 3, Type: "User"})
		out.SuspendedAt, out.SuspendedBy = &at, &by
	}
	return out
}

// installationHTMLURL is where an installation is configured on the web:
// below /organizations/{org}/ for an organization, as in the installation
// examples of github/rest-api-description
// ("https://github.com/organizations/github/settings/installations/1"),
// else /settings/installations/{id}. Assumed: the enterprise form.
func (s *Server) installationHTMLURL(r *http.Request, in Installation) string {
	if in.Account.Type == "Organization" {
		return fmt.Sprintf("%s/organizations/%s/settings/installations/%d", s.webRoot(r), in.Account.Login, in.ID)
	}
	return fmt.Sprintf("%s/settings/installations/%d", s.webRoot(r), in.ID)
}

// userJSON renders a user, organization or bot as a simple user.
func (s *Server) userJSON(r *http.Request, a Account) userBody {
	api := s.apiRoot(r) + "/users/" + a.Login
	out := userBody{
		Login:             a.Login,
		ID:                a.ID,
		NodeID:            nodeID(a.Type, a.ID),
		AvatarURL:         fmt.Sprintf("https://avatars.githubusercontent.com/u/%d?v=4", a.ID),
		URL:               api,
		HTMLURL:           s.webRoot(r) + "/" + a.Login,
		FollowersURL:      api + "/followers",
		OrganizationsURL:  api + "/orgs",
		ReposURL:          api + "/repos",
		EventsURL:         api + "/events{/privacy}",
		ReceivedEventsURL: api + "/received_events",
		Type:              a.Type,
		UserViewType:      "public",
	}
	if a.Type == "Bot" {
		out.AvatarURL = fmt.Sprintf("https://avatars.githubusercontent.com/in/%d?v=4", s.cfg.App.ID)
		out.HTMLURL = s.webRoot(r) + "/apps/" + s.cfg.App.Slug
	}
	return out
}

// fullUserJSON renders the answer of GET /users/{username}.
func (s *Server) fullUserJSON(r *http.Request, a Account) fullUserBody {
	stamp := epoch.Add(-time.Duration(a.ID%1000) * 24 * time.Hour).Format(time.RFC3339)
	return fullUserBody{
		userBody:  s.userJSON(r, a),
		CreatedAt: stamp,
		UpdatedAt: stamp,
	}
}

// enterpriseJSON renders an enterprise account.
func (s *Server) enterpriseJSON(r *http.Request, a Account) enterpriseBody {
	return enterpriseBody{
		ID:        a.ID,
		Slug:      a.Login,
		Name:      a.Login,
		NodeID:    nodeID("Enterprise", a.ID),
		AvatarURL: fmt.Sprintf("https://avatars.githubusercontent.com/b/%d?v=4", a.ID),
		HTMLURL:   s.webRoot(r) + "/enterprises/" + a.Login,
		CreatedAt: epoch.Format(time.RFC3339),
		UpdatedAt: epoch.Format(time.RFC3339),
	}
}

// repositoriesJSON renders repositories of an installation's account. The
// account is rendered once, as the owner of all of them.
func (s *Server) repositoriesJSON(r *http.Request, in Installation, repos []Repository) []repoBody {
	owner := s.userJSON(r, in.Account)
	web, api := s.webRoot(r), s.apiRoot(r)
	out := make([]repoBody, 0, len(repos))
	for _, repo := range repos {
		full := in.Account.Login + "/" + repo.Name
		stamp := epoch.Add(time.Duration(repo.ID%1000) * time.Hour).Format(time.RFC3339)
		out = append(out, repoBody{
			ID:            repo.ID,
			NodeID:        nodeID("Repository", repo.ID),
			Name:          repo.Name,
			FullName:      full,
			Private:       true,
			Owner:         owner,
			HTMLURL:       web + "/" + full,
			URL:           api + "/repos/" + full,
			CreatedAt:     stamp,
			UpdatedAt:     stamp,
			PushedAt:      stamp,
			Visibility:    "private",
			DefaultBranch: "main",
		})
	}
	return out
}
