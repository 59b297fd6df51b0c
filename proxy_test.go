package main

import (
	"fmt"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"
)

// forwardProxy is an HTTP proxy that sends every request to the emulator,
// whatever host it names, and remembers the hosts asked for.
type forwardProxy struct {
	mu    sync.Mutex
	hosts []string
}

// cmdProxy starts a forward proxy in front of the emulator and sets
// $PROXY_URL; "proxy hosts" prints the hosts requested through it.
func cmdProxy(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: proxy start|hosts")
	}
	switch args[0] {
	case "start":
		target, err := url.Parse(emulator(ts).URL())
		ts.Check(err)
		p := &forwardProxy{}
		rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
			p.mu.Lock()
			p.hosts = append(p.hosts, r.In.URL.Host)
			p.mu.Unlock()
			r.Out.URL.Scheme, r.Out.URL.Host = target.Scheme, target.Host
			r.Out.Host = target.Host
		}}
		srv := httptest.NewServer(rp)
		ts.Defer(srv.Close)
		ts.Value(emuKey{}).(*emuState).proxy = p
		ts.Setenv("PROXY_URL", srv.URL)
	case "hosts":
		p := ts.Value(emuKey{}).(*emuState).proxy
		out := ts.Stdout()
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, h := range p.hosts {
			fmt.Fprintln(out, h)
		}
	default:
		ts.Fatalf("unknown proxy command %q", args[0])
	}
}
