// Package cli is the command-line front end: outside a workflow, it mints,
// lists and revokes tokens with the same core as the action (package
// apptoken). It speaks to people and scripts, never in workflow commands:
// results go to standard output, warnings to standard error, and errors to
// standard error as "app-token: <message>" and "hint: <next step>", with
// every field named as the flag or variable that sets it.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/ghapptoken/app-token-action/internal/apptoken"
	"github.com/ghapptoken/app-token-action/internal/config"
	"github.com/ghapptoken/app-token-action/internal/hint"
)

// Command is one run of the command line with its outside world. Stdout,
// Stderr and Getenv must be set; a nil Stdin reads as empty.
type Command struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// Version is printed by the version command and sent in the
	// User-Agent; see [Version].
	Version string

	// Core is the outside world of the use case: tests set its HTTP
	// client, clock, sleep and timeouts. The command sets its callbacks
	// (Debugf, OnSkew) itself.
	Core apptoken.Options

	// StdinIsTerminal reports whether Stdin is a terminal, where nobody
	// pipes a token in; nil checks whether Stdin is an *os.File of a
	// character device other than /dev/null.
	StdinIsTerminal func() bool

	// Environ is the environment exec passes on to its command, as
	// "NAME=value" entries; nil means os.Environ().
	Environ []string
}

// Exit statuses of [Command.Main].
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// Main runs the command line args (without the program name) and returns
// the exit status: 0 on success, 1 on failure, 2 for a usage error. With no
// arguments it prints the usage on standard error and returns 2.
func (c Command) Main(ctx context.Context, args []string) int {
	if len(args) == 0 {
		// main.go runs the action's main step instead inside Actions.
		writeUsage(c.Stderr)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "-h", "-help", "--help":
		name = "help"
	case "-version", "--version":
		name = "version"
	}
	cmd, ok := lookup(name)
	if !ok {
		return c.report(&usageError{msg: fmt.Sprintf("unknown command %q", name)}, nil)
	}
	words := newWords()
	return c.report(c.run(ctx, cmd, rest, words), words)
}

// run parses args as cmd's flags and runs cmd. The flags' values fill
// words, so that errors are rendered as the user wrote them.
func (c Command) run(ctx context.Context, cmd command, args []string, w *words) error {
	for _, a := range args {
		if looksLikeKey(a) {
			return hint.New(&usageError{msg: cmd.name + ": an argument holds a private key (not shown)"}, keyArgHint)
		}
	}
	fs := newFlagSet(cmd.name)
	run := cmd.setup(c, fs, w)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return writeHelp(c.Stdout, cmd)
		}
		return usage(cmd.name, err.Error())
	}
	if !cmd.takesArgs && fs.NArg() > 0 {
		// The arguments are not echoed: one could be a secret.
		return usage(cmd.name, fmt.Sprintf("takes no arguments, got %d", fs.NArg()))
	}
	return run(ctx, fs.Args())
}

// report prints err, if any, on c.Stderr with its next step, rendering
// fields and input names in w's words, and returns the exit status.
func (c Command) report(err error, w *words) int {
	if err == nil {
		return exitOK
	}
	if w == nil {
		w = newWords()
	}
	if es, ok := errors.AsType[*exitStatus](err); ok {
		// exec's command ran, or could not start: its status is exec's.
		if es.err != nil {
			fmt.Fprintf(c.Stderr, "app-token: %s\n", es.err.Error())
		}
		return es.code
	}
	msg, next := err.Error(), hint.Next(err)
	_, isUsage := errors.AsType[*usageError](err)
	if fe, ok := errors.AsType[*apptoken.FieldError](err); ok {
		// A key that does not parse: named by where it was read from.
		msg = w.message(fe.Field) + ": " + fe.Err.Error()
	}
	if in, ok := errors.AsType[*config.InputError](err); ok {
		// A bad value is a misuse of a flag: exit status 2.
		isUsage = true
		msg = w.message(in.Input) + ": " + w.problem(in.Problem)
		next = w.next(in, next)
	}
	if isUsage && next == "" {
		next = "run `app-token help` for the commands and their flags"
	}
	// An unknown command or flag is echoed; a key pasted as one must not be.
	if looksLikeKey(msg) {
		msg, next = "an argument holds a private key (not shown)", keyArgHint
	}
	fmt.Fprintf(c.Stderr, "app-token: %s\n", msg)
	if next != "" {
		fmt.Fprintf(c.Stderr, "hint: %s\n", w.render(next))
	}
	if isUsage {
		return exitUsage
	}
	return exitFailure
}

// warn prints a warning on c.Stderr.
func (c Command) warn(format string, args ...any) {
	fmt.Fprintf(c.Stderr, "app-token: warning: "+format+"\n", args...)
}

// getenv returns the trimmed value of environment variable name.
func (c Command) getenv(name string) string {
	if c.Getenv == nil {
		return ""
	}
	return strings.TrimSpace(c.Getenv(name))
}

// environ returns c.Environ, or the process's environment if it is nil.
func (c Command) environ() []string {
	if c.Environ == nil {
		return os.Environ()
	}
	return c.Environ
}

// stdin returns c.Stdin, or an empty reader if it is nil.
func (c Command) stdin() io.Reader {
	if c.Stdin == nil {
		return strings.NewReader("")
	}
	return c.Stdin
}

// stdinIsTerminal reports whether standard input is a terminal.
func (c Command) stdinIsTerminal() bool {
	if c.StdinIsTerminal != nil {
		return c.StdinIsTerminal()
	}
	f, ok := c.Stdin.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	// /dev/null is a character device too, and what a job or a script
	// gives a command whose input it does not redirect: it is no terminal.
	null, err := os.Stat(os.DevNull)
	return err != nil || !os.SameFile(fi, null)
}

// usageError is a misuse of the command line: exit status 2. Its next
// step, if any, is a [hint.Error] around it.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usage returns a usage error of command name whose next step is its help.
func usage(name, msg string) error {
	return hint.New(&usageError{msg: name + ": " + msg}, "run `app-token "+name+" -h` for its flags")
}

// keyArgHint is the next step when a private key is passed as an argument.
const keyArgHint = "pass the key with --private-key-file PATH or in $" + defaultKeyEnv +
	", never on the command line, where shell history and ps show it; remove it from your shell history"

// looksLikeKey reports whether s holds PEM key text, or a PEM file encoded
// in base64 ("-----BEGIN" encodes as "LS0tLS1CRUdJTi").
func looksLikeKey(s string) bool {
	return strings.Contains(s, "-----BEGIN") || strings.Contains(s, "-----END") || strings.Contains(s, "LS0tLS1CRUdJTi")
}

// Version returns the version to report: stamped, the value main.version
// was stamped with at build time, else the module version from the build
// information (what `go install …@v1.2.3` records), else "dev".
func Version(stamped string) string {
	return versionOf(stamped, debug.ReadBuildInfo)
}

// versionOf is [Version] with the build information read by readBuildInfo.
func versionOf(stamped string, readBuildInfo func() (*debug.BuildInfo, bool)) string {
	if stamped != "" {
		return stamped
	}
	// A build from a work tree records "(devel)".
	if bi, ok := readBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
