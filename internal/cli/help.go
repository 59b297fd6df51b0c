package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
)

// command is a subcommand: its help text and how it runs.
type command struct {
	name    string
	summary string // one line for `app-token help`
	doc     string // the paragraphs after the usage line
	// takesArgs says the command accepts arguments after its flags.
	takesArgs bool
	// args shows them on the usage line, after [flags].
	args string
	// setup registers the command's flags on fs, and returns the function
	// that runs the command once they are parsed, with the arguments left.
	// Flag values that errors quote are recorded in w.
	setup func(c Command, fs *flag.FlagSet, w *words) func(ctx context.Context, args []string) error
}

// commands lists the subcommands in the order help shows them. Commands
// are made by functions, not held in variables, because help refers to
// this list.
func commands() []command {
	return []command{tokenCommand(), gitCredentialCommand(), execCommand(), revokeCommand(), installationsCommand(), versionCommand(), helpCommand()}
}

// lookup returns the command called name.
func lookup(name string) (command, bool) {
	for _, cmd := range commands() {
		if cmd.name == name {
			return cmd, true
		}
	}
	return command{}, false
}

func helpCommand() command {
	return command{
		name:      "help",
		summary:   "print the commands, or a command's flags",
		doc:       "Help prints the list of commands, or with a command's name, its help.\n",
		takesArgs: true,
		setup: func(c Command, _ *flag.FlagSet, _ *words) func(context.Context, []string) error {
			return func(_ context.Context, args []string) error {
				switch len(args) {
				case 0:
					writeUsage(c.Stdout)
					return nil
				case 1:
					if cmd, ok := lookup(args[0]); ok {
						return writeHelp(c.Stdout, cmd)
					}
					return &usageError{msg: fmt.Sprintf("help: unknown command %q", args[0])}
				}
				return &usageError{msg: "help takes at most one command"}
			}
		},
	}
}

const usageHead = `App-token mints GitHub App installation access tokens.

In a GitHub Actions job it is the action's main step (run with no arguments)
and post step. Elsewhere, its commands mint, list and revoke tokens from the
command line.

Usage:

	app-token <command> [flags]

The commands are:

`

const usageFoot = `
Use "app-token help <command>" or "app-token <command> -h" for more
information about a command.

The exit status is 0 on success, 1 on failure and 2 for a usage error.
`

// writeUsage writes the overview and the list of commands on w.
func writeUsage(w io.Writer) {
	var b strings.Builder
	b.WriteString(usageHead)
	for _, cmd := range commands() {
		fmt.Fprintf(&b, "\t%-14s %s\n", cmd.name, cmd.summary)
	}
	b.WriteString(usageFoot)
	io.WriteString(w, b.String())
}

// writeHelp writes cmd's help on w in the style of `go help build`: the
// usage line, the doc, and the flags if it has any.
func writeHelp(w io.Writer, cmd command) error {
	fs := newFlagSet(cmd.name)
	cmd.setup(Command{}, fs, newWords())
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	var b bytes.Buffer
	switch {
	case hasFlags:
		fmt.Fprintf(&b, "usage: app-token %s [flags]%s\n\n%s\nFlags (-flag and --flag are the same):\n", cmd.name, cmd.args, cmd.doc)
		fs.SetOutput(&b)
		fs.PrintDefaults()
	case cmd.takesArgs:
		fmt.Fprintf(&b, "usage: app-token %s [command]\n\n%s", cmd.name, cmd.doc)
	default:
		fmt.Fprintf(&b, "usage: app-token %s\n\n%s", cmd.name, cmd.doc)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// newFlagSet returns an empty flag set for command name that prints
// nothing itself: errors are reported once, by [Command.Main].
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}
