// Package containertest runs the action's image in a real Docker engine, the
// way the GitHub runner runs a container action, against the GitHub API
// emulator on loopback. It covers what only a container shows: the binary as
// PID 1 receiving the runner's signals, the scratch filesystem (no /tmp, no
// shell, only the CA bundle), the entrypoint and the post-entrypoint symlink,
// and the runner's docker run flags and mounts.
//
// [BuildImage] builds the final stage of the repository's Dockerfile exactly:
// the binary is built on the host with the Dockerfile's own go build line
// (read by tools/imagecheck), and the final stage's own instructions are
// replayed on a generated build context that holds what the build stage
// would hold, so no base image is pulled. [Job] lays out the runner's
// directories and builds its docker run arguments.
//
// The tests need an engine named by DOCKER_HOST; tools/containertest/run.sh
// starts a private one and runs them. Without DOCKER_HOST they skip; with
// DOCKER_HOST set and the engine unusable they fail.
package containertest
