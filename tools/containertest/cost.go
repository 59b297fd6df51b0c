package containertest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
	"github.com/ghapptoken/app-token-action/internal/runnertest"
)

// repository is the job's repository, in the emulator's default world.
const repository = "octo-org/app"

// Layer is one layer of an image, as docker save writes it.
type Layer struct {
	Bytes int64  // the layer's uncompressed tar
	Gzip  int64  // the same tar gzip-compressed at the default level, as a registry serves it
	Files []File // its entries, in order
}

// File is an entry of a layer.
type File struct {
	Path string // without a leading slash; directories end in "/"
	Link string // a symlink's target; "" otherwise
	Size int64
}

// Layers returns img's layers, read from docker save.
func Layers(ctx context.Context, e *Engine, img Image) ([]Layer, error) {
	cmd := e.Command(ctx, nil, "save", img.ID)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	saved, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("docker save: %w: %s", err, stderr.String())
	}
	entries := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(saved))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read docker save: %w", err)
		}
		if h.Typeflag == tar.TypeReg {
			if entries[h.Name], err = io.ReadAll(tr); err != nil {
				return nil, err
			}
		}
	}
	var manifest []struct{ Layers []string }
	if err := json.Unmarshal(entries["manifest.json"], &manifest); err != nil || len(manifest) != 1 {
		return nil, fmt.Errorf("docker save: no manifest.json for one image (%v)", err)
	}
	var layers []Layer
	for _, name := range manifest[0].Layers {
		b, ok := entries[name]
		if !ok {
			return nil, fmt.Errorf("docker save: layer %s missing", name)
		}
		l := Layer{Bytes: int64(len(b))}
		var cw countWriter
		zw := gzip.NewWriter(&cw)
		zw.Write(b)
		zw.Close()
		l.Gzip = int64(cw)
		lr := tar.NewReader(bytes.NewReader(b))
		for {
			h, err := lr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("read layer %s: %w", name, err)
			}
			l.Files = append(l.Files, File{Path: h.Name, Link: h.Linkname, Size: h.Size})
		}
		layers = append(layers, l)
	}
	return layers, nil
}

// countWriter counts the bytes written to it.
type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }

// StepTimes are the wall times of docker run for the main and the post
// step, one per run, sorted.
type StepTimes struct{ Main, Post []time.Duration }

// Median returns the median of sorted d.
func Median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return (d[(len(d)-1)/2] + d[len(d)/2]) / 2
}

// TimeSteps runs the main and the post step of img n times each, as the
// runner runs them, against srv, each pair in a fresh job under dir, and
// returns their docker run wall times: container creation, start, the
// step and removal (--rm), as a job pays them.
func TimeSteps(ctx context.Context, e *Engine, img Image, action *runnertest.Action, srv *githubapitest.Server, n int, dir string) (StepTimes, error) {
	var st StepTimes
	for i := range n {
		jdir := filepath.Join(dir, fmt.Sprint(i))
		if err := os.Mkdir(jdir, 0o755); err != nil {
			return st, err
		}
		j, err := NewJob(jdir, action, srv.URL(), repository)
		if err != nil {
			return st, err
		}
		j.Runner.Set("client-id", githubapitest.DefaultConfig().App.ClientID)
		j.Runner.Set("private-key", srv.PrivateKeyPEM())
		main, err := j.Main(img).Run(ctx, e)
		if err == nil && main.ExitCode != 0 {
			err = fmt.Errorf("main step exit code %d", main.ExitCode)
		}
		if err != nil {
			return st, err
		}
		post, err := j.Post(img)
		if err != nil {
			return st, err
		}
		pres, err := post.Run(ctx, e)
		if err == nil && pres.ExitCode != 0 {
			err = fmt.Errorf("post step exit code %d", pres.ExitCode)
		}
		if err != nil {
			return st, err
		}
		st.Main, st.Post = append(st.Main, main.Wall), append(st.Post, pres.Wall)
	}
	slices.Sort(st.Main)
	slices.Sort(st.Post)
	return st, nil
}
