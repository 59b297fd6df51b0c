package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// listEntries returns the trimmed, non-empty entries of list input name:
// a JSON array (tibdex/github-app-token's format for repositories) if s
// starts with "[", else a comma- or newline-separated list. A JSON array
// holds strings, and numbers too when numbers is true.
func listEntries(name, s string, numbers bool) ([]string, error) {
	if !strings.HasPrefix(s, "[") {
		return splitList(s), nil
	}
	what, example := "strings", `["app", "infra"]`
	if numbers {
		what, example = "numbers", "[1296269, 1296270]"
	}
	var elems []json.RawMessage
	if err := json.Unmarshal([]byte(s), &elems); err != nil {
		// The value is not quoted: the JSON error names at most one
		// character of it.
		return nil, inputError(name,
			"starts with [ but is not a JSON array: "+err.Error(),
			fmt.Sprintf("write {%s} as a JSON array of %s, like %s, or as a list separated by commas or newlines", name, what, example))
	}
	var entries []string
	for _, e := range elems {
		var entry string
		switch {
		case bytes.HasPrefix(e, []byte(`"`)):
			if err := json.Unmarshal(e, &entry); err != nil {
				return nil, inputError(name, "is not a valid JSON array: "+err.Error(), "write {"+name+"} as valid JSON")
			}
		case numbers && json.Valid(e) && len(e) > 0 && (e[0] == '-' || '0' <= e[0] && e[0] <= '9'):
			entry = string(e)
		default:
			return nil, inputError(name,
				fmt.Sprintf("is a JSON array with an element that is not one of its %s: %s", what, quote(string(e))),
				fmt.Sprintf("write {%s} as a JSON array of %s, like %s", name, what, example))
		}
		if entry = strings.TrimSpace(entry); entry != "" {
			entries = append(entries, entry)
		}
	}
	return entries, nil
}

// repositoryRef returns a repositories entry as "name" or "owner/name".
// It understands a trailing ".git" and the web or clone URL of a repository
// on host (the host of GITHUB_SERVER_URL), in https, ssh or scp-like
// (git@host:owner/name.git) form, and reports with changed that it did. Any
// other URL is an error that shows the owner/name to write, if it has one;
// credentials, a query or a fragment in a URL are never shown.
func repositoryRef(entry, host string) (ref string, changed bool, err error) {
	scheme, rest, isURL := strings.Cut(entry, "://")
	if !isURL {
		if user, hostPath, ok := strings.Cut(entry, "@"); ok && !strings.Contains(user, "/") {
			// scp-like syntax: [user@]host:path, as in git@github.com:o/r.git.
			h, path, ok := strings.Cut(hostPath, ":")
			if !ok || strings.Contains(h, "/") {
				return entry, false, nil // not a URL; name validation reports it
			}
			return urlRepository(entry, entry, "ssh", h, path, host)
		}
		if name, ok := strings.CutSuffix(entry, ".git"); ok && name != "" && !strings.HasSuffix(name, "/") {
			return name, true, nil
		}
		return entry, false, nil
	}
	// Checked before any echo of entry: a clone URL can carry a token, as in
	// https://x-access-token:TOKEN@github.com/o/r.git.
	authority, _, _ := strings.Cut(rest, "/")
	if user, _, ok := strings.Cut(authority, "@"); ok && (scheme != "ssh" || strings.Contains(user, ":")) {
		return "", false, inputError("repositories",
			"has a URL with credentials (not shown)",
			"write the repository as owner/name in {repositories}, without the URL and its credentials; consider revoking the credential if an earlier run's log showed it")
	}
	shown := entry
	if i := strings.IndexAny(entry, "?#"); i >= 0 {
		shown = entry[:i]
	}
	u, err := url.Parse(entry)
	if err != nil || u.Host == "" {
		return "", false, inputError("repositories",
			fmt.Sprintf("%s is not a valid URL", quote(shown)),
			"write each entry of {repositories} as the repository's name or owner/name")
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		path, _ := repositoryPath(u.Path)
		return "", false, wrongURL(shown, "has a query or fragment (not shown)", path)
	}
	return urlRepository(entry, shown, strings.ToLower(u.Scheme), u.Hostname(), u.Path, host)
}

// urlRepository returns the owner/name that the URL entry (shown as shown)
// with scheme, host h and path names, if h is host and path is exactly
// owner/name with an optional ".git" or "/".
func urlRepository(entry, shown, scheme, h, path, host string) (string, bool, error) {
	ref, exact := repositoryPath(path)
	switch {
	case scheme != "https" && scheme != "http" && scheme != "ssh":
		return "", false, wrongURL(shown, "is a "+scheme+" URL, not a repository's web or clone URL", ref)
	case !strings.EqualFold(h, host):
		return "", false, wrongURL(shown, "is a URL on "+quote(h)+", not on "+quote(host)+" where the app is installed", ref)
	case !exact:
		return "", false, wrongURL(shown, "is a URL but not of a repository (owner/name)", ref)
	}
	return ref, true, nil
}

// repositoryPath returns the owner/name at the start of a URL path, and
// whether the path is exactly that, with an optional ".git" or "/". It
// returns "" if path does not start with a valid owner and name.
func repositoryPath(path string) (ref string, exact bool) {
	path = strings.TrimPrefix(path, "/")
	parts := strings.SplitN(path, "/", 3)
	if len(parts) < 2 {
		return "", false
	}
	owner, name := parts[0], parts[1]
	exact = len(parts) == 2 || parts[2] == ""
	if n, ok := strings.CutSuffix(name, ".git"); ok && n != "" {
		name = n
	}
	if !validLogin(owner) || !validRepoName(name) {
		return "", false
	}
	return owner + "/" + name, exact
}

// wrongURL returns the error for a repositories entry that is a URL the
// action does not take as a repository; ref is the owner/name to write
// instead, or "".
func wrongURL(shown, problem, ref string) error {
	next := "write each entry of {repositories} as the repository's name or owner/name on the GitHub host the workflow runs on"
	if ref != "" {
		next = fmt.Sprintf("write %s in {repositories}, the repository's owner/name, if that is the repository you mean; one token covers repositories on the GitHub host the workflow runs on", quote(ref))
	}
	return inputError("repositories", quote(shown)+" "+problem, next)
}
