//go:build unix

package action

import (
	"fmt"
	"os"
	"syscall"
)

// fileOwner is the owner of a file, whom install-cli gives its files to.
type fileOwner struct{ uid, gid int }

// ownerOf returns the owner of the file at path.
func ownerOf(path string) (fileOwner, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileOwner{}, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileOwner{}, fmt.Errorf("no owner for %s", path)
	}
	return fileOwner{uid: int(st.Uid), gid: int(st.Gid)}, nil
}

// chown gives the file at path to o, unless this process already owns it
// as o (chown to oneself needs no privilege, but is skipped all the same).
func (o fileOwner) chown(path string) error {
	if os.Geteuid() == o.uid && os.Getegid() == o.gid {
		return nil
	}
	return os.Lchown(path, o.uid, o.gid)
}
