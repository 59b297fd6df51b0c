package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/ghapptoken/app-token-action/internal/config"
	"github.com/ghapptoken/app-token-action/internal/hint"
	"github.com/ghapptoken/app-token-action/internal/jobdir"
)

// configFile returns the configuration file of command name: --config,
// else $APP_TOKEN_CONFIG, else in a GitHub Actions job the file the
// action's install-cli input left in $RUNNER_TEMP/app-token, if any. With
// none, it returns an empty file.
func (o *tokenFlags) configFile(c Command, name string) (config.CLIFile, error) {
	path := o.config
	jobFile, inJob := jobdir.ConfigPath(c.getenv)
	if path == "" {
		path = c.getenv(jobdir.ConfigEnv)
		if _, err := os.Stat(path); path != "" && inJob && errors.Is(err, fs.ErrNotExist) {
			// A job container sees the runner's temp directory at another
			// path than the host path the action exported.
			path = jobFile
		}
	}
	must := path != ""
	if !must && inJob {
		path = jobFile
	}
	if path == "" {
		return config.CLIFile{}, nil
	}
	b, err := os.ReadFile(path)
	if !must && errors.Is(err, fs.ErrNotExist) {
		return config.CLIFile{}, nil
	}
	if err != nil {
		return config.CLIFile{}, hint.New(fmt.Errorf("%s: read the configuration file: %w", name, err),
			"pass --config with the path the action exported as $"+jobdir.ConfigEnv+", or the app's flags")
	}
	f, err := config.ParseCLIFile(b)
	if err != nil {
		return config.CLIFile{}, hint.New(fmt.Errorf("%s: configuration file %s: %w", name, path, err),
			"use the copy of app-token that the action installed with this file")
	}
	return f, nil
}

// fill sets the app's identity, signing key and API from f where no flag
// set them.
func (o *tokenFlags) fill(f config.CLIFile) {
	if o.clientID == "" && o.appID == "" {
		o.clientID = f.Inputs["client-id"]
	}
	if *o.keyless["signing-key"] == "" && o.keyFile == "" {
		// o.keyless holds --signing-key and the registry's identity
		// flags: the file names the same non-secret inputs.
		for name, v := range o.keyless {
			if *v == "" {
				*v = f.Inputs[name]
			}
		}
	}
	if o.apiURL == "" {
		o.apiURL = f.Inputs["github-api-url"]
	}
}
