package cli

import "path/filepath"

// localPath returns a path given on the command line in the platform's form
// (C:\客户\通讯录.xlsx on Windows even when typed with forward slashes), so
// every message and error naming it shows the form the user's Explorer shows.
func localPath(p string) string {
	if p == "" {
		return p
	}
	return filepath.FromSlash(p)
}
