package imagecheck

import (
	"encoding/json"
	"fmt"
	"iter"
	"maps"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

const (
	// caBundle is where Go's crypto/x509 looks for the CA certificates on
	// Linux first, in the builder (Alpine's ca-certificates) and the image.
	caBundle = "/etc/ssl/certs/ca-certificates.crt"
	// postName is the base name under which the binary runs the post step
	// (the contract's runs.post-entrypoint).
	postName = "app-token-post"
)

// digestRef ends an image reference pinned by digest.
var digestRef = regexp.MustCompile(`@sha256:[0-9a-f]{64}$`)

// Image is what a Dockerfile says about the image it builds.
type Image struct {
	entrypoint []string        // the final stage's exec-form ENTRYPOINT
	files      map[string]file // path in the image -> where it comes from
	env        []string        // the final stage's ENV, NAME=value in order
	build      buildStep       // the builder's RUN with go build
	made       map[string]file // path in the build stage -> what the build stage makes there for the final stage
	final      *stage          // the final stage; each COPY in it is --from the build stage
}

// file is one path in the final image.
type file struct {
	src    string // path in the build stage it is copied from
	link   string // symlink target; "" for a regular file
	binary bool   // the go build output
}

// ReadDockerfile reads the Dockerfile at path and returns the image it
// builds. It fails when the Dockerfile breaks one of the rules that
// inspect checks (go test ./tools/imagecheck names them all), since the
// image it describes is then not the action's.
func ReadDockerfile(path string) (Image, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Image{}, err
	}
	img, problems := inspect(string(b))
	if len(problems) > 0 {
		return Image{}, fmt.Errorf("%s: %s", path, strings.Join(problems, "; "))
	}
	return img, nil
}

// Env returns the environment the image gives its entrypoint: the final
// stage's ENV, as NAME=value in order.
func (img Image) Env() []string { return slices.Clone(img.env) }

// GoBuild returns the build stage's go build command for goos and goarch,
// with the other build args at their defaults and the output at out: the
// NAME=value assignments that the RUN puts before go, and the arguments of
// go. Run it in the module root with the assignments added to the
// environment.
func (img Image) GoBuild(goos, goarch, out string) (env, args []string, err error) {
	gb, _, err := img.build.expand(map[string]string{"TARGETOS": goos, "TARGETARCH": goarch})
	if err != nil {
		return nil, nil, err
	}
	return gb.env, setFlag(gb.args, "-o", out), nil
}

// BuildFile is a file the build stage holds for the final stage to copy.
type BuildFile struct {
	Path   string // absolute, in the build stage
	Link   string // symlink target; "" for a regular file
	Binary bool   // the go build output; a regular file that is not comes with the build stage's base image (the CA bundle)
}

// BuildFiles returns the files the build stage holds for the final stage,
// by path: the go build output, the links its ln -s commands make, and the
// CA bundle.
func (img Image) BuildFiles() []BuildFile {
	out := make([]BuildFile, 0, len(img.made))
	for _, p := range slices.Sorted(maps.Keys(img.made)) {
		f := img.made[p]
		out = append(out, BuildFile{Path: p, Link: f.link, Binary: f.binary})
	}
	return out
}

// FinalStage returns the final stage as a Dockerfile of its own, in which
// each COPY --from=<build stage> copies from dir, a slash-separated path in
// the build context, instead: for building the image from a context that
// holds the [Image.BuildFiles] under dir, with no build stage to run.
func (img Image) FinalStage(dir string) string {
	var df strings.Builder
	df.WriteString(img.final.from.Original + "\n")
	for _, n := range img.final.nodes {
		line := n.Original
		if _, ok := flag(n, "from"); is(n, "COPY") && ok {
			line = copyFromContext(n, dir)
		}
		df.WriteString(line + "\n")
	}
	return df.String()
}

// copyFromContext returns the COPY --from n with --from dropped and its
// sources under dir.
func copyFromContext(n *parser.Node, dir string) string {
	words := []string{"COPY"}
	for _, f := range n.Flags {
		if !strings.HasPrefix(f, "--from=") {
			words = append(words, f)
		}
	}
	ops := operands(n)
	args := make([]string, 0, len(ops))
	for _, src := range ops[:len(ops)-1] {
		p := path.Join(dir, src)
		if strings.HasSuffix(src, "/") {
			p += "/" // COPY dir/ copies the directory's contents
		}
		args = append(args, p)
	}
	args = append(args, ops[len(ops)-1])
	j, _ := json.Marshal(args) // a []string always marshals
	return strings.Join(append(words, string(j)), " ")
}

