package config

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/ghapptoken/app-token-action/internal/kms"
)

// CLIFileVersion is the version of the [CLIFile] format.
const CLIFileVersion = 1

// CLIFile is the configuration the action leaves for the command line in
// later steps of the job (input install-cli): what the main step minted
// its token for, as inputs the command line reads with [Parse]. It names
// the app, its signing key, the scope and the API; it never holds a
// private key, a token or any other secret input.
type CLIFile struct {
	Version int `json:"version"`
	// Inputs maps input names, as action.yml spells them, to values.
	Inputs map[string]string `json:"inputs"`
	// ServerURL and Repository are the job's GITHUB_SERVER_URL and
	// GITHUB_REPOSITORY, which choose the git host and the current
	// repository.
	ServerURL  string `json:"server_url"`
	Repository string `json:"repository"`
}

// CLIFile returns the configuration of the command line that mints what
// c mints. Secret inputs (private-key, and every KMS provider's secret
// identity input, such as an access token) are left out: the command line
// reads them from its environment.
func (c *Config) CLIFile() CLIFile {
	in := map[string]string{"client-id": c.Issuer, "github-api-url": c.APIURL}
	set := func(name, v string) {
		if v != "" {
			in[name] = v
		}
	}
	if k := c.Keyless; k != nil {
		set("signing-key", k.SigningKey)
		if p, ok := kms.Lookup(k.SigningKey); ok {
			for _, id := range p.Inputs {
				if !id.Secret {
					set(id.Name, k.Inputs[id.Name])
				}
			}
		}
	}
	set("owner", c.Owner)
	repos := make([]string, len(c.Repositories))
	for i, name := range c.Repositories {
		repos[i] = name
		if c.Owner == "" && c.RepoOwner != "" {
			// The owner came from the job's repository or a qualified
			// name: say it, so the command line needs no runner variable.
			repos[i] = c.RepoOwner + "/" + name
		}
	}
	set("repositories", strings.Join(repos, ","))
	ids := make([]string, len(c.RepositoryIDs))
	for i, id := range c.RepositoryIDs {
		ids[i] = strconv.FormatInt(id, 10)
	}
	set("repository-ids", strings.Join(ids, ","))
	if c.InstallationID != 0 {
		set("installation-id", strconv.FormatInt(c.InstallationID, 10))
	}
	set("enterprise", c.Enterprise)
	for name, level := range c.Permissions {
		set("permission-"+name, level)
	}
	set("ca-certificates", c.CACertificates)
	return CLIFile{Version: CLIFileVersion, Inputs: in, ServerURL: c.ServerURL, Repository: c.CurrentRepository}
}

// cliFileSecrets returns the inputs a [CLIFile] must never hold:
// private-key and the secret identity inputs of every KMS provider.
func cliFileSecrets() []string {
	names := []string{"private-key"}
	for _, p := range kms.Providers() {
		for _, in := range p.Inputs {
			if in.Secret {
				names = append(names, in.Name)
			}
		}
	}
	return names
}

// ParseCLIFile decodes a [CLIFile] and checks its version and that it
// holds no secret input.
func ParseCLIFile(b []byte) (CLIFile, error) {
	var f CLIFile
	if err := json.Unmarshal(b, &f); err != nil {
		return CLIFile{}, fmt.Errorf("decode: %w", err)
	}
	if f.Version != CLIFileVersion {
		return CLIFile{}, fmt.Errorf("version %d is not %d: the file was written by another version of the action", f.Version, CLIFileVersion)
	}
	var bad []string
	for _, name := range cliFileSecrets() {
		if _, ok := f.Inputs[name]; ok {
			bad = append(bad, name)
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return CLIFile{}, fmt.Errorf("it holds the secret inputs %s; pass them in the environment instead", strings.Join(bad, ", "))
	}
	return f, nil
}
