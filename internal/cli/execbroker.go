package cli

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/ghapptoken/app-token-action/internal/tokencache"
)

// Environment variables through which exec's command, and git-credential
// run inside it, reach exec's token broker.
const (
	brokerAddrEnv   = "APP_TOKEN_EXEC_ADDR"
	brokerSecretEnv = "APP_TOKEN_EXEC_SECRET"
	brokerServerEnv = "APP_TOKEN_EXEC_SERVER" // the git server the broker's tokens are for
)

// brokerTimeout bounds one exchange with the broker, a mint included.
const brokerTimeout = 5 * time.Minute

// broker serves exec's command with tokens while it runs: the key stays in
// exec, and git-credential inside the command asks exec for a token over
// a loopback connection, with a secret only the command's environment
// holds. One exchange is one line each way (a plain protocol, not HTTP,
// so that the binary carries no HTTP server):
//
//	→ SECRET get
//	← ok EXPIRES-UNIX TOKEN
//	→ SECRET erase PASSWORD
//	← ok
//
// and "error MESSAGE" for a failure.
type broker struct {
	addr, secret string
	ln           net.Listener
}

// brokerToken is the broker's answer to get.
type brokerToken struct {
	Token     string
	ExpiresAt time.Time
}

// startBroker starts exec's token broker for req on a loopback port. It
// serves connections concurrently; its tokens come from
// [appRequest.cachedToken], so that concurrent requests after an expiry
// cost one mint.
func startBroker(ctx context.Context, c Command, req *appRequest, cache tokencache.Cache, minLeft time.Duration) (*broker, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen on loopback: %w", err)
	}
	raw := make([]byte, 32)
	rand.Read(raw)
	b := &broker{addr: ln.Addr().String(), secret: hex.EncodeToString(raw), ln: ln}
	ctx = context.WithoutCancel(ctx) // the command may outlive a cancellation of exec's context
	serve := func(conn net.Conn) {
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(brokerTimeout))
		line, err := bufio.NewReaderSize(conn, 4096).ReadString('\n')
		if err != nil {
			return
		}
		secret, rest, _ := strings.Cut(strings.TrimSuffix(line, "\n"), " ")
		op, password, _ := strings.Cut(rest, " ")
		if subtle.ConstantTimeCompare([]byte(secret), []byte(b.secret)) != 1 {
			fmt.Fprintf(conn, "error wrong secret\n")
			return
		}
		switch op {
		case "get":
			e, err := req.cachedToken(ctx, cache, minLeft)
			if err != nil {
				c.warn("exec: a token for git inside the command: %s", err.Error())
				fmt.Fprintf(conn, "error no token\n")
				return
			}
			fmt.Fprintf(conn, "ok %d %s\n", e.ExpiresAt.Unix(), e.Token)
		case "erase":
			if err := req.erase(ctx, cache, password); err != nil {
				c.warn("exec: %s", err.Error())
			}
			fmt.Fprintf(conn, "ok\n")
		default:
			fmt.Fprintf(conn, "error unknown operation\n")
		}
	}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return // closed
			}
			go serve(conn)
		}
	}()
	return b, nil
}

func (b *broker) close() { b.ln.Close() }

// askBroker sends git's operation op (get or erase) to the exec whose
// broker addr and secret name; for get it returns the token.
func askBroker(ctx context.Context, addr, secret, op, password string) (brokerToken, error) {
	fail := func(err error) (brokerToken, error) {
		return brokerToken{}, fmt.Errorf("ask app-token exec for a token: %w", err)
	}
	if strings.ContainsAny(password, "\r\n") {
		password = ""
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fail(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(brokerTimeout))
	if _, err := fmt.Fprintf(conn, "%s %s %s\n", secret, op, password); err != nil {
		return fail(err)
	}
	line, err := bufio.NewReaderSize(conn, 4096).ReadString('\n')
	if err != nil {
		return fail(err)
	}
	status, rest, _ := strings.Cut(strings.TrimSuffix(line, "\n"), " ")
	if status != "ok" {
		return fail(errors.New(rest))
	}
	if op != "get" {
		return brokerToken{}, nil
	}
	fields := strings.SplitN(rest, " ", 2)
	if len(fields) != 2 || fields[1] == "" {
		return fail(errors.New("no usable token in the answer"))
	}
	unix, err := strconv.ParseInt(fields[0], 10, 64)
	if err != nil {
		return fail(errors.New("no usable expiry in the answer"))
	}
	return brokerToken{Token: fields[1], ExpiresAt: time.Unix(unix, 0)}, nil
}
