package cli

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/ghapptoken/app-token-action/internal/apptoken"
	"github.com/ghapptoken/app-token-action/internal/config"
	"github.com/ghapptoken/app-token-action/internal/githubapi"
)

const installationsDoc = `Installations lists the app's installations, one per line with the columns
ID, ACCOUNT, TYPE, REPOSITORIES (all or selected), SUSPENDED (yes for an
installation an owner suspended: no token can be minted for it) and
PERMISSIONS. With --json it prints a JSON array of objects with the fields
id, account, account_type, repository_selection, suspended and permissions.

`

func installationsCommand() command {
	return command{
		name:    "installations",
		summary: "list the app's installations",
		doc:     installationsDoc + appDoc(),
		setup: func(c Command, fs *flag.FlagSet, w *words) func(context.Context, []string) error {
			o := &installationsFlags{}
			o.register(fs)
			fs.BoolVar(&o.json, "json", false, "print the installations as a JSON array")
			return func(ctx context.Context, _ []string) error { return o.run(ctx, c, fs, w) }
		},
	}
}

// installationsFlags are the flags of app-token installations.
type installationsFlags struct {
	appFlags
	json bool
}

// run lists the installations: one request per page of 100.
func (o *installationsFlags) run(ctx context.Context, c Command, fs *flag.FlagSet, w *words) error {
	values, err := o.inputs(c, "installations", fs, w)
	if err != nil {
		return err
	}
	cfg, err := config.ParseApp(config.Inputs{Values: values, Getenv: runnerEnv(c, nil)})
	if err != nil {
		return err
	}
	opts, err := c.asApp(cfg, o.debug, w)
	if err != nil {
		return err
	}
	list, err := apptoken.ListInstallations(ctx, opts, cfg.Request())
	if err != nil {
		return err
	}
	if o.json {
		return writeJSON(c.Stdout, installationsJSON(list))
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tACCOUNT\tTYPE\tREPOSITORIES\tSUSPENDED\tPERMISSIONS")
	for _, in := range list {
		suspended := "no"
		if in.Suspended {
			suspended = "yes"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", in.ID, in.Account, in.AccountType, in.RepositorySelection, suspended, apptoken.FormatPermissions(in.Permissions))
	}
	return tw.Flush()
}

// installationJSON is the --json form of an installation.
type installationJSON struct {
	ID                  int64             `json:"id"`
	Account             string            `json:"account"`
	AccountType         string            `json:"account_type"`
	RepositorySelection string            `json:"repository_selection"`
	Suspended           bool              `json:"suspended"`
	Permissions         map[string]string `json:"permissions"`
}

func installationsJSON(list []githubapi.Installation) []installationJSON {
	out := make([]installationJSON, 0, len(list))
	for _, in := range list {
		out = append(out, installationJSON{
			ID:                  in.ID,
			Account:             in.Account,
			AccountType:         in.AccountType,
			RepositorySelection: in.RepositorySelection,
			Suspended:           in.Suspended,
			Permissions:         nonNilMap(in.Permissions),
		})
	}
	return out
}
