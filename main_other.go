//go:build !windows

package main

// useParentConsole does nothing outside Windows: a program started from a
// terminal already writes to it.
func useParentConsole() {}
