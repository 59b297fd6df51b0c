// Package cli is the command-line front end. PLACEHOLDER being rewritten.
package cli

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
)

// Command is one run of the command line with its outside world.
type Command struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Version        string
}

// Main runs the command line args (without the program name) and returns
// the exit status.
func (c Command) Main(ctx context.Context, args []string) int {
	fmt.Fprintln(c.Stderr, "app-token: the command line is being rewritten")
	return 2
}

// Version returns stamped, else the module version from the build info,
// else "dev".
func Version(stamped string) string {
	if stamped != "" {
		return stamped
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
