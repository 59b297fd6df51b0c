package config

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// scope reads the inputs that choose the installation and the repositories
// the token can access.
func (l *loader) scope() error {
	var in [5]string
	for i, name := range []string{"owner", "repositories", "repository-ids", "installation-id", "enterprise"} {
		v, err := l.input(name)
		if err != nil {
			return err
		}
		in[i] = v
	}
	owner, reposIn, idsIn, installationIn, enterprise := in[0], in[1], in[2], in[3], in[4]

	if owner != "" && !validLogin(owner) {
		return inputError("owner",
			fmt.Sprintf("%s is not a valid user or organization name", quote(owner)),
			"set {owner} to the login of a user or organization: letters, digits and hyphens, at most 39 characters, not starting with a hyphen")
	}
	if enterprise != "" {
		if err := checkEnterprise(enterprise, owner, reposIn, idsIn, installationIn); err != nil {
			return err
		}
	}
	var installationID int64
	if installationIn != "" {
		id, ok := parseID(installationIn)
		if !ok {
			return inputError("installation-id",
				fmt.Sprintf("must be a positive integer, got %s", quote(installationIn)),
				"set {installation-id} to the numeric installation ID, or leave it unset to find the installation from {owner} or the current repository")
		}
		if owner != "" {
			return inputError("installation-id",
				"cannot be combined with {owner}",
				"set {installation-id} to choose the installation directly, or {owner} to find it, not both")
		}
		installationID = id
	}

	current := l.in.getenv("GITHUB_REPOSITORY")
	repoOwner := owner
	if repoOwner == "" {
		repoOwner = l.in.getenv("GITHUB_REPOSITORY_OWNER")
	}
	if repoOwner == "" {
		repoOwner, _, _ = strings.Cut(current, "/")
	}
	repos, repoOwner, understood, err := parseRepositories(reposIn, repoOwner, serverHost(l.in))
	if err != nil {
		return err
	}
	if len(understood) > 0 {
		l.c.Notices = append(l.c.Notices, understoodNotice("repositories", understood))
	}
	ids, err := parseRepositoryIDs(idsIn)
	if err != nil {
		return err
	}
	// A list that is set but names nothing, such as an expression that came
	// out empty, must not fall back to the meaning of an unset input: with
	// owner set, that is every repository of the installation.
	for _, list := range []struct {
		name  string
		n     int
		empty string
	}{{"repositories", len(repos), "repository"}, {"repository-ids", len(ids), "repository ID"}} {
		if raw := l.in.Values[list.name]; list.n == 0 && raw != "" {
			return inputError(list.name,
				fmt.Sprintf("%s names no %s", quote(raw), list.empty),
				"list at least one "+list.empty+" in {"+list.name+"}, or remove it: unset, the token is for the current repository, or for every repository of the installation when {owner} is set; if an expression sets it, check why the expression came out empty")
		}
	}
	if n := len(repos) + len(ids); n > maxRepositories {
		input := "repositories"
		if len(ids) > 0 {
			input = "repository-ids"
		}
		return inputError(input,
			fmt.Sprintf("%d repositories exceed GitHub's limit of %d per token", n, maxRepositories),
			fmt.Sprintf("list at most %d repositories and repository IDs in all in {repositories} and {repository-ids}, or leave both unset for all of the installation's repositories", maxRepositories))
	}

	switch {
	case owner == "" && len(repos) == 0 && installationID == 0 && enterprise == "":
		// The token is for the current repository.
		if o, name, ok := strings.Cut(current, "/"); !ok || !validLogin(o) || !validRepoName(name) {
			problem := "is not set, and GITHUB_REPOSITORY is empty"
			if current != "" {
				problem = fmt.Sprintf("is not set, and GITHUB_REPOSITORY %s is not owner/name", quote(current))
			}
			return inputError("owner",
				problem,
				"set {owner} or {repositories} when running outside a repository context")
		}
	case len(repos) > 0 && repoOwner == "" && installationID == 0:
		return inputError("owner",
			"is not set, and the owner of {repositories} is unknown",
			"set {owner}, or write {repositories} as owner/name")
	}

	l.c.Owner, l.c.RepoOwner = owner, repoOwner
	l.c.Repositories, l.c.RepositoryIDs = repos, ids
	l.c.InstallationID, l.c.Enterprise = installationID, enterprise
	l.c.CurrentRepository = current
	return nil
}

// checkEnterprise validates the enterprise slug and refuses the inputs that
// would also choose an installation or repositories.
func checkEnterprise(enterprise, owner, repos, ids, installation string) error {
	if len(enterprise) > 255 || enterprise[0] == '-' || !allBytes(enterprise, func(c byte) bool { return isAlnum(c) || c == '-' }) {
		return inputError("enterprise",
			fmt.Sprintf("%s is not a valid enterprise slug", quote(enterprise)),
			"set {enterprise} to the enterprise's slug as in https://github.com/enterprises/SLUG: letters, digits and hyphens")
	}
	var conflicts []string
	for _, in := range []struct{ name, value string }{
		{"owner", owner}, {"repositories", repos}, {"repository-ids", ids}, {"installation-id", installation},
	} {
		if in.value != "" {
			conflicts = append(conflicts, in.name)
		}
	}
	if len(conflicts) == 0 {
		return nil
	}
	fields := make([]string, len(conflicts))
	for i, c := range conflicts {
		fields[i] = "{" + c + "}"
	}
	fieldList := joinWords(fields, "and")
	return inputError("enterprise",
		"cannot be combined with "+fieldList,
		"an enterprise installation is chosen by {enterprise} alone and covers no repositories; remove "+fieldList+", or remove {enterprise}")
}

