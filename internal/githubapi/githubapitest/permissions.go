package githubapitest

import (
	"slices"

	"github.com/ghapptoken/app-token-action/internal/config/permissions"
)

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

// levelAllowed reports whether GitHub accepts level for the permission
// name, by the permissions GitHub's OpenAPI description lists: the same
// generated table the action's config reads, since it is GitHub's data,
// not the action's logic.
func levelAllowed(name, level string) bool {
	return slices.Contains(permissions.Levels[name], level)
}