// buildStep is the builder's RUN that holds go build.
type buildStep struct {
	line   int
	dir    string            // WORKDIR at the RUN
	script string            // the RUN's shell script
	scope  map[string]string // ARG and ENV names in scope, with their values
}

// goBuild is the go build command of a [buildStep], words expanded.
type goBuild struct {
	env  []string // NAME=value assignments before "go"
	args []string // the words after "go", starting with "build"
	out  string   // the -o path, absolute
}

// symlink is an `ln -s target path` of a [buildStep].
type symlink struct{ target, path string }

// expand splits the script into words as docker build does, with the build
// args in values overriding the stage's defaults (variables the stage does
// not declare are empty, as in docker build), and returns its go build and
// ln -s commands.
func (s buildStep) expand(values map[string]string) (goBuild, []symlink, error) {
	var env []string
	for name, v := range s.scope {
		if o, ok := values[name]; ok {
			v = o
		}
		env = append(env, name+"="+v)
	}
	words, err := shell.NewLex('\\').ProcessWords(s.script, shell.EnvsFromSlice(env))
	if err != nil {
		return goBuild{}, nil, fmt.Errorf("split RUN at line %d into words: %w", s.line, err)
	}
	var (
		gb    goBuild
		links []symlink
		found bool
	)
	for cmd := range splitCommands(words) {
		if slices.ContainsFunc(cmd, func(w string) bool {
			return w == "|" || w == "||" || strings.HasSuffix(w, ";")
		}) {
			return goBuild{}, nil, fmt.Errorf("RUN at line %d: join its commands with && only", s.line)
		}
		i := 0
		for i < len(cmd) && isAssignment(cmd[i]) {
			i++
		}
		switch {
		case len(cmd) > i+1 && cmd[i] == "go" && cmd[i+1] == "build":
			if found {
				return goBuild{}, nil, fmt.Errorf("RUN at line %d: more than one go build", s.line)
			}
			found = true
			gb = goBuild{env: cmd[:i], args: cmd[i+1:]}
			if o, ok := flagValue(gb.args, "-o"); ok {
				gb.out = s.abs(o)
			}
		case i == 0 && len(cmd) == 4 && cmd[0] == "ln" && cmd[1] == "-s":
			links = append(links, symlink{target: cmd[2], path: s.abs(cmd[3])})
		}
	}
	if !found {
		return goBuild{}, nil, fmt.Errorf("RUN at line %d: no go build", s.line)
	}
	return gb, links, nil
}

// abs resolves p against the step's working directory.
func (s buildStep) abs(p string) string {
	if path.IsAbs(p) {
		return path.Clean(p)
	}
	return path.Join(s.dir, p)
}

// splitCommands yields the commands of a word list joined by &&.
func splitCommands(words []string) iter.Seq[[]string] {
	return func(yield func([]string) bool) {
		for {
			i := slices.Index(words, "&&")
			if i < 0 {
				yield(words)
				return
			}
			if !yield(words[:i]) {
				return
			}
			words = words[i+1:]
		}
	}
}

var shellName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// isAssignment reports whether w is a NAME=value shell assignment.
func isAssignment(w string) bool {
	name, _, ok := strings.Cut(w, "=")
	return ok && shellName.MatchString(name)
}

// flagValue returns the value of the go flag name ("-o") given as "-o v",
// "-o=v", or with two dashes.
func flagValue(args []string, name string) (string, bool) {
	for i, a := range args {
		if !strings.HasPrefix(a, "-") {
			continue
		}
		a = "-" + strings.TrimLeft(a, "-")
		if a == name && i+1 < len(args) {
			return args[i+1], true
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v, true
		}
	}
	return "", false
}

// applyEnv applies an ENV instruction to scope as docker build does, and
// returns the names it set. BuildKit's parser gives the operands as (name,
// value, separator) triples, for both ENV NAME=value ... and ENV NAME value;
// the values are unquoted and expanded with the variables as they were
// before the instruction.
func applyEnv(n *parser.Node, scope map[string]string) ([]string, error) {
	ops := operands(n)
	var names, values []string
	for i := 0; i+1 < len(ops); i += 3 {
		v, err := expandWord(ops[i+1], scope)
		if err != nil {
			return nil, fmt.Errorf("ENV %s: %w", ops[i], err)
		}
		names, values = append(names, ops[i]), append(values, v)
	}
	for i, name := range names {
		scope[name] = values[i]
	}
	return names, nil
}

