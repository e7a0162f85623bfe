//go:build windows

package cli

import "syscall"

// Go's os/signal reports CTRL_CLOSE_EVENT, CTRL_LOGOFF_EVENT and
// CTRL_SHUTDOWN_EVENT as SIGTERM on Windows; SIGHUP is never sent there.
const (
	sigTERM = syscall.SIGTERM
	sigHUP  = syscall.SIGTERM
)
