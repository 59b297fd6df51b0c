// Package tokencache keeps the installation tokens that the command line's
// git credential helper and exec command minted, so that a job's many git
// and command runs share one token until it nears its expiry, and so that
// the action's post step can revoke every one of them.
//
// The cache is one JSON file, readable by its owner only (0600), in a
// directory only its owner can enter (0700). It holds tokens and what they
// are for, never a key. Every change is made under a lock file and written
// to a temporary file that is renamed over the cache, so that concurrent
// git processes neither corrupt it nor lose each other's tokens.
package tokencache

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// DirName is the name of the directory, in the runner's temp directory,
// that holds the cache, and the action's copy of the command line and its
// configuration file (install-cli).
const DirName = "app-token"

// FileName is the cache file's name in its directory.
const FileName = "tokens.json"

// Entry is one cached token.
type Entry struct {
	// Scope identifies what the token was minted for: the API, the app,
	// the installation, the repositories and the permissions. A token is
	// only reused for the same scope.
	Scope          string    `json:"scope"`
	APIURL         string    `json:"api_url"`
	InstallationID int64     `json:"installation_id"`
	Token          string    `json:"token"`
	ExpiresAt      time.Time `json:"expires_at"`
}

// file is the cache file's content.
type file struct {
	Tokens []Entry `json:"tokens"`
}

// Cache is the cache file at Path. Now is its clock; nil means time.Now.
// A Cache is safe for concurrent use by goroutines and processes.
type Cache struct {
	Path string
	Now  func() time.Time
}

// Lock timing: a change holds the lock for the time of a read and a write,
// milliseconds; a lock file older than staleLock was left by a process that
// died holding it.
const (
	lockPoll  = 10 * time.Millisecond
	lockWait  = 15 * time.Second
	staleLock = 10 * time.Second
)

// Path returns the cache file's path for the environment getenv reads:
// $APP_TOKEN_CACHE if set; in a GitHub Actions job, app-token/tokens.json
// in the runner's temp directory ($RUNNER_TEMP), which the runner empties
// at the start of every job; else in $XDG_RUNTIME_DIR (a per-user
// directory in memory on most Linux systems), else in the user's cache
// directory (userCacheDir, os.UserCacheDir in production).
func Path(getenv func(string) string, userCacheDir func() (string, error)) (string, error) {
	if p := getenv("APP_TOKEN_CACHE"); p != "" {
		return p, nil
	}
	if getenv("GITHUB_ACTIONS") == "true" && getenv("RUNNER_TEMP") != "" {
		return filepath.Join(getenv("RUNNER_TEMP"), DirName, FileName), nil
	}
	if d := getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, DirName, FileName), nil
	}
	d, err := userCacheDir()
	if err != nil {
		return "", fmt.Errorf("find the token cache's directory: %w", err)
	}
	return filepath.Join(d, DirName, FileName), nil
}

func (c Cache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Get returns the cached token of scope that has the most time left, if
// it has at least minLeft left.
func (c Cache) Get(scope string, minLeft time.Duration) (Entry, bool, error) {
	entries, err := c.Entries()
	if err != nil {
		return Entry{}, false, err
	}
	var best Entry
	found := false
	deadline := c.now().Add(minLeft)
	for _, e := range entries {
		if e.Scope == scope && !e.ExpiresAt.Before(deadline) && (!found || e.ExpiresAt.After(best.ExpiresAt)) {
			best, found = e, true
		}
	}
	return best, found, nil
}

// Put adds e to the cache. Expired tokens are dropped from it; older
// tokens of the same scope stay until they expire, since a running
// command may still use them, and the post step revokes them.
func (c Cache) Put(e Entry) error {
	return c.update(func(entries []Entry) []Entry { return append(entries, e) })
}

// Erase drops from the cache every token of scope, and the token value
// wherever it is, if value is not "". It reports how many it dropped.
func (c Cache) Erase(scope, value string) (int, error) {
	n := 0
	err := c.update(func(entries []Entry) []Entry {
		return slices.DeleteFunc(entries, func(e Entry) bool {
			drop := e.Scope == scope || value != "" && e.Token == value
			if drop {
				n++
			}
			return drop
		})
	})
	return n, err
}

// Entries returns the cached tokens that have not expired. A missing
// cache file holds none.
func (c Cache) Entries() ([]Entry, error) {
	entries, err := c.read()
	if err != nil {
		return nil, err
	}
	return c.live(entries), nil
}

// Remove deletes the cache file and its lock. A missing file is no error.
func (c Cache) Remove() error {
	err := os.Remove(c.Path)
	if errors.Is(err, fs.ErrNotExist) {
		err = nil
	}
	if lerr := os.Remove(c.Path + ".lock"); lerr != nil && !errors.Is(lerr, fs.ErrNotExist) && err == nil {
		err = lerr
	}
	if err != nil {
		return fmt.Errorf("remove the token cache: %w", err)
	}
	return nil
}

// live returns the entries of entries that have not expired.
func (c Cache) live(entries []Entry) []Entry {
	now := c.now()
	return slices.DeleteFunc(entries, func(e Entry) bool { return !now.Before(e.ExpiresAt) })
}

// read returns every entry in the cache file.
func (c Cache) read() ([]Entry, error) {
	b, err := os.ReadFile(c.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the token cache: %w", err)
	}
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("read the token cache %s: %w", c.Path, err)
	}
	return f.Tokens, nil
}

// update changes the cache under its lock: it reads the entries, drops
// the expired ones, applies change and writes the result atomically.
func (c Cache) update(change func([]Entry) []Entry) error {
	if err := os.MkdirAll(filepath.Dir(c.Path), 0o700); err != nil {
		return fmt.Errorf("create the token cache's directory: %w", err)
	}
	unlock, err := c.lock()
	if err != nil {
		return err
	}
	defer unlock()
	entries, err := c.read()
	if _, bad := errors.AsType[*json.SyntaxError](err); bad {
		// Nothing can be read from a damaged cache, nor revoked: start
		// anew rather than fail every git command from now on.
		entries, err = nil, nil
	}
	if err != nil {
		return err
	}
	b, err := json.Marshal(file{Tokens: c.live(change(c.live(entries)))})
	if err != nil {
		return fmt.Errorf("encode the token cache: %w", err)
	}
	return writeAtomic(c.Path, b)
}

// lock takes the cache's lock file, waiting for another process to
// release it, and returns the function that releases it. A lock file
// older than staleLock is taken over.
func (c Cache) lock() (func(), error) {
	path := c.Path + ".lock"
	deadline := time.Now().Add(lockWait)
	for {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			f.Close()
			return func() { os.Remove(path) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("lock the token cache: %w", err)
		}
		if fi, serr := os.Stat(path); serr == nil && time.Since(fi.ModTime()) > staleLock {
			// Its holder died; whoever removes it first retries first.
			os.Remove(path)
			continue
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("lock the token cache: %s is held by another process", path)
		}
		time.Sleep(lockPoll)
	}
}

// writeAtomic writes b to path through a temporary file in the same
// directory, created 0600, renamed over path: a reader sees the old file
// or the new one, never a part.
func writeAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tokens-*.tmp")
	if err != nil {
		return fmt.Errorf("write the token cache: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if serr := f.Sync(); err == nil {
		err = serr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write the token cache: %w", err)
	}
	return nil
}
