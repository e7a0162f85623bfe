package store

import (
	"os"
	"os/user"
)

// CurrentUser returns the OS user name for audit entries ("unknown" when
// it cannot be found).
func CurrentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	for _, k := range []string{"USER", "USERNAME"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return "unknown"
}
