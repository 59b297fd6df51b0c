package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"sync"

	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
)

// serve serves the emulator's demo world on addr until ctx is done. It
// writes the app's private key to keyFile first, then the ready line to
// stdout; at the end, the request log and the tokens to stderr.
//
// The emulator listens on a loopback port of its own choosing; serve
// forwards the connections it accepts on addr there, byte for byte, so
// that the emulator sees the client's Host (addr) and its links name it.
func serve(ctx context.Context, addr, keyFile string, stdout, stderr io.Writer) error {
	srv, err := githubapitest.NewServer(githubapitest.DefaultConfig())
	if err != nil {
		return fmt.Errorf("start the emulator: %w", err)
	}
	defer srv.Close()
	u, err := url.Parse(srv.URL())
	if err != nil {
		return err
	}
	if err := writeKey(keyFile, srv.PrivateKeyPEM()); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "emulator ready at http://%s\n", ln.Addr())

	var (
		mu    sync.Mutex
		conns = map[net.Conn]bool{}
		wg    sync.WaitGroup
	)
	track := func(c net.Conn, open bool) {
		mu.Lock()
		defer mu.Unlock()
		if open {
			conns[c] = true
		} else {
			delete(conns, c)
		}
	}
	stop := context.AfterFunc(ctx, func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for c := range conns {
			c.Close()
		}
	})
	defer stop()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() == nil {
				return fmt.Errorf("accept: %w", err)
			}
			break
		}
		track(c, true)
		wg.Go(func() {
			defer track(c, false)
			forward(c, u.Host)
		})
	}
	wg.Wait()
	srv.Close()
	printLog(stderr, srv)
	return nil
}

// forward copies c to a new connection to host and back until either side
// closes, then closes both.
func forward(c net.Conn, host string) {
	defer c.Close()
	up, err := net.Dial("tcp", host)
	if err != nil {
		return
	}
	defer up.Close()
	done := make(chan struct{})
	go func() {
		io.Copy(up, c)
		up.(*net.TCPConn).CloseWrite()
		close(done)
	}()
	io.Copy(c, up)
	c.Close()
	<-done
}

// writeKey writes pem to path with mode 0600, also when the file exists.
func writeKey(path, pem string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("write the private key: %w", err)
	}
	err = f.Chmod(0o600)
	if _, werr := io.WriteString(f, pem); err == nil {
		err = werr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write the private key: %w", err)
	}
	return nil
}

// printLog prints the requests the emulator answered and the tokens it
// issued, never their values.
func printLog(w io.Writer, srv *githubapitest.Server) {
	for _, r := range srv.Requests() {
		fmt.Fprintf(w, "%s %s -> %d\n", r.Method, r.Path, r.Status)
	}
	revoked := 0
	tokens := srv.Tokens()
	for _, t := range tokens {
		if t.Revoked {
			revoked++
		}
	}
	fmt.Fprintf(w, "tokens: %d issued, %d revoked\n", len(tokens), revoked)
}
