//go:build windows

package main

import (
	"os"

	"golang.org/x/sys/windows"
)

// AttachConsole is not in golang.org/x/sys/windows; it is called through
// x/sys's system-DLL loader (kernel32 from System32 only).
var procAttachConsole = windows.NewLazySystemDLL("kernel32.dll").NewProc("AttachConsole")

// attachParentProcess is ATTACH_PARENT_PROCESS ((DWORD)-1).
const attachParentProcess = ^uintptr(0) & 0xffffffff

// useParentConsole lets the GUI build (linked with -H=windowsgui, so Windows
// gives it no console and no standard handles) print a CLI command's output
// in the cmd or PowerShell window it was started from.
//
// A standard handle that is already usable — a file or pipe the output was
// redirected to, NUL, or the console of the console build — is kept as it is.
// Only missing handles are pointed at the parent's console (CONOUT$). Go's
// os.File recognises a console handle and writes through WriteConsoleW
// (UTF-8 → UTF-16), so Chinese shows correctly whatever the console's code
// page; redirected output stays UTF-8 bytes.
//
// Started from Explorer there is no parent console; the output is dropped
// and the exit code still set.
func useParentConsole() {
	needOut, needErr := missing(windows.STD_OUTPUT_HANDLE), missing(windows.STD_ERROR_HANDLE)
	if !needOut && !needErr {
		return
	}
	// Fails with ERROR_ACCESS_DENIED when the process already has a console
	// and ERROR_INVALID_HANDLE when the parent has none: nothing to do then.
	if ok, _, _ := procAttachConsole.Call(attachParentProcess); ok == 0 {
		return
	}
	if needOut {
		if f := openConsoleOutput(windows.STD_OUTPUT_HANDLE); f != nil {
			os.Stdout = f
		}
	}
	if needErr {
		if f := openConsoleOutput(windows.STD_ERROR_HANDLE); f != nil {
			os.Stderr = f
		}
	}
}

// missing reports whether the standard handle std cannot be written to: no
// handle at all (a GUI-subsystem process started without redirection), or
// one of unknown type.
func missing(std uint32) bool {
	h, err := windows.GetStdHandle(std)
	if err != nil || h == 0 || h == windows.InvalidHandle {
		return true
	}
	t, err := windows.GetFileType(h)
	return err != nil || t == windows.FILE_TYPE_UNKNOWN
}

// openConsoleOutput opens the attached console's screen buffer and makes it
// the standard handle std too (for anything that asks Windows directly).
func openConsoleOutput(std uint32) *os.File {
	name, _ := windows.UTF16PtrFromString("CONOUT$")
	h, err := windows.CreateFile(name, windows.GENERIC_READ|windows.GENERIC_WRITE,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE, nil, windows.OPEN_EXISTING, 0, 0)
	if err != nil {
		return nil
	}
	_ = windows.SetStdHandle(std, h)
	return os.NewFile(uintptr(h), "CONOUT$")
}
