package config

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
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
// c mints. Secret inputs (private-key, gcp-access-token,
// azure-access-token) are left out: with private-key, the command line
// reads the key from its environment.
func (c *Config) CLIFile() CLIFile {
	in := map[string]string{"client-id": c.Issuer, "github-api-url": c.APIURL}
	set := func(name, v string) {
		if v != "" {
			in[name] = v
		}
	}
	if k := c.Keyless; k != nil {
		set("signing-key", k.SigningKey)
		set("aws-role-arn", k.AWSRoleARN)
		set("gcp-workload-identity-provider", k.GCPWorkloadIdentityProvider)
		set("gcp-service-account", k.GCPServiceAccount)
		set("vault-role", k.VaultRole)
		set("vault-auth-path", k.VaultAuthPath)
		set("vault-address", k.VaultAddress)
		set("vault-audience", k.VaultAudience)
		set("azure-client-id", k.AzureClientID)
		set("azure-tenant-id", k.AzureTenantID)
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

// cliFileSecrets are the inputs a [CLIFile] must never hold.
var cliFileSecrets = []string{"private-key", "gcp-access-token", "azure-access-token"}

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
	for _, name := range cliFileSecrets {
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
