// Package tokencache keeps the installation tokens that the command line
// minted, so that a job's many git and command runs share one token until
// it nears its expiry, and so that the action's post step can revoke every
// token minted in the job.
//
// The cache is one JSON file, readable by its owner only (0600), in a
// directory only its owner can enter (0700), with a format version. It
// holds tokens and what they are for, never a key. Every read, mint and
// write happens under the operating system's lock on a lock file beside
// it (flock, LockFileEx: released when its holder exits, however it
// exits), and the file is replaced by renaming a new one over it, so that
// concurrent processes neither corrupt it, nor lose each other's tokens,
// nor mint twice for one scope ([Cache.GetOrMint]).
//
// A token stays on record until it expires, even once it is no longer
// handed out (git erased it), so that the post step revokes it; an expired
// token's value is dropped, and its record a week later.
package tokencache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/gofrs/flock"
)

// Version is the cache file's format version. A file without a version
// was written before versions existed, with the same entries, and is read
// as this one; a file of a later version is refused, never overwritten:
// the newer app-token that wrote it must read it.
const Version = 1

// Entry is one token on record.
type Entry struct {
	// Scope identifies what the token was minted for: the API, the app,
	// the installation, the repositories and the permissions. A token is
	// only handed out again for the same scope.
	Scope          string    `json:"scope"`
	APIURL         string    `json:"api_url"`
	InstallationID int64     `json:"installation_id"`
	Token          string    `json:"token,omitempty"` // "" once revoked or past its expiry
	ExpiresAt      time.Time `json:"expires_at"`
	// Retired marks a token that is not handed out again (git erased
	// it), but stays for the post step to revoke.
	Retired bool `json:"retired,omitempty"`
	// Revoked marks a token revoked before the post step.
	Revoked bool `json:"revoked,omitempty"`
}

// file is the cache file's content.
type file struct {
	Version int     `json:"version"`
	Tokens  []Entry `json:"tokens"`
}

// Cache is the cache file at Path. Now is its clock; nil means time.Now.
// A Cache is safe for concurrent use by goroutines and processes.
type Cache struct {
	Path string
	Now  func() time.Time
}

// ErrNotSaved wraps the error of a cache that could not be read or
// written while [Cache.GetOrMint] minted a token: the token it returns
// serves, but is not on record, and the post step cannot revoke it.
var ErrNotSaved = errors.New("the new token is not in the token cache")

// Lock timing. A holder keeps the lock for a read, a write and at most
// one mint, whose deadline is 3 minutes (apptoken's mintDeadline): a
// waiter gives up after lockWait unless its context ends sooner.
const (
	lockPoll = 10 * time.Millisecond
	lockWait = 4 * time.Minute
)

// keepRecords is how long the record of an expired token stays (without
// its value): longer than a self-hosted runner's longest job (5 days), so
// that the post step can count every token minted in its job.
const keepRecords = 7 * 24 * time.Hour

func (c Cache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Get returns the token of scope that may be handed out and has the most
// time left, if it has at least minLeft left.
func (c Cache) Get(scope string, minLeft time.Duration) (Entry, bool, error) {
	entries, err := c.read()
	if err != nil {
		return Entry{}, false, err
	}
	e, ok := c.best(entries, scope, minLeft)
	return e, ok, nil
}

// GetOrMint returns the token of scope with at least minLeft left: the
// cache's, or one that mint makes, which it adds to the cache. It holds
// the cache's lock from the read to the write, so that N processes that
// find no such token at once cost one mint: the first mints, the others
// wait and take its token. ctx bounds the wait for the lock; mint gets
// it as it is.
//
// If the cache cannot be read (other than a damaged file, which is
// started anew) or written, GetOrMint still mints, and returns the token
// with an error that wraps [ErrNotSaved]. A cache of a later format
// version, or a lock it cannot take, is an error, with no token.
func (c Cache) GetOrMint(ctx context.Context, scope string, minLeft time.Duration, mint func(context.Context) (Entry, error)) (Entry, error) {
	// Nearly every call finds a token: it needs no lock, since the file
	// is only ever replaced whole. Only a miss is checked again under the
	// lock, where at most one process mints.
	if e, ok, err := c.Get(scope, minLeft); err == nil && ok {
		return e, nil
	}
	unlock, err := c.lock(ctx)
	if err != nil {
		return Entry{}, err
	}
	defer unlock()
	entries, rerr := c.readFixing()
	if _, newer := errors.AsType[*VersionError](rerr); newer {
		return Entry{}, rerr
	}
	if e, ok := c.best(entries, scope, minLeft); ok && rerr == nil {
		return e, nil
	}
	e, err := mint(ctx)
	if err != nil {
		return Entry{}, err
	}
	if rerr == nil {
		rerr = c.write(append(entries, e))
	}
	if rerr != nil {
		return e, fmt.Errorf("%w: %w", ErrNotSaved, rerr)
	}
	return e, nil
}

// best returns the token of scope in entries that may be handed out and
// has the most time left, if it has at least minLeft left.
func (c Cache) best(entries []Entry, scope string, minLeft time.Duration) (Entry, bool) {
	var best Entry
	found := false
	deadline := c.now().Add(minLeft)
	for _, e := range c.usable(entries) {
		if e.Scope == scope && !e.ExpiresAt.Before(deadline) && (!found || e.ExpiresAt.After(best.ExpiresAt)) {
			best, found = e, true
		}
	}
	return best, found
}

// Put adds e to the cache. Older tokens of the same scope stay until they
// expire, since a running command may still use them, and the post step
// revokes them.
func (c Cache) Put(e Entry) error {
	return c.update(func(entries []Entry) []Entry { return append(entries, e) })
}

// Erase retires every token of scope, and the token value wherever it is
// if value is not "": they are not handed out again, and stay on record
// for the post step to revoke. It reports how many it retired.
func (c Cache) Erase(scope, value string) (int, error) {
	n := 0
	err := c.update(func(entries []Entry) []Entry {
		for i, e := range entries {
			if e.Token != "" && !e.Retired && (e.Scope == scope || value != "" && e.Token == value) {
				entries[i].Retired = true
				n++
			}
		}
		return entries
	})
	return n, err
}

// SetRevoked records that the token value was revoked (or found invalid)
// before the post step: its value leaves the cache, its record stays.
func (c Cache) SetRevoked(value string) error {
	return c.update(func(entries []Entry) []Entry {
		for i, e := range entries {
			if value != "" && e.Token == value {
				entries[i].Token, entries[i].Retired, entries[i].Revoked = "", true, true
			}
		}
		return entries
	})
}

// Entries returns the tokens that may be handed out: not expired, not
// retired, not revoked. A missing cache file holds none.
func (c Cache) Entries() ([]Entry, error) {
	entries, err := c.read()
	if err != nil {
		return nil, err
	}
	return c.usable(entries), nil
}

// Records returns the record of every token minted through the cache
// that it still knows of (see the package comment): the post step revokes
// those that have a value, and counts the rest.
func (c Cache) Records() ([]Entry, error) {
	return c.read()
}

// Remove deletes the cache file and its lock file. A missing file is no
// error.
func (c Cache) Remove() error {
	var err error
	for _, p := range []string{c.Path, c.Path + ".lock"} {
		if rerr := os.Remove(p); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) && err == nil {
			err = rerr
		}
	}
	if err != nil {
		return fmt.Errorf("remove the token cache: %w", err)
	}
	return nil
}

