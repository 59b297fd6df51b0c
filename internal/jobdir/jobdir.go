// Package jobdir names the files that the action's install-cli input
// leaves for a job's later steps, and that the command line and the
// action's post step share: the job directory, app-token in the runner's
// temp directory, with the command line's binary, its configuration file
// and the token cache; and the variables that point at them. The command
// line and the post step resolve every path through this package, so that
// both find the same files.
package jobdir

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Names in the job directory, and the directory's own name in the
// runner's temp directory ($RUNNER_TEMP).
const (
	DirName    = "app-token"
	CLIName    = "app-token"   // the command line's binary
	ConfigName = "config.json" // the configuration install-cli wrote
	CacheName  = "tokens.json" // the token cache
)

// Variables that name the files elsewhere.
const (
	// ConfigEnv names the configuration file; install-cli exports it
	// with the host's path.
	ConfigEnv = "APP_TOKEN_CONFIG"
	// CacheEnv names the token cache file, for the command line and the
	// post step alike.
	CacheEnv = "APP_TOKEN_CACHE"
)

// Dir returns the job directory, $RUNNER_TEMP/app-token, and true in a
// GitHub Actions job (GITHUB_ACTIONS=true and RUNNER_TEMP set), where the
// runner empties the temp directory at the start of every job; outside
// one it returns "" and false.
func Dir(getenv func(string) string) (string, bool) {
	temp := strings.TrimSpace(getenv("RUNNER_TEMP"))
	if strings.TrimSpace(getenv("GITHUB_ACTIONS")) != "true" || temp == "" {
		return "", false
	}
	return filepath.Join(temp, DirName), true
}

// ConfigPath returns the configuration file of a job: the job directory's
// config.json, and true, in a job; "" and false outside one.
func ConfigPath(getenv func(string) string) (string, bool) {
	dir, ok := Dir(getenv)
	if !ok {
		return "", false
	}
	return filepath.Join(dir, ConfigName), true
}

// CachePath returns the token cache's path for the environment getenv
// reads: $APP_TOKEN_CACHE if set; in a GitHub Actions job, tokens.json in
// the job directory; else in $XDG_RUNTIME_DIR (a per-user directory in
// memory on most Linux systems), else in the user's cache directory
// (userCacheDir, os.UserCacheDir in production).
func CachePath(getenv func(string) string, userCacheDir func() (string, error)) (string, error) {
	if p := strings.TrimSpace(getenv(CacheEnv)); p != "" {
		return p, nil
	}
	if dir, ok := Dir(getenv); ok {
		return filepath.Join(dir, CacheName), nil
	}
	if d := strings.TrimSpace(getenv("XDG_RUNTIME_DIR")); d != "" {
		return filepath.Join(d, DirName, CacheName), nil
	}
	d, err := userCacheDir()
	if err != nil {
		return "", fmt.Errorf("find the token cache's directory: %w", err)
	}
	return filepath.Join(d, DirName, CacheName), nil
}
