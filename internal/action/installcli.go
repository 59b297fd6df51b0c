package action

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/ghapptoken/app-token-action/internal/config"
	"github.com/ghapptoken/app-token-action/internal/hint"
	"github.com/ghapptoken/app-token-action/internal/jobdir"
)

// containerTemp is where the runner mounts its temp directory into a
// container action, and the value of RUNNER_TEMP there: the runner
// translates every variable of the step's environment from host to
// container paths. (actions/runner src/Runner.Worker/Handlers/
// ContainerActionHandler.cs: MountVolume(tempDirectory, "/github/runner_temp"),
// AddPathTranslateMapping, and TranslateToContainerPath over this.Environment.)
const containerTemp = "/github/runner_temp"

// fileCommandsDir is the directory in the runner's temp directory where the
// runner keeps the step's file-command files, $GITHUB_OUTPUT among them
// (actions/runner src/Runner.Worker/FileCommandManager.cs: _folderName,
// in WellKnownDirectory.Temp). A container action sees it as
// /github/file_commands, and, where the temp directory is mounted, as
// /github/runner_temp/_runner_file_commands too.
const fileCommandsDir = "_runner_file_commands"

// runnerTempNext says what to do where the runner's temp directory is not
// the container's $RUNNER_TEMP. actions/runner mounts it into container
// actions from v2.329.0 (actions/runner#4011, behind the feature flag
// actions_container_action_runner_temp) and always from v2.331.0
// (actions/runner#4163 removed the flag); nektos/act never does.
const runnerTempNext = "actions/runner v2.331.0 and later mount it at " + containerTemp +
	" (v2.329.0 and v2.330.0 when GitHub turns it on); on this runner, drop {install-cli}" +
	" and install the command line in a later step with the action's cli/ installer" +
	" (uses: ghapptoken/app-token-action/cli at this action's ref), passing the app as flags"

// checkRunnerTemp returns an error unless temp, the container's
// $RUNNER_TEMP, is the runner's temp directory, which the job's later
// steps see. The sign is the step's own output file: the runner makes
// output, the path in $GITHUB_OUTPUT, in <temp>/_runner_file_commands, so
// $RUNNER_TEMP/_runner_file_commands/<its name> is the same file only when
// RUNNER_TEMP is that directory, here or through a mount. A runner older
// than v2.329.0 passes the host's path, which does not exist in the
// container; nektos/act passes /tmp and mounts nothing there
// (pkg/runner/step_docker.go and action.go: RUNNER_TEMP=/tmp;
// run_context.go GetBindsAndMounts), so files written there die with the
// container.
func checkRunnerTemp(getenv func(string) string, temp string) error {
	runner := "this runner does not"
	if getenv("ACT") == "true" {
		runner = "nektos/act (ACT=true) does not"
	}
	fail := func(why string) error {
		return hint.New(fmt.Errorf("install-cli: RUNNER_TEMP (%s) %s: %s mount its temp directory into container actions, so no later step would see the command line", temp, why, runner),
			runnerTempNext)
	}
	if _, err := os.Stat(temp); err != nil {
		return fail("does not exist in this container")
	}
	output := getenv("GITHUB_OUTPUT")
	want, err := os.Stat(output)
	if err != nil {
		return fmt.Errorf("install-cli: %w", err)
	}
	got, err := os.Stat(filepath.Join(temp, fileCommandsDir, filepath.Base(output)))
	if err != nil || !os.SameFile(got, want) {
		return fail("is not the runner's temp directory (it does not hold this step's output file in " + fileCommandsDir + ")")
	}
	return nil
}