// usable returns the entries of entries that may be handed out.
func (c Cache) usable(entries []Entry) []Entry {
	now := c.now()
	return slices.DeleteFunc(slices.Clone(entries), func(e Entry) bool {
		return e.Token == "" || e.Retired || e.Revoked || !now.Before(e.ExpiresAt)
	})
}

// VersionError is a cache file of a format version this program does not
// know.
type VersionError struct {
	Path    string
	Version int
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("the token cache %s has format version %d, and this app-token reads version %d: run the app-token that wrote it, or remove the file once its tokens expired",
		e.Path, e.Version, Version)
}

// read returns every record in the cache file.
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
	// Version 0 is a file from before versions: the same entries.
	if f.Version != 0 && f.Version != Version {
		return nil, &VersionError{Path: c.Path, Version: f.Version}
	}
	return f.Tokens, nil
}

// readFixing is read for a change under the lock: a damaged file holds
// nothing, so that it is started anew rather than fail every git command
// from then on (nothing can be revoked from it anyway).
func (c Cache) readFixing() ([]Entry, error) {
	entries, err := c.read()
	if _, bad := errors.AsType[*json.SyntaxError](err); bad {
		return nil, nil
	}
	if _, bad := errors.AsType[*json.UnmarshalTypeError](err); bad {
		return nil, nil
	}
	return entries, err
}

// update changes the cache under its lock: it reads the records, applies
// change and writes the result.
func (c Cache) update(change func([]Entry) []Entry) error {
	unlock, err := c.lock(context.Background())
	if err != nil {
		return err
	}
	defer unlock()
	entries, err := c.readFixing()
	if err != nil {
		return err
	}
	return c.write(change(entries))
}

// write writes entries as the cache file, atomically: the values of
// expired tokens are dropped, and the records of tokens that expired
// more than keepRecords ago.
func (c Cache) write(entries []Entry) error {
	now := c.now()
	out := make([]Entry, 0, len(entries))
	for _, e := range entries {
		if !now.Before(e.ExpiresAt.Add(keepRecords)) {
			continue
		}
		if !now.Before(e.ExpiresAt) {
			e.Token = ""
		}
		out = append(out, e)
	}
	b, err := json.Marshal(file{Version: Version, Tokens: out})
	if err != nil {
		return fmt.Errorf("encode the token cache: %w", err)
	}
	return writeAtomic(c.Path, b)
}

// lock takes the cache's lock, waiting for another process or goroutine
// to release it for at most lockWait or until ctx ends, and returns the
// function that releases it. The lock file stays: removing it while
// another process waits on it would let a third lock a new file.
func (c Cache) lock(ctx context.Context) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(c.Path), 0o700); err != nil {
		return nil, fmt.Errorf("create the token cache's directory: %w", err)
	}
	path := c.Path + ".lock"
	fl := flock.New(path)
	ctx, cancel := context.WithTimeout(ctx, lockWait)
	defer cancel()
	start := time.Now()
	ok, err := fl.TryLockContext(ctx, lockPoll)
	switch {
	case ok:
		return func() { fl.Unlock() }, nil
	case ctx.Err() != nil:
		return nil, fmt.Errorf("lock the token cache: another app-token process held %s for %s, and this one gave up waiting (%w)",
			path, time.Since(start).Round(time.Second), ctx.Err())
	case err != nil:
		return nil, fmt.Errorf("lock the token cache: %w", err)
	}
	return nil, fmt.Errorf("lock the token cache: %s could not be locked", path)
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
