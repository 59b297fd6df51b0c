package transport_test

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ghapptoken/app-token-action/internal/transport"
)

// TestPolicyDo checks the one retry loop: what it retries and how often,
// what it gives up with, and that a wait a client sizes is not counted.
func TestPolicyDo(t *testing.T) {
	t.Parallel()
	refused := &transport.Failure{Kind: transport.Refused, Err: syscall.ECONNREFUSED}
	dns := &transport.Failure{Kind: transport.DNS, Err: &net.DNSError{Err: "no such host", Name: "api.example", IsNotFound: true}}
	tls := &transport.Failure{Kind: transport.TLS, Err: errors.New("x509: certificate signed by unknown authority")}
	answer := errors.New("503: busy")
	refusal := errors.New("403: no")
	tests := []struct {
		name       string
		maxRetries int
		attempts   []error // what each attempt comes to; the last repeats
		wantTries  int
		wantWaits  []time.Duration // with Backoff n*1s
		wantErr    string          // "" for success
		wantKind   string          // of the *transport.Error; "" for another error
	}{
		{name: "success", attempts: []error{nil}, wantTries: 1},
		{name: "refused twice, then an answer", attempts: []error{refused, refused, nil}, wantTries: 3, wantWaits: []time.Duration{time.Second, 2 * time.Second}},
		{name: "refused beyond the retries", attempts: []error{refused}, wantTries: 4, wantWaits: []time.Duration{time.Second, 2 * time.Second, 3 * time.Second},
			wantErr: "GET /x: connection to api.example refused after 4 attempts", wantKind: "refused"},
		{name: "ten attempts when the client says so", maxRetries: 9, attempts: []error{refused}, wantTries: 10,
			wantErr: "refused after 10 attempts", wantKind: "refused"},
		{name: "a name that does not resolve, twice more at most", maxRetries: 9, attempts: []error{dns}, wantTries: 3,
			wantErr: "cannot resolve api.example after 3 attempts", wantKind: "dns"},
		{name: "TLS is not retried", attempts: []error{tls}, wantTries: 1, wantErr: "TLS connection to api.example failed after 1 attempt", wantKind: "tls"},
		{name: "no retries", maxRetries: -1, attempts: []error{refused}, wantTries: 1, wantErr: "refused after 1 attempt", wantKind: "refused"},
		{name: "a transient answer beyond the retries", attempts: []error{transport.Retry(answer, "503")}, wantTries: 4,
			wantWaits: []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}, wantErr: "503: busy"},
		{name: "a refusal is final", attempts: []error{refusal, nil}, wantTries: 1, wantErr: "403: no"},
		{name: "sized waits are not counted", maxRetries: -1,
			attempts:  []error{transport.RetryAfter(answer, time.Minute, "rate limit"), transport.RetryAfter(answer, 0, "skew"), nil},
			wantTries: 3, wantWaits: []time.Duration{time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var (
				waits   []time.Duration
				decided int
			)
			p := transport.Policy{
				MaxRetries: tt.maxRetries,
				Backoff:    func(n int) time.Duration { return time.Duration(n) * time.Second },
				Sleep:      func(ctx context.Context, d time.Duration) error { waits = append(waits, d); return ctx.Err() },
				Decided:    func(int, bool, time.Duration, string) { decided++ },
			}
			tries := 0
			err := p.Do(t.Context(), call, func(_ context.Context, attempt int) error {
				if tries++; attempt != tries {
					t.Errorf("attempt = %d, want %d", attempt, tries)
				}
				return tt.attempts[min(tries, len(tt.attempts))-1]
			})
			if tries != tt.wantTries || decided != tries {
				t.Errorf("Do() tried %d times, told Decided %d times, want %d", tries, decided, tt.wantTries)
			}
			if tt.wantWaits != nil && !slices.Equal(waits, tt.wantWaits) {
				t.Errorf("Do() waited %v, want %v", waits, tt.wantWaits)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Do() error = %v, want none", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Do() error = %v, want it to hold %q", err, tt.wantErr)
			}
			kind := ""
			if te, ok := errors.AsType[*transport.Error](err); ok {
				kind = te.Kind.String()
			}
			if kind != tt.wantKind {
				t.Errorf("Do() error is a *transport.Error of kind %q, want %q (\"\": another error)", kind, tt.wantKind)
			}
		})
	}
}

// TestPolicyDoCanceled checks that a cancellation during a wait ends the
// call at once, as a canceled *transport.Error that names how the last
// attempt ended.
func TestPolicyDoCanceled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	p := transport.Policy{Sleep: func(ctx context.Context, _ time.Duration) error { cancel(); return ctx.Err() }}
	tries := 0
	err := p.Do(ctx, call, func(context.Context, int) error {
		tries++
		return transport.Retry(errors.New("503: busy"), "503")
	})
	te, ok := errors.AsType[*transport.Error](err)
	if !ok || te.Kind != transport.Canceled || !errors.Is(err, context.Canceled) || tries != 1 {
		t.Fatalf("Do() error = %v after %d attempts, want a canceled *transport.Error after 1", err, tries)
	}
	if want := "canceled after 1 attempt (last: 503: busy)"; !strings.Contains(err.Error(), want) {
		t.Errorf("Do() error = %q, want it to hold %q", err, want)
	}
}

func call() *transport.Error {
	return &transport.Error{Method: "GET", Path: "/x", Host: "api.example"}
}
