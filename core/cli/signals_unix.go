//go:build !windows

package cli

import "syscall"

const (
	sigTERM = syscall.SIGTERM
	sigHUP  = syscall.SIGHUP // the terminal was closed
)
