package containertest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/ghapptoken/app-token-action/tools/imagecheck"
)

// hostCABundle is the host's CA bundle. The build stage copies its own
// (Alpine's ca-certificates) from the same path; the test image gets the
// host's.
const hostCABundle = "/etc/ssl/certs/ca-certificates.crt"

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
// No base image is pulled. The build stage is played on the host: the
// binary is built with the Dockerfile's own go build line (from
// [imagecheck.ReadDockerfile]) at the path the build stage writes it to,
// the build stage's ln -s links are made beside it, and the host's CA
// bundle stands in for the builder's. The final stage's own instructions
// then run in docker build, with COPY --from=<build stage> reading that
// tree from the context instead. So an edit to the final stage, the go
// build line or the link reaches this image too.
func BuildImage(ctx context.Context, e *Engine, root, dir string) (Image, error) {
	dockerfile := filepath.Join(root, "Dockerfile")
	model, err := imagecheck.ReadDockerfile(dockerfile)
	if err != nil {
		return Image{}, fmt.Errorf("read the Dockerfile: %w", err)
	}
	src, err := os.ReadFile(dockerfile)
	if err != nil {
		return Image{}, err
	}
	builder, final, err := stages(string(src))
	if err != nil {
		return Image{}, err
	}
	out, links, err := builderOutputs(builder)
	if err != nil {
		return Image{}, err
	}

	// The build stage's tree, under dir/build.
	stage := filepath.Join(dir, "build")
	env, args, err := model.GoBuild("linux", runtime.GOARCH, filepath.Join(stage, out))
	if err != nil {
		return Image{}, err
	}
	gobuild := exec.CommandContext(ctx, "go", args...)
	gobuild.Dir = root
	gobuild.Env = append(os.Environ(), env...)
	if msg, err := gobuild.CombinedOutput(); err != nil {
		return Image{}, fmt.Errorf("go build: %w\n%s", err, msg)
	}
	for _, l := range links {
		if err := os.Symlink(l.target, filepath.Join(stage, l.path)); err != nil {
			return Image{}, fmt.Errorf("make the build stage's link: %w", err)
		}
	}
	if err := copyFile(hostCABundle, filepath.Join(stage, hostCABundle)); err != nil {
		return Image{}, fmt.Errorf("copy the host's CA bundle (install ca-certificates): %w", err)
	}

	// The final stage's instructions, reading the build stage from the context.
	var df strings.Builder
	df.WriteString("FROM scratch\n")
	for _, n := range final {
		line, err := replay(n, builder.name)
		if err != nil {
			return Image{}, err
		}
		df.WriteString(line + "\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df.String()), 0o644); err != nil {
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

// buildStage is the Dockerfile's stage that the final stage copies from.
type buildStage struct {
	name  string
	nodes []*parser.Node
}

// stages returns the build stage and the final stage's instructions.
func stages(src string) (buildStage, []*parser.Node, error) {
	res, err := parser.Parse(strings.NewReader(src))
	if err != nil {
		return buildStage{}, nil, fmt.Errorf("parse the Dockerfile: %w", err)
	}
	var all []buildStage
	for _, n := range res.AST.Children {
		if strings.EqualFold(n.Value, "FROM") {
			var s buildStage
			if ops := operands(n); len(ops) == 3 && strings.EqualFold(ops[1], "AS") {
				s.name = strings.ToLower(ops[2])
			}
			all = append(all, s)
			continue
		}
		if len(all) > 0 {
			all[len(all)-1].nodes = append(all[len(all)-1].nodes, n)
		}
	}
	if len(all) < 2 {
		return buildStage{}, nil, fmt.Errorf("the Dockerfile has %d stages, want a build stage and a final stage", len(all))
	}
	final := all[len(all)-1].nodes
	for _, n := range final {
		if from, ok := copyFrom(n); ok {
			for _, s := range all[:len(all)-1] {
				if s.name == strings.ToLower(from) {
					return s, final, nil
				}
			}
			return buildStage{}, nil, fmt.Errorf("line %d: COPY --from=%s names no stage", n.StartLine, from)
		}
	}
	return buildStage{}, nil, fmt.Errorf("the final stage copies nothing from a build stage")
}

// link is an ln -s of the build stage.
type link struct{ target, path string }

// builderOutputs returns the absolute path the build stage's go build
// writes (its -o) and the symlinks its ln -s commands make, as the RUN's
// shell would split them. The commands are joined by && (imagecheck
// requires it).
func builderOutputs(s buildStage) (string, []link, error) {
	dir := "/"
	abs := func(p string) string {
		if path.IsAbs(p) {
			return path.Clean(p)
		}
		return path.Join(dir, p)
	}
	for _, n := range s.nodes {
		switch {
		case strings.EqualFold(n.Value, "WORKDIR"):
			dir = abs(operands(n)[0])
		case strings.EqualFold(n.Value, "RUN"):
			script := strings.Join(operands(n), " ")
			if !strings.Contains(script, "go build") {
				continue
			}
			words, err := shell.NewLex('\\').ProcessWords(script, shell.EnvsFromSlice(nil))
			if err != nil {
				return "", nil, fmt.Errorf("line %d: split the RUN into words: %w", n.StartLine, err)
			}
			var (
				out   string
				links []link
			)
			for cmd := range strings.SplitSeq(strings.Join(words, "\x00"), "\x00&&\x00") {
				w := strings.Split(cmd, "\x00")
				if i := slices.Index(w, "-o"); i >= 0 && i+1 < len(w) && slices.Contains(w, "build") {
					out = abs(w[i+1])
				}
				if len(w) == 4 && w[0] == "ln" && w[1] == "-s" {
					links = append(links, link{target: w[2], path: abs(w[3])})
				}
			}
			if out == "" {
				return "", nil, fmt.Errorf("line %d: go build without -o", n.StartLine)
			}
			return out, links, nil
		}
	}
	return "", nil, fmt.Errorf("the build stage %q runs no go build", s.name)
}

// replay returns the final-stage instruction n for a context that holds the
// build stage's tree under build/: COPY --from=<builder> reads from there,
// everything else is n as written.
func replay(n *parser.Node, builder string) (string, error) {
	from, ok := copyFrom(n)
	if !ok {
		return n.Original, nil
	}
	if strings.ToLower(from) != builder {
		return "", fmt.Errorf("line %d: COPY --from=%s: only the build stage %q can be replayed", n.StartLine, from, builder)
	}
	var flags []string
	for _, f := range n.Flags {
		if !strings.HasPrefix(f, "--from=") {
			flags = append(flags, f)
		}
	}
	ops := operands(n)
	args := make([]string, 0, len(ops))
	for _, src := range ops[:len(ops)-1] {
		p := path.Join("build", src)
		if strings.HasSuffix(src, "/") {
			p += "/"
		}
		args = append(args, p)
	}
	args = append(args, ops[len(ops)-1])
	j, err := json.Marshal(args)
	if err != nil {
		return "", err
	}
	return strings.Join(slices.Concat([]string{"COPY"}, flags, []string{string(j)}), " "), nil
}

// copyFrom returns the stage a COPY --from names.
func copyFrom(n *parser.Node) (string, bool) {
	if !strings.EqualFold(n.Value, "COPY") {
		return "", false
	}
	for _, f := range n.Flags {
		if v, ok := strings.CutPrefix(f, "--from="); ok {
			return v, true
		}
	}
	return "", false
}

// operands returns the instruction's arguments.
func operands(n *parser.Node) []string {
	var out []string
	for x := n.Next; x != nil; x = x.Next {
		out = append(out, x.Value)
	}
	return out
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