// installCLI leaves the command line for the job's later steps (input
// install-cli): a copy of this binary and a [config.CLIFile] of cfg, in
// the runner's temp directory, owned by the owner of that directory (the
// runner's user on the host; the container runs as root). It adds the
// binary's directory to PATH and names the file in APP_TOKEN_CONFIG, as
// host paths, for the steps that follow. It fails, before it writes
// anything, where the container's RUNNER_TEMP is not the runner's temp
// directory ([checkRunnerTemp]): no later step would see the files.
func installCLI(e Env, cfg *config.Config) error {
	temp := e.Action.Getenv("RUNNER_TEMP")
	if temp == "" {
		return hint.New(errors.New("install-cli: RUNNER_TEMP is not set"),
			"install-cli works in a GitHub Actions job only; elsewhere, install app-token from the release")
	}
	if err := checkRunnerTemp(e.Action.Getenv, temp); err != nil {
		return err
	}
	dir := filepath.Join(temp, jobdir.DirName)
	owner, err := ownerOf(temp)
	if err != nil {
		return fmt.Errorf("install-cli: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("install-cli: %w", err)
	}
	exe := e.Executable
	if exe == "" {
		if exe, err = os.Executable(); err != nil {
			return fmt.Errorf("install-cli: find this program: %w", err)
		}
	}
	if err := copyFile(exe, filepath.Join(dir, jobdir.CLIName), 0o755); err != nil {
		return fmt.Errorf("install-cli: copy the command line: %w", err)
	}
	b, err := json.MarshalIndent(cfg.CLIFile(), "", "  ")
	if err != nil {
		return fmt.Errorf("install-cli: %w", err)
	}
	if err := writeFile(filepath.Join(dir, jobdir.ConfigName), append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("install-cli: write the configuration: %w", err)
	}
	for _, p := range []string{dir, filepath.Join(dir, jobdir.CLIName), filepath.Join(dir, jobdir.ConfigName)} {
		if err := owner.chown(p); err != nil {
			return fmt.Errorf("install-cli: give the files to the runner's user: %w", err)
		}
	}
	host, ok := hostTemp(e.Action.Getenv)
	if e.Action.Getenv("GITHUB_PATH") == "" || e.Action.Getenv("GITHUB_ENV") == "" {
		// go-githubactions would fall back to the ::add-path:: and
		// ::set-env:: commands, which the runner has refused since 2020.
		e.Action.Warningf("install-cli: GITHUB_PATH or GITHUB_ENV is not set; run the command line as \"$RUNNER_TEMP/%s/%s\"", jobdir.DirName, jobdir.CLIName)
		return nil
	}
	if !ok {
		e.Action.Warningf("install-cli: the host path of the runner's temp directory is unknown (RUNNER_WORKSPACE is %q); run the command line as \"$RUNNER_TEMP/%s/%s\"",
			e.Action.Getenv("RUNNER_WORKSPACE"), jobdir.DirName, jobdir.CLIName)
		return nil
	}
	hostDir := path.Join(host, jobdir.DirName)
	if err := writeValues("install-cli", [][2]string{{jobdir.ConfigEnv, path.Join(hostDir, jobdir.ConfigName)}}, e.Action.SetEnv); err != nil {
		return err
	}
	if strings.ContainsAny(hostDir, "\r\n") {
		return fmt.Errorf("install-cli: refusing a PATH entry with a line break")
	}
	if err := fileCommands("install-cli", func() { e.Action.AddPath(hostDir) }); err != nil {
		return err
	}
	e.Action.Infof("Installed app-token in %s for the next steps (git: git config --global credential.%s.helper '!app-token git-credential')", hostDir, cfg.ServerURL)
	return nil
}

// hostTemp returns the runner's temp directory as the host names it.
// Outside a container action RUNNER_TEMP is that path. Inside one,
// RUNNER_TEMP is translated to /github/runner_temp, but RUNNER_WORKSPACE,
// <work>/<repository>, is not (no mount covers it: the workspace mounted is
// <work>/<repository>/<repository>), and the runner's temp directory is
// <work>/_temp (actions/runner src/Runner.Common/HostContext.cs,
// WellKnownDirectory.Temp = Path.Combine(Work, "_temp");
// src/Runner.Worker/JobExtension.cs sets runner.workspace to
// Path.Combine(Work, PipelineDirectory)).
func hostTemp(getenv func(string) string) (string, bool) {
	temp := getenv("RUNNER_TEMP")
	if temp != containerTemp {
		return temp, temp != ""
	}
	ws := getenv("RUNNER_WORKSPACE")
	if !path.IsAbs(ws) || strings.HasPrefix(ws, "/github/") {
		return "", false
	}
	return path.Join(path.Dir(ws), "_temp"), true
}

// copyFile copies the file src to dst with mode, through a temporary file
// renamed over dst.
func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	b, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	return writeFile(dst, b, mode)
}

// writeFile writes b to path with mode, through a temporary file renamed
// over path, so that a step never runs a half-written binary.
func writeFile(path string, b []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".install-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, mode)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
