package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// traced sets cmd up so that [peakRSS] can follow it; call it before
// cmd.Start.
func traced(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Ptrace: true}
}

// peakRSS follows cmd, set up with [traced], to its exit and returns
// its peak resident set size in KiB: VmHWM of /proc/PID/status, read when
// the kernel stops the child on its way out.
//
// The rusage Maxrss that cmd.ProcessState.SysUsage reports is no use here:
// Go starts children with vfork, and at execve Linux folds the high-water
// mark of the address space being left, the bench's own, into the child's
// Maxrss (golang/go#32054). VmHWM belongs to the new program image only.
//
// The caller must hold its OS thread (runtime.LockOSThread) from before
// cmd.Start, since only the thread that started a tracee may trace it.
// peakRSS leaves the child running towards its exit for cmd.Wait to reap.
func peakRSS(cmd *exec.Cmd) (int64, error) {
	pid := cmd.Process.Pid
	var ws syscall.WaitStatus
	// The child stops with SIGTRAP once its execve succeeded.
	if _, err := syscall.Wait4(pid, &ws, syscall.WALL, nil); err != nil {
		return 0, fmt.Errorf("wait for exec: %w", err)
	}
	if !ws.Stopped() {
		return 0, fmt.Errorf("child did not stop after exec (status %v)", ws)
	}
	if err := syscall.PtraceSetOptions(pid, syscall.PTRACE_O_TRACEEXIT); err != nil {
		return 0, fmt.Errorf("trace exit: %w", err)
	}
	sig := 0
	for {
		if err := syscall.PtraceCont(pid, sig); err != nil {
			return 0, fmt.Errorf("continue child: %w", err)
		}
		if _, err := syscall.Wait4(pid, &ws, syscall.WALL, nil); err != nil {
			return 0, fmt.Errorf("wait for child: %w", err)
		}
		if !ws.Stopped() {
			return 0, errors.New("child exited without an exit stop")
		}
		if ws.StopSignal() == syscall.SIGTRAP && ws.TrapCause() == syscall.PTRACE_EVENT_EXIT {
			break
		}
		// A signal on its way to the child, such as the Go runtime's
		// SIGURG: deliver it.
		sig = int(ws.StopSignal())
	}
	kb, err := vmHWM(pid)
	if derr := syscall.PtraceDetach(pid); err == nil && derr != nil {
		err = fmt.Errorf("detach: %w", derr)
	}
	return kb, err
}

// vmHWM reads the peak RSS of a process in KiB.
func vmHWM(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, errors.New("no VmHWM in /proc status")
}
