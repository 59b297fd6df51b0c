package containertest

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestImageContents checks what the image holds, layer by layer: the CA
// bundle, the binary at action.yml's entrypoint and the post-entrypoint as
// a symlink to it, and nothing else (no /tmp, no shell). It logs the
// image's size (go test -v).
func TestImageContents(t *testing.T) {
	e := engine(t)
	img := image(t, e)
	a := action(t)
	layers, err := Layers(t.Context(), e, img)
	if err != nil {
		t.Fatal(err)
	}
	main := strings.TrimPrefix(a.Runs.Entrypoint, "/")
	post := strings.TrimPrefix(a.Runs.PostEntrypoint, "/")
	var got []string
	var size, gz int64
	for _, l := range layers {
		size, gz = size+l.Bytes, gz+l.Gzip
		for _, f := range l.Files {
			if strings.HasSuffix(f.Path, "/") {
				continue // the directories leading to the files
			}
			entry := f.Path
			if f.Link != "" {
				entry += " -> " + f.Link
			}
			got = append(got, entry)
		}
	}
	slices.Sort(got)
	want := []string{
		"etc/ssl/certs/ca-certificates.crt",
		main,
		post + " -> " + path.Base(main),
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("image files = %q, want %q", got, want)
	}
	t.Logf("image: %d layers, %s uncompressed, %s gzip", len(layers), mb(size), mb(gz))
}

// mb formats n bytes in megabytes.
func mb(n int64) string { return fmt.Sprintf("%.2f MB", float64(n)/1e6) }

// TestStepTimes measures docker run for the main and the post step and
// logs the medians (go test -v); cd tools && go run ./containertest/cmd/containercost
// prints them with the image's size.
func TestStepTimes(t *testing.T) {
	e := engine(t)
	img := image(t, e)
	srv := emulator(t)
	st, err := TimeSteps(t.Context(), e, img, action(t), srv, 5, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if n := valid(srv); n != 0 {
		t.Errorf("%d tokens valid after 5 main and post steps, want 0", n)
	}
	t.Logf("docker run, median of %d: main %v, post %v", len(st.Main), Median(st.Main).Round(time.Millisecond), Median(st.Post).Round(time.Millisecond))
}
