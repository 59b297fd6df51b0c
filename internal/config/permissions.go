package config

import "github.com/ghapptoken/app-token-action/internal/config/permissions"

// permissionLevels maps each permission GitHub documents for github.com
// apps to the levels it accepts: the table genperms generates into
// package permissions, which the GitHub emulator reads too.
var permissionLevels = permissions.Levels
