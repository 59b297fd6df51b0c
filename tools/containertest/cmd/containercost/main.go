// Command containercost prints what the action's image costs a job: its
// layers' size, uncompressed and gzip-compressed, and the wall time of
// docker run for the main and the post step against the emulator. It needs
// the engine DOCKER_HOST names (tools/containertest/run.sh starts one).
//
//	cd tools && go run ./containertest/cmd/containercost [-n 10]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
	"github.com/ghapptoken/app-token-action/internal/runnertest"
	"github.com/ghapptoken/app-token-action/tools/containertest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "containercost:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	n := flag.Int("n", 10, "docker runs of each step")
	root := flag.String("root", "..", "the repository root")
	flag.Parse()
	e, err := containertest.FromEnv(ctx, os.Getenv)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "containercost")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := os.Mkdir(dir+"/image", 0o755); err != nil {
		return err
	}
	img, err := containertest.BuildImage(ctx, e, *root, dir+"/image")
	if err != nil {
		return err
	}
	layers, err := containertest.Layers(ctx, e, img)
	if err != nil {
		return err
	}
	var size, gz int64
	for _, l := range layers {
		size, gz = size+l.Bytes, gz+l.Gzip
	}
	fmt.Printf("image: %d layers, %.2f MB uncompressed, %.2f MB gzip\n", len(layers), float64(size)/1e6, float64(gz)/1e6)

	a, err := runnertest.ReadAction(*root + "/action.yml")
	if err != nil {
		return err
	}
	srv, err := githubapitest.NewServer(githubapitest.DefaultConfig())
	if err != nil {
		return err
	}
	defer srv.Close()
	if err := os.Mkdir(dir+"/jobs", 0o755); err != nil {
		return err
	}
	st, err := containertest.TimeSteps(ctx, e, img, a, srv, *n, dir+"/jobs")
	if err != nil {
		return err
	}
	fmt.Printf("docker run, median of %d (min-max): main %v (%v-%v), post %v (%v-%v)\n", *n,
		ms(containertest.Median(st.Main)), ms(st.Main[0]), ms(st.Main[*n-1]),
		ms(containertest.Median(st.Post)), ms(st.Post[0]), ms(st.Post[*n-1]))
	return nil
}

// ms rounds d to milliseconds.
func ms(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
