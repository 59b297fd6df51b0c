// Package imagecheck reads the action's Dockerfile with BuildKit's own
// parser, and its tests check the container image and the release machinery
// around it, without a Docker engine. [ReadDockerfile] tells other programs,
// such as tools/bench and tools/containertest, how the image builds and
// runs the binary, so that they keep no second copy of its go build line,
// its build stage's files, its final stage or its ENV.
//
// The tests check the Dockerfile's rules: bases pinned by digest, a static
// cross-compiled binary on scratch with the CA bundle and nothing else, no
// USER or WORKDIR, an exec-form ENTRYPOINT, the app-token-post symlink, and
// the image's environment (GOMAXPROCS=1). They check that the .dockerignore
// lets in only what go build needs. They check that action.yml's
// entrypoints are the paths the Dockerfile creates, which actionlint cannot
// check. They build the binary from the build context with the Dockerfile's
// own go build line, check that it is static, stripped and free of build
// paths, and run its version, post step and demo with the image's
// environment only; go list -deps . must show no emulator, no runner
// stand-in and no net/http/httptest in it. Finally they lint the workflows with actionlint and
// check that every action is pinned by commit SHA. They also check that
// dependabot.yml, the CI workflow and the release workflow keep their
// promises, and run the script that pins action.yml to the image digest on
// a copy of action.yml. They run the release's tag scripts against a local
// origin, check that no script force-pushes a tag but the major one, and
// run the release's CLI build (.github/release/build-cli.sh) to check that
// it makes exactly the contract's names and that each binary is static,
// stripped, free of build paths and names its version.
//
// The release's own scripts run here too, offline: preflight.sh with gh
// and docker stand-ins (only "not found" is absent, but for the first
// release's "denied"; drafts count), check-assets.sh on assets with one
// defect each (a missing or extra name, a checksum that fails or is
// missing, another version), latest.sh against a local origin (a backport is never Latest),
// smoke-image.sh on the real binary through a docker stand-in, and the
// release job's git credential helper through git itself. Further checks
// keep release.yml and .ci/run calling one build script (.ci/run twice,
// comparing the checksums), ci.yml running .ci/run, every pinned action in
// .github/release/action-pins.txt (node24), every go.mod in dependabot.yml
// (with its indirect tools allowed), and every verify command pinned to
// release.yml on main.
//
// Each check also has table tests that feed it the defect it guards against.
package imagecheck
