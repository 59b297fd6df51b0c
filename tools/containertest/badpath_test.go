package containertest

import (
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
)

// apiHost is a name for the emulator that resolves to loopback inside the
// container (docker run --add-host): Go never sends a request for a
// loopback address through a proxy, so the proxy cases need a name.
const apiHost = "api.github.test"

// deadAddr returns a loopback address where nothing listens.
func deadAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// named returns the emulator's URL with its host replaced by apiHost, and
// the docker run flag that resolves it.
func named(tb testing.TB, srv *githubapitest.Server) (string, string) {
	tb.Helper()
	u, err := url.Parse(srv.URL())
	if err != nil {
		tb.Fatal(err)
	}
	u.Host = apiHost + ":" + u.Port()
	return u.String(), "--add-host=" + apiHost + ":127.0.0.1"
}

// deadProxy returns a TestBadPaths setup: the API by its name (apiHost),
// HTTP_PROXY at a loopback port where nothing listens, and NO_PROXY set to
// noProxy.
func deadProxy(noProxy string) func(*testing.T, *githubapitest.Server, *Job) {
	return func(t *testing.T, srv *githubapitest.Server, j *Job) {
		api, flag := named(t, srv)
		j.Flags = append(j.Flags, flag)
		useAPI(j, api)
		j.Runner.Env["HTTP_PROXY"] = "http://" + deadAddr(t)
		j.Runner.Env["NO_PROXY"] = noProxy
	}
}

// useAPI points the job at the API at url, as on a GitHub Enterprise
// Server: GITHUB_API_URL, and the github-api-url input that defaults to it.
func useAPI(j *Job, url string) {
	j.Runner.Set("github-api-url", url)
	j.Runner.Env["GITHUB_API_URL"] = url
}

// tlsFront starts a TLS reverse proxy in front of the emulator with a
// self-signed certificate for 127.0.0.1, as a GitHub Enterprise Server
// with a private CA, and returns its API URL and the certificate in PEM.
func tlsFront(tb testing.TB, srv *githubapitest.Server) (string, string) {
	tb.Helper()
	target, err := url.Parse(srv.URL())
	if err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(target) }})
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // handshakes refused by the client are the point
	ts.StartTLS()
	tb.Cleanup(ts.Close)
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})
	return ts.URL + target.Path, string(cert)
}

// TestBadPaths runs the main step in the situations a container changes:
// the runner's mounts and variables, a proxy, a private CA. Each case says
// whether the step must work, or must fail with a clear error, and whether
// any token may be minted.
func TestBadPaths(t *testing.T) {
	e := engine(t)
	img := image(t, e)
	tests := []struct {
		name string
		// setup changes the job.
		setup func(t *testing.T, srv *githubapitest.Server, j *Job)
		// wantErr are the texts the failing step's log must hold; none
		// means the step must work and mint one token. "$PROXY" stands
		// for the proxy's address.
		wantErr []string
	}{
		{
			name: "file-command directory read-only",
			setup: func(t *testing.T, srv *githubapitest.Server, j *Job) {
				for i := range j.Mounts {
					if j.Mounts[i].Container == FileCommandsDir {
						j.Mounts[i].ReadOnly = true
					}
				}
			},
			wantErr: []string{"GITHUB_OUTPUT cannot be written", "read-only file system", "hint:"},
		},
		{
			name: "no /github/home mount",
			setup: func(t *testing.T, srv *githubapitest.Server, j *Job) {
				j.DropMount(HomeDir)
			},
		},
		{
			name: "HOME unset",
			setup: func(t *testing.T, srv *githubapitest.Server, j *Job) {
				delete(j.Runner.Env, "HOME")
			},
		},
		{
			name: "no workspace mount",
			setup: func(t *testing.T, srv *githubapitest.Server, j *Job) {
				j.DropMount(WorkspaceDir)
			},
		},
		{
			name:    "HTTP_PROXY at a dead port, NO_PROXY not covering the API",
			setup:   deadProxy("github.com,.internal.example"),
			wantErr: []string{"proxyconnect tcp", "$PROXY", "connection refused"},
		},
		{
			name:  "HTTP_PROXY at a dead port, NO_PROXY covering the API",
			setup: deadProxy(".github.test"),
		},
		{
			name: "private CA not given",
			setup: func(t *testing.T, srv *githubapitest.Server, j *Job) {
				api, _ := tlsFront(t, srv)
				useAPI(j, api)
			},
			wantErr: []string{"x509: certificate signed by unknown authority"},
		},
		{
			name: "private CA given by the ca-certificates input",
			setup: func(t *testing.T, srv *githubapitest.Server, j *Job) {
				api, cert := tlsFront(t, srv)
				useAPI(j, api)
				j.Runner.Set("ca-certificates", cert)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := emulator(t)
			j := newJob(t, srv, srv.URL())
			tt.setup(t, srv, j)
			res := run(t, e, j.Main(img))
			log := redact(srv, res.Log)
			if len(tt.wantErr) == 0 {
				if res.ExitCode != 0 || len(srv.Tokens()) != 1 {
					t.Fatalf("exit code %d, %d tokens minted, want 0 and 1; log:\n%s", res.ExitCode, len(srv.Tokens()), log)
				}
				return
			}
			if res.ExitCode == 0 {
				t.Fatalf("exit code 0, want a failure; log:\n%s", log)
			}
			if !strings.Contains(log, "::error::") {
				t.Errorf("log has no ::error:: line:\n%s", log)
			}
			for _, want := range tt.wantErr {
				want = strings.ReplaceAll(want, "$PROXY", strings.TrimPrefix(j.Runner.Env["HTTP_PROXY"], "http://"))
				if !strings.Contains(log, want) {
					t.Errorf("log does not contain %q:\n%s", want, log)
				}
			}
			if n := len(srv.Tokens()); n != 0 {
				t.Errorf("%d tokens minted, want none", n)
			}
			t.Logf("log:\n%s", log)
		})
	}
}