// expandWord unquotes w and expands the variables of scope in it, as docker
// build does for ARG and ENV values.
func expandWord(w string, scope map[string]string) (string, error) {
	env := make([]string, 0, len(scope))
	for name, v := range scope {
		env = append(env, name+"="+v)
	}
	v, _, err := shell.NewLex('\\').ProcessWord(w, shell.EnvsFromSlice(env))
	return v, err
}

// checkBuildPlatform checks the build stage's FROM --platform value p
// under both of Docker's builders, and returns what is wrong with it.
// BuildKit (buildx) sets BUILDPLATFORM to the build machine's platform: p
// must expand to it, so that the builder cross-compiles instead of running
// under emulation. Docker's legacy builder (DOCKER_BUILDKIT=0, which
// nektos/act and older self-hosted engines use) sets no BUILDPLATFORM and
// fails on an empty platform ("" is an invalid component, from
// containerd's platforms.Parse in moby's builder/dockerfile initializeStage):
// there p must expand to "linux", which platforms.Parse completes with the
// engine's own architecture (one known OS part takes runtime.GOARCH); a
// pinned architecture would build under emulation on the other one.
func checkBuildPlatform(p string) []string {
	var problems []string
	for _, build := range []string{"linux/amd64", "linux/arm64"} {
		if v, err := expandWord(p, map[string]string{"BUILDPLATFORM": build}); err != nil || v != build {
			problems = append(problems, fmt.Sprintf("the build stage's --platform=%s is %q under BuildKit on %s; want $BUILDPLATFORM, to cross-compile without emulation", p, v, build))
			break
		}
	}
	if v, err := expandWord(p, nil); err != nil || v != "linux" {
		problems = append(problems, fmt.Sprintf("the build stage's --platform=%s is %q under Docker's legacy builder, which sets no BUILDPLATFORM; want ${BUILDPLATFORM:-linux}, the engine's own platform", p, v))
	}
	return problems
}

// stage is one FROM and the instructions under it.
type stage struct {
	from  *parser.Node
	image string // the FROM image reference
	name  string // the AS name, lower case; "" if none
	nodes []*parser.Node
}

// is reports whether n is the instruction named instr (upper case).
func is(n *parser.Node, instr string) bool { return strings.EqualFold(n.Value, instr) }

// operands returns the instruction's arguments.
func operands(n *parser.Node) []string {
	var out []string
	for x := n.Next; x != nil; x = x.Next {
		out = append(out, x.Value)
	}
	return out
}

// flag returns the value of the instruction's --name=value flag.
func flag(n *parser.Node, name string) (string, bool) {
	for _, f := range n.Flags {
		if v, ok := strings.CutPrefix(f, "--"+name+"="); ok {
			return v, true
		}
	}
	return "", false
}

