# Image of the app-token container action: one static Go binary and the CA
# bundle on scratch. Released tags run a prebuilt copy of this image (see
# RELEASING.md); main and `uses: ./` build it here.
#
# tools/imagecheck tests the rules this file keeps; change both together.

# The builder runs on the build machine's own platform and cross-compiles for
# the target, so buildx makes the arm64 image without emulation: BuildKit
# sets $BUILDPLATFORM, $TARGETOS and $TARGETARCH. Docker's legacy builder
# (DOCKER_BUILDKIT=0, which nektos/act and older self-hosted engines use to
# build `uses: OWNER/REPO@SHA`) sets none of them and fails on an empty
# --platform ("" is an invalid component); for it the platform is "linux",
# which the engine completes with its own architecture, and the empty
# TARGETOS and TARGETARCH leave the compiler at that same platform.
# Dependabot keeps the digest fresh. The image sets GOTOOLCHAIN=local, so its
# Go must be at least go.mod's go line.
FROM --platform=${BUILDPLATFORM:-linux} golang:1.26-alpine@sha256:8ac98ca534ac3f51e1f420a1dd2c15e74c75cfa0f23f3ad27eb5d7236c349a0c AS build
WORKDIR /src

# Modules first, in their own layer: it is rebuilt only when go.mod or go.sum
# change, not on every source edit. Only the modules the binary is built
# from: go.mod also lists modules of the tests, which the image never needs.
COPY go.mod go.sum ./
RUN go mod download github.com/gofrs/flock github.com/golang-jwt/jwt/v5 github.com/sethvargo/go-githubactions golang.org/x/sys

COPY . .
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
# The runner starts the post step as /usr/local/bin/app-token-post and the
# binary picks the step by its own name. scratch has no shell to make the
# link, so it is made here and copied: COPY keeps symlinks.
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/app-token . \
 && ln -s app-token /out/app-token-post

# No shell, no package manager: the binary and the CA bundle only.
FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/ /usr/local/bin/
# No USER: GitHub requires container actions to run as root; as another user
# the action cannot write the mounted workspace or the files behind
# $GITHUB_OUTPUT and $GITHUB_STATE.
# No WORKDIR: the runner mounts the workspace and sets the working directory.
# One step is sequential work: one OS thread for Go starts faster (about
# 2 ms of a 20 ms step). cd tools && go run ./bench runs the steps with this
# ENV; compare with -env GOMAXPROCS=2 on a 2-core machine.
ENV GOMAXPROCS=1
ENTRYPOINT ["/usr/local/bin/app-token"]
