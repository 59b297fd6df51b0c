package githubapitest

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// normalize returns a deep copy of cfg with defaults filled in, and the
// inconsistencies it found. The copy is usable even when there are some.
func normalize(cfg Config) (Config, []error) {
	var problems []error
	bad := func(format string, args ...any) {
		problems = append(problems, fmt.Errorf(format, args...))
	}
	out := Config{
		BasePath:   strings.TrimSuffix(cfg.BasePath, "/"),
		App:        cfg.App,
		TokenTTL:   cfg.TokenTTL,
		Now:        cfg.Now,
		LongTokens: cfg.LongTokens,
	}
	if out.BasePath != "" && !strings.HasPrefix(out.BasePath, "/") {
		out.BasePath = "/" + out.BasePath
	}
	if out.Now == nil {
		out.Now = time.Now
	}
	switch {
	case out.TokenTTL == 0:
		out.TokenTTL = time.Hour
	case out.TokenTTL < 0:
		bad("token TTL %v is negative", out.TokenTTL)
		out.TokenTTL = time.Hour
	}
	if out.App.ID <= 0 {
		bad("app ID %d is not positive", out.App.ID)
	}
	if out.App.Slug == "" {
		out.App.Slug = fmt.Sprintf("app-%d", out.App.ID)
	}
	if out.App.Name == "" {
		out.App.Name = out.App.Slug
	}

	nextAccountID := int64(5_000_001)
	nextRepoID := int64(600_000_001)
	installIDs := map[int64]bool{}
	repoIDs := map[int64]bool{}
	owners := map[string]bool{}
	for _, in := range cfg.Installations {
		in.Repositories = slices.Clone(in.Repositories)
		in.Permissions = maps.Clone(in.Permissions)
		if in.ID <= 0 || installIDs[in.ID] {
			bad("installation ID %d is not positive or not unique", in.ID)
		}
		installIDs[in.ID] = true
		if in.Account.Type == "" {
			in.Account.Type = "User"
		}
		switch in.Account.Type {
		case "User", "Organization", "Enterprise":
		default:
			bad("installation %d: account type %q is not User, Organization or Enterprise", in.ID, in.Account.Type)
		}
		if in.Account.Login == "" {
			bad("installation %d: account login is empty", in.ID)
		}
		owner := ownerKind(in.Account.Type) + strings.ToLower(in.Account.Login)
		if owners[owner] {
			bad("installation %d: the app is installed twice on %q", in.ID, in.Account.Login)
		}
		owners[owner] = true
		if in.Account.ID == 0 {
			in.Account.ID = nextAccountID
			nextAccountID++
		}
		if in.RepositorySelection == "" {
			in.RepositorySelection = "all"
		}
		if in.RepositorySelection != "all" && in.RepositorySelection != "selected" {
			bad("installation %d: repository selection %q is not all or selected", in.ID, in.RepositorySelection)
		}
		if in.Account.Type == "Enterprise" && len(in.Repositories) > 0 {
			bad("installation %d: an enterprise installation has no repositories", in.ID)
		}
		names := map[string]bool{}
		for i, repo := range in.Repositories {
			if repo.Name == "" || strings.Contains(repo.Name, "/") {
				bad("installation %d: repository name %q is empty or has a slash", in.ID, repo.Name)
			}
			if names[strings.ToLower(repo.Name)] {
				bad("installation %d: repository %q is listed twice", in.ID, repo.Name)
			}
			names[strings.ToLower(repo.Name)] = true
			if repo.ID == 0 {
				repo.ID = nextRepoID
				nextRepoID++
				in.Repositories[i] = repo
			}
			if repoIDs[repo.ID] {
				bad("installation %d: repository ID %d is not unique", in.ID, repo.ID)
			}
			repoIDs[repo.ID] = true
		}
		for name, level := range in.Permissions {
			if !levelAllowed(name, level) {
				bad("installation %d: permission %s: %q is not a level GitHub knows for it", in.ID, name, level)
			}
		}
		out.Installations = append(out.Installations, in)
	}

	for _, u := range cfg.Users {
		if u.Type == "" {
			u.Type = "User"
		}
		if u.Login == "" {
			bad("user with ID %d has an empty login", u.ID)
		}
		if u.ID == 0 {
			u.ID = nextAccountID
			nextAccountID++
		}
		out.Users = append(out.Users, u)
	}

	if len(cfg.Renamed) > 0 {
		out.Renamed = make(map[string]string, len(cfg.Renamed))
		for from, to := range cfg.Renamed {
			if strings.Count(from, "/") != 1 || strings.Count(to, "/") != 1 {
				bad("renamed %q to %q: both must be owner/name", from, to)
			}
			out.Renamed[strings.ToLower(from)] = to
			if !reaches(out.Installations, to) {
				bad("renamed %q to %q, which no installation reaches: GitHub redirects to the repository's ID", from, to)
			}
		}
	}
	return out, problems
}

// ownerKind groups account types that share a login namespace: users and
// organizations share one, enterprises have their own.
func ownerKind(accountType string) string {
	if accountType == "Enterprise" {
		return "enterprise:"
	}
	return "account:"
}

// reaches reports whether one of installs has the repository "owner/name".
func reaches(installs []Installation, full string) bool {
	owner, name, _ := strings.Cut(full, "/")
	for _, in := range installs {
		if in.Account.Type != "Enterprise" && strings.EqualFold(in.Account.Login, owner) && repositoryNamed(in, name) >= 0 {
			return true
		}
	}
	return false
}
