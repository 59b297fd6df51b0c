package cli

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/ghapptoken/app-token-action/internal/tokencache"
)

// Environment variables through which exec's command, and git-credential
// run inside it, reach exec's token broker.
const (
	brokerURLEnv    = "APP_TOKEN_EXEC_URL"
	brokerSecretEnv = "APP_TOKEN_EXEC_SECRET"
)

// broker serves exec's command with tokens while it runs: the key stays in
// exec, and git-credential inside the command asks exec for a token over
// loopback HTTP, with a secret only the command's environment holds.
type broker struct {
	url, secret string
	srv         *http.Server
}

// brokerToken is the broker's answer: a token, its expiry and the GitHub
// server it is for.
type brokerToken struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	ServerURL string    `json:"server_url"`
}

// startBroker starts exec's token broker for req on a loopback port.
func startBroker(ctx context.Context, c Command, req *appRequest, cache tokencache.Cache, minLeft time.Duration) (*broker, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen on loopback: %w", err)
	}
	raw := make([]byte, 32)
	rand.Read(raw)
	b := &broker{url: "http://" + ln.Addr().String(), secret: hex.EncodeToString(raw)}
	scope := scopeKey(req)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		e, err := c.cachedToken(r.Context(), req, cache, scope, minLeft)
		if err != nil {
			c.warn("exec: a token for git inside the command: %s", err.Error())
			http.Error(w, "no token", http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(brokerToken{Token: e.Token, ExpiresAt: e.ExpiresAt, ServerURL: req.cfg.ServerURL})
	})
	mux.HandleFunc("POST /erase", func(w http.ResponseWriter, r *http.Request) {
		value, _ := io.ReadAll(io.LimitReader(r.Body, maxInput))
		if _, err := cache.Erase(scope, string(value)); err != nil {
			c.warn("exec: %s", err.Error())
		}
	})
	b.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if subtle.ConstantTimeCompare([]byte(got), []byte(b.secret)) != 1 {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			mux.ServeHTTP(w, r)
		}),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		ReadHeaderTimeout: 10 * time.Second,
	}
	go b.srv.Serve(ln)
	return b, nil
}

func (b *broker) close() { b.srv.Close() }

// askBroker sends git's operation op (get or erase) to the exec whose
// broker url and secret name; for get it returns the token.
func askBroker(ctx context.Context, url, secret, op, password string) (brokerToken, error) {
	path := "/token"
	if op == "erase" {
		path = "/erase"
	}
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, url+path, strings.NewReader(password))
	if err != nil {
		return brokerToken{}, fmt.Errorf("ask app-token exec for a token: %w", err)
	}
	r.Header.Set("Authorization", "Bearer "+secret)
	client := &http.Client{Timeout: 5 * time.Minute}
	resp, err := client.Do(r)
	if err != nil {
		return brokerToken{}, fmt.Errorf("ask app-token exec for a token: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return brokerToken{}, fmt.Errorf("ask app-token exec for a token: %s", resp.Status)
	}
	var t brokerToken
	if op == "get" {
		if err := json.NewDecoder(io.LimitReader(resp.Body, maxInput)).Decode(&t); err != nil {
			return brokerToken{}, fmt.Errorf("ask app-token exec for a token: %w", err)
		}
		if t.Token == "" || strings.ContainsAny(t.Token, "\r\n") {
			return brokerToken{}, errors.New("ask app-token exec for a token: no usable token in the answer")
		}
	}
	return t, nil
}
