// Command refaction is the benchmark's reference action: the least work a
// Go program must do for the action's two steps, with the standard library
// only and no care beyond the happy path. The benchmark builds it with the
// Dockerfile's flags and times it next to the action's binary.
//
// As the main step (any other name than app-token-post) it signs an RS256
// JWT by hand for INPUT_CLIENT-ID with INPUT_PRIVATE-KEY, looks up the
// installation (INPUT_INSTALLATION-ID, INPUT_OWNER with or without
// INPUT_REPOSITORIES, or GITHUB_REPOSITORY), creates a token for the
// INPUT_REPOSITORIES (or the current repository) and INPUT_PERMISSION-* it
// was given, masks it, and
// appends the outputs (token, installation-id, app-slug, expires-at) to
// $GITHUB_OUTPUT and the state (token, expires-at) to $GITHUB_STATE as
// name=value lines. As app-token-post it revokes STATE_token.
//
// Built with -tags refsignal, it first sets up signal.NotifyContext as the
// action does, so that the benchmark can tell what that costs.
package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

func main() {
	ctx, stop := newContext()
	var err error
	if filepath.Base(os.Args[0]) == "app-token-post" {
		err = post(ctx)
	} else {
		err = mint(ctx)
	}
	stop()
	if err != nil {
		fmt.Printf("::error::%s\n", err)
		os.Exit(1)
	}
}

// input returns the value of the action input name, as the runner passes it.
func input(name string) string {
	return strings.TrimSpace(os.Getenv("INPUT_" + strings.ToUpper(name)))
}

// apiURL returns the API root without a trailing slash.
func apiURL() string {
	u := input("github-api-url")
	if u == "" {
		u = os.Getenv("GITHUB_API_URL")
	}
	return strings.TrimSuffix(u, "/")
}

// mint is the main step.
func mint(ctx context.Context) error {
	jwt, err := signJWT(input("client-id"), input("private-key"), time.Now())
	if err != nil {
		return err
	}
	var repos []string
	for _, r := range strings.FieldsFunc(input("repositories"), func(r rune) bool { return r == ',' || r == '\n' }) {
		if r = strings.TrimSpace(r); r != "" {
			repos = append(repos, r)
		}
	}
	var lookup string
	switch owner := input("owner"); {
	case input("installation-id") != "":
		lookup = "/app/installations/" + input("installation-id")
	case owner != "" && len(repos) > 0:
		lookup = "/repos/" + owner + "/" + repos[0] + "/installation"
	case owner != "":
		lookup = "/users/" + owner + "/installation"
	default:
		// No owner: the token is for the current repository only, as the
		// action makes it.
		repo := os.Getenv("GITHUB_REPOSITORY")
		lookup = "/repos/" + repo + "/installation"
		repos = []string{repo[strings.IndexByte(repo, '/')+1:]}
	}
	var inst struct {
		ID      int64  `json:"id"`
		AppSlug string `json:"app_slug"`
	}
	if err := call(ctx, http.MethodGet, lookup, "Bearer "+jwt, nil, http.StatusOK, &inst); err != nil {
		return err
	}

	req := struct {
		Repositories []string          `json:"repositories,omitempty"`
		Permissions  map[string]string `json:"permissions,omitempty"`
	}{Repositories: repos, Permissions: map[string]string{}}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if name, ok := strings.CutPrefix(k, "INPUT_PERMISSION-"); ok && strings.TrimSpace(v) != "" {
			req.Permissions[strings.ReplaceAll(strings.ToLower(name), "-", "_")] = strings.TrimSpace(v)
		}
	}
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	var tok struct {
		Token     string `json:"token"`
		ExpiresAt string `json:"expires_at"`
	}
	path := "/app/installations/" + strconv.FormatInt(inst.ID, 10) + "/access_tokens"
	if err := call(ctx, http.MethodPost, path, "Bearer "+jwt, body, http.StatusCreated, &tok); err != nil {
		return err
	}
	fmt.Printf("::add-mask::%s\n", tok.Token)

	if err := appendEntries(os.Getenv("GITHUB_OUTPUT"), [][2]string{
		{"token", tok.Token},
		{"installation-id", strconv.FormatInt(inst.ID, 10)},
		{"app-slug", inst.AppSlug},
		{"expires-at", tok.ExpiresAt},
	}); err != nil {
		return err
	}
	if err := appendEntries(os.Getenv("GITHUB_STATE"), [][2]string{{"token", tok.Token}, {"expires-at", tok.ExpiresAt}}); err != nil {
		return err
	}
	fmt.Printf("Created a token for installation %d of %s\n", inst.ID, inst.AppSlug)
	return nil
}

// post is the post step.
func post(ctx context.Context) error {
	token := strings.TrimSpace(os.Getenv("STATE_token"))
	if token == "" {
		fmt.Println("No token to revoke")
		return nil
	}
	if err := call(ctx, http.MethodDelete, "/installation/token", "token "+token, nil, http.StatusNoContent, nil); err != nil {
		return err
	}
	fmt.Println("Token revoked")
	return nil
}

// signJWT returns an RS256 JSON Web Token for the app issuer, signed with
// the PEM private key keyPEM, issued 60 s before now and valid 9 minutes.
func signJWT(issuer, keyPEM string, now time.Time) (string, error) {
	block, _ := pem.Decode([]byte(keyPEM))
	if block == nil {
		return "", errors.New("private-key: no PEM block")
	}
	key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		k, err8 := x509.ParsePKCS8PrivateKey(block.Bytes)
		rk, ok := k.(*rsa.PrivateKey)
		if err8 != nil || !ok {
			return "", errors.New("private-key: not an RSA key")
		}
		key = rk
	}
	claims, err := json.Marshal(map[string]any{"iat": now.Unix() - 60, "exp": now.Unix() + 540, "iss": issuer})
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	signed := enc.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc.EncodeToString(claims)
	sum := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return signed + "." + enc.EncodeToString(sig), nil
}

// call sends one API request and decodes the answer into out, unless out
// is nil; any status but want is an error.
func call(ctx context.Context, method, path, auth string, body []byte, want int, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, apiURL()+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("Authorization", auth)
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	req.Header.Set("User-Agent", "app-token-reference")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %s", method, path, resp.Status)
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// appendEntries appends name=value lines to the runner file at path.
func appendEntries(path string, entries [][2]string) error {
	var b strings.Builder
	for _, e := range entries {
		if strings.ContainsAny(e[1], "\r\n") {
			return fmt.Errorf("%s: the value has a line break", e[0])
		}
		b.WriteString(e[0] + "=" + e[1] + "\n")
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(f, b.String()); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
