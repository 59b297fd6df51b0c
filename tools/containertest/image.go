package containertest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/ghapptoken/app-token-action/tools/imagecheck"
)

// Image is the action's image, built in an engine.
type Image struct {
	ID         string   // the engine's image ID
	Entrypoint []string // the image's ENTRYPOINT, as the engine reports it
	Env        []string // the image's ENV, as the engine reports it
}

// BuildImage builds the final stage of the Dockerfile in root, for the
// host's architecture, in e. dir must be an empty directory; it becomes the
// build context.
//
// No base image is pulled. The build stage is played on the host, from
// [imagecheck.ReadDockerfile]'s reading of it: the binary is built with the
// Dockerfile's own go build line at the path the build stage writes it to,
// the build stage's ln -s links are made beside it, and the host's CA
// bundle stands in for the builder's. The final stage's own instructions
// then run in docker build, with COPY --from=<build stage> reading that
// tree from the context instead ([imagecheck.Image.FinalStage]). So an edit
// to the final stage, the go build line or the link reaches this image too.
func BuildImage(ctx context.Context, e *Engine, root, dir string) (Image, error) {
	model, err := imagecheck.ReadDockerfile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		return Image{}, fmt.Errorf("read the Dockerfile: %w", err)
	}

	// The build stage's tree, under dir/build.
	const stage = "build"
	for _, f := range model.BuildFiles() {
		p := filepath.Join(dir, stage, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return Image{}, err
		}
		switch {
		case f.Binary:
			env, args, err := model.GoBuild("linux", runtime.GOARCH, p)
			if err != nil {
				return Image{}, err
			}
			gobuild := exec.CommandContext(ctx, "go", args...)
			gobuild.Dir = root
			gobuild.Env = append(os.Environ(), env...)
			if msg, err := gobuild.CombinedOutput(); err != nil {
				return Image{}, fmt.Errorf("go build: %w\n%s", err, msg)
			}
		case f.Link != "":
			if err := os.Symlink(f.Link, p); err != nil {
				return Image{}, fmt.Errorf("make the build stage's link: %w", err)
			}
		default:
			// A file of the builder's base image: the host's copy stands in.
			if err := copyFile(f.Path, p); err != nil {
				return Image{}, fmt.Errorf("copy the host's %s (install ca-certificates): %w", f.Path, err)
			}
		}
	}

	// The final stage's instructions, reading the build stage from the context.
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(model.FinalStage(stage)), 0o644); err != nil {
		return Image{}, err
	}
	// The classic builder: enough for FROM scratch and COPY, and it needs
	// no buildx plugin.
	cmd := e.Command(ctx, []string{"DOCKER_BUILDKIT=0"}, "build", "--quiet", dir)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	idOut, err := cmd.Output()
	if err != nil {
		return Image{}, fmt.Errorf("docker build: %w\n%s", err, stderr.String())
	}
	img := Image{ID: strings.TrimSpace(string(idOut))}
	cfg, err := e.Output(ctx, "image", "inspect", "--format", "{{json .Config}}", img.ID)
	if err != nil {
		return Image{}, err
	}
	var c struct{ Entrypoint, Env []string }
	if err := json.Unmarshal([]byte(cfg), &c); err != nil {
		return Image{}, fmt.Errorf("decode the image's config: %w", err)
	}
	img.Entrypoint, img.Env = c.Entrypoint, c.Env
	return img, nil
}

// copyFile copies the regular file src to dst, making dst's directory.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