// parseRepositories splits the repositories input into bare names. Entries
// are name or owner/name, or a form [repositoryRef] understands on host;
// owner is the owner they must all share, and when it is "" the first
// owner/name entry sets it. It returns the names, deduplicated
// case-insensitively in input order, the owner, and each entry that was
// understood as another, as `"entry" as "ref"`.
func parseRepositories(s, owner, host string) (names []string, _ string, understood []string, _ error) {
	entries, err := listEntries("repositories", s, false)
	if err != nil {
		return nil, "", nil, err
	}
	var foreign []string
	if len(entries) > 0 {
		names = make([]string, 0, len(entries))
	}
	seen := make(map[string]bool, len(entries))
	for _, entry := range entries {
		ref, changed, err := repositoryRef(entry, host)
		if err != nil {
			return nil, "", nil, err
		}
		if changed {
			understood = append(understood, quote(entry)+" as "+quote(ref))
		}
		o, name, qualified := strings.Cut(ref, "/")
		if !qualified {
			o, name = "", ref
		}
		if !validRepoName(name) || qualified && !validLogin(o) {
			fix := "write each entry of {repositories} as the repository's name or owner/name; names contain only letters, digits, '.', '-' and '_', at most 100 characters"
			if strings.ContainsAny(entry, " \t;") {
				fix = "separate the entries of {repositories} with commas or newlines"
			}
			return nil, "", nil, inputError("repositories",
				fmt.Sprintf("%s is not a valid repository name", quote(entry)),
				fix)
		}
		if qualified {
			if owner == "" {
				owner = o
			}
			if !strings.EqualFold(o, owner) {
				foreign = append(foreign, quote(ref))
				continue
			}
		}
		if key := strings.ToLower(name); !seen[key] {
			seen[key] = true
			names = append(names, name)
		}
	}
	if len(foreign) > 0 {
		verb := "is"
		if len(foreign) > 1 {
			verb = "are"
		}
		return nil, "", nil, inputError("repositories",
			fmt.Sprintf("%s %s not owned by %s", joinWords(foreign, "and"), verb, quote(owner)),
			"one token can only access the repositories of one owner; use one step per owner, or set {owner} to the repositories' owner")
	}
	return names, owner, understood, nil
}

// understoodNotice returns the notice for input whose entries were
// understood as others, naming the first few.
func understoodNotice(input string, understood []string) string {
	const max = 3
	list := understood
	if len(list) > max {
		list = append(list[:max:max], fmt.Sprintf("%d more", len(understood)-max))
	}
	return fmt.Sprintf("{%s}: understood %s; write them so to silence this notice", input, joinWords(list, "and"))
}

// serverHost returns the host name of the GitHub server the workflow runs
// on, from GITHUB_SERVER_URL.
func serverHost(in Inputs) string {
	u, err := url.Parse(serverURL(in))
	if err != nil || u.Hostname() == "" {
		return "github.com"
	}
	return strings.ToLower(u.Hostname())
}

// parseRepositoryIDs splits the repository-ids input, a list or a JSON
// array, into IDs, deduplicated in input order.
func parseRepositoryIDs(s string) ([]int64, error) {
	entries, err := listEntries("repository-ids", s, true)
	if err != nil {
		return nil, err
	}
	var ids []int64
	seen := map[int64]bool{}
	for _, entry := range entries {
		id, ok := parseID(entry)
		if !ok {
			return nil, inputError("repository-ids",
				fmt.Sprintf("%s is not a repository ID", quote(entry)),
				"set {repository-ids} to positive integers separated by commas or newlines, like 1296269")
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// splitList splits a comma- or newline-separated list, trims its entries
// and drops empty ones.
func splitList(s string) []string {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' })
	out := fields[:0] // trimmed in place
	for _, f := range fields {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// parseID parses a positive decimal integer.
func parseID(s string) (int64, bool) {
	if s == "" || !allBytes(s, func(c byte) bool { return '0' <= c && c <= '9' }) {
		return 0, false
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

// validLogin reports whether s can be a GitHub user or organization login.
func validLogin(s string) bool {
	return s != "" && len(s) <= 39 && s[0] != '-' &&
		allBytes(s, func(c byte) bool { return isAlnum(c) || c == '-' })
}

// validRepoName reports whether s can be a GitHub repository name.
func validRepoName(s string) bool {
	return s != "" && len(s) <= 100 && s != "." && s != ".." &&
		allBytes(s, func(c byte) bool { return isAlnum(c) || c == '.' || c == '-' || c == '_' })
}
