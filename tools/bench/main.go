// Command bench measures what the action costs a workflow, process by
// process, next to a reference action: it builds the action's binary and
// the reference action (tools/bench/refaction, the same requests and
// runner files with the standard library only, plain and with
// signal.NotifyContext) as the Dockerfile does, starts the GitHub API
// emulator in-process on loopback, and runs each program's main step and
// then its post step as the runner does, in the environment and with the
// files that package runnertest makes (action.yml's input defaults,
// $GITHUB_OUTPUT and $GITHUB_STATE, argv[0] /usr/local/bin/app-token and
// /usr/local/bin/app-token-post, STATE_* from the state file). The
// programs take turns, round by round, many rounds per case.
//
// For each case it prints the median and 90th percentile wall time of each
// step (fork to exit, as the runner sees it), the peak resident set size of
// the child, and the requests each step sent; then the action's figures as
// ratios to the reference action's, the cost of the signal handling, the
// stripped binary's size for linux/amd64 and linux/arm64, and the figures
// next to the budget. Every run is checked strictly: the outputs and state
// are parsed with runnerfile, the main step must leave a token and the post
// step must have revoked it in the emulator.
//
// Run it from the tools directory:
//
//	go run ./bench [-n 50] [-warmup 5] [-case name,...]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
	"github.com/ghapptoken/app-token-action/internal/runnertest"
	"github.com/ghapptoken/app-token-action/tools/imagecheck"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// options are the command-line flags.
