package githubapitest

// permissionLevels, the permissions GitHub documents and the levels it
// accepts for each, is generated into permissions_gen.go.

// levelRank orders permission levels: read < write < admin.
var levelRank = map[string]int{"read": 1, "write": 2, "admin": 3}

// levelAllowed reports whether GitHub accepts level for the permission name.
func levelAllowed(name, level string) bool {
	for _, l := range permissionLevels[name] {
		if l == level {
			return true
		}
	}
	return false
}