// inspect parses a Dockerfile and checks it against the image's rules. It
// returns what the Dockerfile builds, and one problem per broken rule, each
// prefixed with its line.
func inspect(src string) (Image, []string) {
	var (
		img      = Image{files: map[string]file{}}
		problems []string
	)
	report := func(n *parser.Node, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("line %d: ", n.StartLine)+fmt.Sprintf(format, args...))
	}

	res, err := parser.Parse(strings.NewReader(src))
	if err != nil {
		return img, []string{"parse: " + err.Error()}
	}
	var stages []*stage
	for _, n := range res.AST.Children {
		if is(n, "FROM") {
			ops := operands(n)
			s := &stage{from: n, image: ops[0]}
			if len(ops) == 3 && strings.EqualFold(ops[1], "AS") {
				s.name = strings.ToLower(ops[2])
			}
			stages = append(stages, s)
			continue
		}
		if len(stages) > 0 {
			stages[len(stages)-1].nodes = append(stages[len(stages)-1].nodes, n)
		}
	}
	if len(stages) < 2 {
		return img, []string{"want a build stage and a final stage, got " + fmt.Sprint(len(stages)) + " FROM"}
	}

	// Every stage: a pinned base and no USER.
	named := map[string]*stage{}
	for _, s := range stages {
		if named[strings.ToLower(s.image)] == nil && s.image != "scratch" && !digestRef.MatchString(s.image) {
			report(s.from, "FROM %s is not pinned by digest (image@sha256:...)", s.image)
		}
		for _, n := range s.nodes {
			if is(n, "USER") {
				report(n, "USER %s: GitHub requires container actions to run as root", strings.Join(operands(n), " "))
			}
		}
		if s.name != "" {
			named[s.name] = s
		}
	}

	// The build stage: module download in its own layer, then go build.
	var builder *stage
	for _, s := range stages[:len(stages)-1] {
		dir := "/"
		scope := map[string]string{}
		var beforeDownload []*parser.Node // COPYs before go mod download
		downloaded := false
		for _, n := range s.nodes {
			switch {
			case is(n, "WORKDIR"):
				dir = buildStep{dir: dir}.abs(operands(n)[0])
			case is(n, "ARG"):
				for _, a := range operands(n) {
					name, def, _ := strings.Cut(a, "=")
					v, err := expandWord(def, scope)
					if err != nil {
						report(n, "ARG %s: %v", name, err)
					}
					scope[name] = v
				}
			case is(n, "ENV"):
				if _, err := applyEnv(n, scope); err != nil {
					report(n, "%v", err)
				}
			case is(n, "COPY") && !downloaded:
				beforeDownload = append(beforeDownload, n)
			case is(n, "RUN"):
				script := strings.Join(operands(n), " ")
				if strings.Contains(script, "go mod download") {
					downloaded = true
					for _, c := range beforeDownload {
						ops := operands(c)
						for _, src := range ops[:len(ops)-1] {
							if src != "go.mod" && src != "go.sum" {
								report(c, "COPY %s before go mod download: copy only go.mod and go.sum first, so the module layer stays cached", src)
							}
						}
					}
				}
				if !strings.Contains(script, "go build") {
					continue
				}
				if builder != nil {
					report(n, "a second go build; want exactly one")
					continue
				}
				if !downloaded {
					report(n, "go build without a RUN go mod download before it, in its own cached layer")
				}
				builder = s
				img.build = buildStep{line: n.StartLine, dir: dir, script: script, scope: maps.Clone(scope)}
			}
		}
	}
	if builder == nil {
		problems = append(problems, "no build stage runs go build")
		return img, problems
	}
	p, _ := flag(builder.from, "platform")
	for _, problem := range checkBuildPlatform(p) {
		report(builder.from, "%s", problem)
	}
	if _, ok := img.build.scope["VERSION"]; !ok {
		report(builder.from, "the build stage declares no ARG VERSION for -X main.version")
	}

	// The go build line, with the build args left as ${NAME}.
	placeholders := map[string]string{}
	for name := range img.build.scope {
		placeholders[name] = "${" + name + "}"
	}
	gb, links, err := img.build.expand(placeholders)
	if err != nil {
		problems = append(problems, err.Error())
		return img, problems
	}
	for want, why := range map[string]string{
		"CGO_ENABLED=0":        "scratch needs a static binary",
		"GOOS=${TARGETOS}":     "declare ARG TARGETOS and build for the target platform",
		"GOARCH=${TARGETARCH}": "declare ARG TARGETARCH and build for the target platform",
	} {
		if !slices.Contains(gb.env, want) {
			problems = append(problems, fmt.Sprintf("line %d: go build without %s: %s", img.build.line, want, why))
		}
	}
	if !slices.Contains(gb.args, "-trimpath") {
		problems = append(problems, fmt.Sprintf("line %d: go build without -trimpath", img.build.line))
	}
	ldflags, _ := flagValue(gb.args, "-ldflags")
	for _, want := range []string{"-s", "-w", "-X main.version=${VERSION}"} {
		if !strings.Contains(" "+ldflags+" ", " "+want+" ") {
			problems = append(problems, fmt.Sprintf("line %d: go build -ldflags %q lacks %s", img.build.line, ldflags, want))
		}
	}
	if gb.out == "" {
		problems = append(problems, fmt.Sprintf("line %d: go build without -o", img.build.line))
	}

	// What the build stage holds for the final stage to copy.
	made := map[string]file{gb.out: {src: gb.out, binary: true}, caBundle: {src: caBundle}}
	for _, l := range links {
		made[l.path] = file{src: l.path, link: l.target}
	}
	img.made = made

	// The final stage: scratch, files copied from the build stage, and an
	// exec-form ENTRYPOINT.
	final := stages[len(stages)-1]
	img.final = final
	if final.image != "scratch" {
		report(final.from, "the final stage is FROM %s, want scratch: no shell, no package manager", final.image)
	}
	env := map[string]string{}
	var envOrder []string
	for _, n := range final.nodes {
		switch {
		case is(n, "ENV"):
			names, err := applyEnv(n, env)
			if err != nil {
				report(n, "%v", err)
			}
			for _, name := range names {
				if !slices.Contains(envOrder, name) {
					envOrder = append(envOrder, name)
				}
			}
		case is(n, "COPY"):
			from, _ := flag(n, "from")
			if named[strings.ToLower(from)] != builder {
				report(n, "COPY in the final stage must be --from=%s, the build stage, not %q", builder.name, from)
				continue
			}
			ops := operands(n)
			dst := ops[len(ops)-1]
			for _, src := range ops[:len(ops)-1] {
				// COPY --from sources are relative to the stage's root.
				copied := copyInto(made, path.Join("/", src), dst)
				if len(copied) == 0 {
					report(n, "COPY --from=%s %s: the build stage does not make it", from, src)
				}
				for p, f := range copied {
					img.files[p] = f
				}
			}
		case is(n, "ENTRYPOINT"):
			if !n.Attributes["json"] {
				report(n, "ENTRYPOINT %s: use the exec form [\"/path\"]; scratch has no shell", strings.Join(operands(n), " "))
				continue
			}
			img.entrypoint = operands(n)
		case is(n, "WORKDIR"):
			report(n, "WORKDIR in the final stage: the runner mounts the workspace and sets the working directory")
		case is(n, "RUN"), is(n, "ADD"), is(n, "SHELL"), is(n, "ONBUILD"), is(n, "HEALTHCHECK"), is(n, "VOLUME"):
			report(n, "%s in the final stage: it holds the binary and the CA bundle only", strings.ToUpper(n.Value))
		}
	}

	for _, name := range envOrder {
		img.env = append(img.env, name+"="+env[name])
	}

	if f, ok := img.files[caBundle]; !ok || f.link != "" {
		problems = append(problems, "the final stage has no CA bundle at "+caBundle+": TLS to the GitHub API needs it")
	}
	switch ep := img.entrypoint; {
	case len(ep) != 1 || !path.IsAbs(ep[0]):
		problems = append(problems, fmt.Sprintf("ENTRYPOINT %q: want one absolute path", ep))
	case !img.files[ep[0]].binary:
		problems = append(problems, fmt.Sprintf("ENTRYPOINT %s is not the go build output copied into the image", ep[0]))
	default:
		post := path.Join(path.Dir(ep[0]), postName)
		if f := img.files[post]; f.link == "" || resolve(post, f.link) != ep[0] {
			problems = append(problems, fmt.Sprintf("%s must be a symlink to %s, made in the build stage (ln -s) and copied: scratch has no shell to make it", post, ep[0]))
		}
	}
	return img, problems
}