type options struct {
	runs, warmup int
	rssRuns      int      // traced runs per case for peak RSS
	cases        []string // names to run; empty = all
	bin          string   // prebuilt binary; "" = build one
	cross        bool     // also cross-build linux/amd64 and linux/arm64 for their sizes
	enforce      bool     // exit 1 when a figure is over budget
	keep         bool     // keep the temporary directory
	floor        bool     // also time reference programs
	env          []string // extra KEY=VALUE for the steps
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: go run ./bench [flags]

Builds the action's binary and the reference action (tools/bench/refaction)
with the Dockerfile's flags (CGO_ENABLED=0 go build -trimpath -ldflags '-s -w
...'), runs their main and post steps in turns as the runner does against the
in-process GitHub API emulator, and prints wall time (median, p90), peak RSS,
minor page faults and requests per step for each case, the action's figures
as ratios to the reference's, the cost of signal.NotifyContext, the stripped
binary size per architecture, and the figures against the budget. With -floor it also times two reference programs built the
same way: an empty Go program and one that sends a single request with
net/http, the least any Go step can cost on this machine.
Run it from the tools directory. Cases: %s.

Flags:
`, strings.Join(caseNames(), ", "))
		fs.PrintDefaults()
	}
	fs.IntVar(&o.runs, "n", 50, "measured runs of each case (main step then post step)")
	fs.IntVar(&o.warmup, "warmup", 5, "unmeasured runs of each case first (page cache, emulator, connections)")
	fs.IntVar(&o.rssRuns, "rss", 5, "extra runs of each case, traced with ptrace, that read the steps' peak RSS (VmHWM) at exit; 0 = none")
	caseList := fs.String("case", "", "comma-separated cases to run (default all)")
	fs.StringVar(&o.bin, "bin", "", "measure this binary instead of building one (its size is still reported)")
	fs.BoolVar(&o.cross, "cross", true, "also cross-build for linux/amd64 and linux/arm64 to report their sizes")
	fs.BoolVar(&o.enforce, "enforce", false, "exit with status 1 when a figure is over budget (timings are noisy on a busy machine)")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory with the binary and the runner files")
	fs.BoolVar(&o.floor, "floor", true, "also time an empty Go program and a one-request net/http program, built the same way")
	fs.Func("env", "extra `KEY=VALUE` in the steps' environment, e.g. GOMAXPROCS=2 or GODEBUG=inittrace=1 (repeatable)", func(kv string) error {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return fmt.Errorf("want KEY=VALUE, got %q", kv)
		}
		o.env = append(o.env, kv)
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.runs < 1 || o.warmup < 0 || o.rssRuns < 0 {
		return o, errors.New("-n must be at least 1, -warmup and -rss at least 0")
	}
	if *caseList != "" {
		known := caseNames()
		for _, name := range strings.Split(*caseList, ",") {
			name = strings.TrimSpace(name)
			if !slices.Contains(known, name) {
				return o, fmt.Errorf("unknown case %q; known: %s", name, strings.Join(known, ", "))
			}
			o.cases = append(o.cases, name)
		}
	}
	return o, nil
}

// run measures the cases that args select and prints the tables to w;
// progress goes to standard error.
func run(ctx context.Context, args []string, w io.Writer) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	img, err := imagecheck.ReadDockerfile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "app-token-bench-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Fprintln(os.Stderr, "keeping", dir)
	} else {
		defer os.RemoveAll(dir)
	}

	mainPath, sizes, err := binaries(ctx, o, img, root, dir)
	if err != nil {
		return err
	}
	var refs []floor
	if o.floor {
		if refs, err = buildFloors(ctx, img, dir); err != nil {
			return err
		}
	}
	progs, err := buildPrograms(ctx, img, root, mainPath, dir)
	if err != nil {
		return err
	}
	act, err := runnertest.ReadAction(filepath.Join(root, "action.yml"))
	if err != nil {
		return err
	}
	perms, err := act.PermissionLevels()
	if err != nil {
		return err
	}
	srv, err := githubapitest.NewServer(runnertest.BenchWorld(perms))
	if err != nil {
		return fmt.Errorf("start the emulator: %w", err)
	}
	defer srv.Close()
	// The steps get the image's own environment (ENV in the Dockerfile's
	// final stage), then -env.
	env := append(img.Env(), o.env...)
	b := &bench{srv: srv, act: act, dir: dir, extra: env}

	var results []result
	for _, c := range runnertest.BenchCases(perms) {
		if len(o.cases) == 0 || slices.Contains(o.cases, c.Name) {
			r, err := b.newRunner(c)
			if err != nil {
				return err
			}
			results = append(results, result{c: c, runner: r, runs: make([]runs, len(progs))})
		}
	}
	if err := measure(ctx, o, b, progs, results, refs); err != nil {
		return err
	}

	fmt.Fprintf(w, "%s/%s, %d CPUs (%s), %s; per case %d timed runs after %d warm-up runs, peak RSS over %d traced runs\n\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel(), runtime.Version(), o.runs, o.warmup, o.rssRuns)
	if len(env) > 0 {
		fmt.Fprintf(w, "steps run with %s\n\n", strings.Join(env, " "))
	}
	printCases(w, results)
	fmt.Fprintln(w)
	printVersus(w, progs, results)
	fmt.Fprintln(w)
	if len(refs) > 0 {
		printFloors(w, refs)
		fmt.Fprintln(w)
	}
	checks := budget(results, sizes)
	printBudget(w, checks)
	if o.enforce {
		for _, c := range checks {
			if !c.ok {
				return errors.New("over budget")
			}
		}
	}
	return nil
}

// binaries returns the binary to measure, built into dir unless o.bin
// names one, and the stripped binary's size per platform.
func binaries(ctx context.Context, o options, img imagecheck.Image, root, dir string) (string, map[string]int64, error) {
	mainPath := o.bin
	if mainPath == "" {
		mainPath = filepath.Join(dir, "app-token")
		fmt.Fprintf(os.Stderr, "building %s/%s ...\n", runtime.GOOS, runtime.GOARCH)
		if err := build(ctx, img, root, runtime.GOOS, runtime.GOARCH, mainPath); err != nil {
			return "", nil, err
		}
	} else {
		var err error
		if mainPath, err = filepath.Abs(mainPath); err != nil {
			return "", nil, err
		}
	}
	sizes, err := binarySizes(ctx, o, img, root, dir, mainPath)
	return mainPath, sizes, err
}

// measure runs the cases, in rounds: each round runs every case once with
// every program, the action and the reference actions interleaved, so that
// a burst of load elsewhere on the machine does not land on one of them
// only; the program that goes first turns from round to round. The
// reference programs run between the rounds. The timed runs are not
// traced.
func measure(ctx context.Context, o options, b *bench, progs []program, results []result, refs []floor) error {
	// The emulator shares this process: fewer collections of its garbage
	// (half a megabyte of JSON per 500-repository token) keep it from
	// competing with the steps for the CPUs and from faulting in fresh
	// memory while a step waits for it.
	debug.SetGCPercent(400)

	fmt.Fprintf(os.Stderr, "running %d cases with %d programs, %d warm-up + %d timed + %d traced rounds ...\n",
		len(results), len(progs), o.warmup, o.runs, o.rssRuns)
	for i := range o.warmup + o.runs + o.rssRuns {
		timed, probe := i >= o.warmup && i < o.warmup+o.runs, i >= o.warmup+o.runs
		for j := range results {
			res := &results[j]
			for k := range progs {
				p := (i + k) % len(progs)
				m, s, err := b.once(ctx, progs[p], res.runner, probe)
				if err != nil {
					return fmt.Errorf("case %s, %s, round %d: %w", res.c.Name, progs[p].name, i+1, err)
				}
				rs := &res.runs[p]
				switch {
				case timed:
					rs.main, rs.post = append(rs.main, m), append(rs.post, s)
				case probe:
					rs.mainRSS, rs.postRSS = max(rs.mainRSS, m.rssKB*1024), max(rs.postRSS, s.rssKB*1024)
				}
			}
		}
		if probe {
			continue
		}
		for j := range refs {
			s, err := b.exec(ctx, refs[j].path, refs[j].path, b.dir, []string{"API_URL=" + b.srv.URL()}, false)
			if err != nil {
				return fmt.Errorf("reference program %s: %w", refs[j].name, err)
			}
			if timed {
				refs[j].runs = append(refs[j].runs, s)
			}
		}
	}
	return nil
}

// moduleRoot returns the action's module root: the parent of the tools
// module, whose go.mod this runs in.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not in a Go module: run from the tools directory")
	}
	return filepath.Dir(filepath.Dir(gomod)), nil
}

// binarySizes returns the size of the stripped binary per platform: the
// measured binary, and with o.cross linux/amd64 and linux/arm64 builds.
func binarySizes(ctx context.Context, o options, img imagecheck.Image, root, dir, mainPath string) (map[string]int64, error) {
	sizes := map[string]int64{}
	host := runtime.GOOS + "/" + runtime.GOARCH
	fi, err := os.Stat(mainPath)
	if err != nil {
		return nil, err
	}
	sizes[host] = fi.Size()
	if !o.cross {
		return sizes, nil
	}
	for _, arch := range []string{"amd64", "arm64"} {
		platform := "linux/" + arch
		if platform == host && o.bin == "" {
			continue
		}
		out := filepath.Join(dir, "app-token-linux-"+arch)
		fmt.Fprintf(os.Stderr, "building %s ...\n", platform)
		if err := build(ctx, img, root, "linux", arch, out); err != nil {
			return nil, err
		}
		fi, err := os.Stat(out)
		if err != nil {
			return nil, err
		}
		sizes[platform] = fi.Size()
	}
	return sizes, nil
}

// cpuModel returns the CPU's model name from /proc/cpuinfo, or "unknown
// CPU".
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for line := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
