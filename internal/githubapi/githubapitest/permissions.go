package githubapitest

import "slices"

// permissionLevels, the permissions GitHub documents and the levels it
// accepts for each, is generated into permissions_gen.go.

// levelRank orders permission levels: read < write < admin, and anything
// else below read.
func levelRank(level string) int {
	switch level {
	case "read":
		return 1
	case "write":
		return 2
	case "admin":
		return 3
	}
	return 0
}

// levelAllowed reports whether GitHub accepts level for the permission name.
func levelAllowed(name, level string) bool {
	return slices.Contains(permissionLevels[name], level)
}