// resolve returns the path a symlink at p with the given target points to.
func resolve(p, target string) string {
	if path.IsAbs(target) {
		return path.Clean(target)
	}
	return path.Join(path.Dir(p), target)
}

// copyInto returns the files that COPY src dst puts in the image, from the
// build stage's files made: one file, or a directory's files.
func copyInto(made map[string]file, src, dst string) map[string]file {
	out := map[string]file{}
	if f, ok := made[src]; ok {
		if strings.HasSuffix(dst, "/") {
			dst = path.Join(dst, path.Base(src))
		}
		out[path.Clean(dst)] = f
		return out
	}
	for p, f := range made {
		if path.Dir(p) == src { // COPY dir/ copies the directory's contents
			out[path.Join(dst, path.Base(p))] = f
		}
	}
	return out
}

// setFlag returns args with the value of the go flag name ("-o") set to v.
func setFlag(args []string, name, v string) []string {
	out := slices.Clone(args)
	for i, a := range out {
		if !strings.HasPrefix(a, "-") {
			continue
		}
		switch a = "-" + strings.TrimLeft(a, "-"); {
		case a == name && i+1 < len(out):
			out[i+1] = v
			return out
		case strings.HasPrefix(a, name+"="):
			out[i] = name + "=" + v
			return out
		}
	}
	return append([]string{args[0], name, v}, args[1:]...)
}
