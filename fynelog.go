package main

import (
	"bytes"
	"io"
	"sync"
)

// prefsRaceFilter drops one harmless message from Fyne's log:
//
//	Fyne error:  Preferences load error:
//	  Cause: EOF
//	  At: …/fyne/v2/app/preferences.go:103
//
// Cause: Fyne saves preferences.json by truncating it and then writing it
// (os.Create, not a rename), on every quit, and every running copy of the app
// watches that folder and reloads the file when it changes. A second copy —
// the one that shows "already open", or one on another --state — reloads the
// file in the instant it is empty and logs EOF; nothing is lost (the copy
// keeps its values and a full file follows at once). The same message for a
// preferences file left empty by a crash is equally harmless: Fyne starts from
// defaults and rewrites it. Any other Fyne message, including a load error
// with another cause, passes through unchanged.
type prefsRaceFilter struct {
	mu   sync.Mutex
	w    io.Writer
	held []byte // a "Preferences load error:" line waiting for its cause
	skip bool   // drop the next "  At:" line
}

// Write receives one log line per call (log.Logger writes whole lines).
func (f *prefsRaceFilter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.skip && bytes.Contains(p, []byte("  At: ")):
		f.skip = false
		return len(p), nil
	case f.held != nil && bytes.Contains(p, []byte("  Cause: EOF")):
		f.held, f.skip = nil, true
		return len(p), nil
	}
	f.skip = false
	if f.held != nil {
		held := f.held
		f.held = nil
		if _, err := f.w.Write(held); err != nil {
			return 0, err
		}
	}
	if bytes.Contains(p, []byte("Fyne error:  Preferences load error:")) {
		f.held = append([]byte(nil), p...)
		return len(p), nil
	}
	return f.w.Write(p)
}
