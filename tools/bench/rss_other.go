//go:build !linux

package main

import (
	"errors"
	"os/exec"
)

func traced(*exec.Cmd) {}

// peakRSS is measured on Linux only.
func peakRSS(*exec.Cmd) (int64, error) {
	return 0, errors.New("peak RSS is measured on Linux only; use -rss 0")
}
