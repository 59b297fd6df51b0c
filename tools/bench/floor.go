package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"text/tabwriter"

	"github.com/ghapptoken/app-token-action/tools/imagecheck"
)

// floor is a reference program: what any Go step costs on this machine.
type floor struct {
	name, about string
	src         string
	path        string // the built program
	runs        []step
}

// floorPrograms are the reference programs. They read the emulator's URL
// from API_URL.
var floorPrograms = []floor{
	{
		name:  "empty",
		about: "an empty Go program",
		src:   "package main\n\nfunc main() {}\n",
	},
	{
		name:  "one-request",
		about: "net/http: one DELETE /installation/token to the emulator (answered 401)",
		src: `package main

import (
	"net/http"
	"os"
)

func main() {
	req, err := http.NewRequest(http.MethodDelete, os.Getenv("API_URL")+"/installation/token", nil)
	if err != nil {
		panic(err)
	}
	req.Header.Set("Authorization", "token not-a-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
}
`,
	},
}

// buildFloors builds the reference programs under dir, each a module of
// its own, with the Dockerfile's go build line.
func buildFloors(ctx context.Context, img imagecheck.Image, dir string) ([]floor, error) {
	out := make([]floor, len(floorPrograms))
	for i, f := range floorPrograms {
		src := filepath.Join(dir, "floor-"+f.name)
		if err := os.MkdirAll(src, 0o755); err != nil {
			return nil, err
		}
		for name, text := range map[string]string{"go.mod": "module " + f.name + "\n", "main.go": f.src} {
			if err := os.WriteFile(filepath.Join(src, name), []byte(text), 0o644); err != nil {
				return nil, err
			}
		}
		f.path = filepath.Join(src, f.name)
		env, args, err := img.GoBuild(runtime.GOOS, runtime.GOARCH, f.path)
		if err != nil {
			return nil, err
		}
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = src
		cmd.Env = append(append(os.Environ(), env...), "GOFLAGS=", "GOWORK=off")
		if msg, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("build reference program %s: %w\n%s", f.name, err, msg)
		}
		out[i] = f
	}
	return out, nil
}

func printFloors(w io.Writer, fs []floor) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "reference program\tp50\tp90\tfaults\t\t")
	for _, f := range fs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\t%s\n", f.name, ms(percentile(f.runs, .5)), ms(percentile(f.runs, .9)), faultText(f.runs), f.about)
	}
	tw.Flush()
}
