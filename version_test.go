package main

import (
	"os"
	"regexp"
	"testing"

	"exmail-upgrade/core/cli"
)

// The version printed by --version must be the one the packager stamps.
func TestVersionMatchesFyneAppToml(t *testing.T) {
	data, err := os.ReadFile("FyneApp.toml")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*Version\s*=\s*"([^"]+)"`).FindSubmatch(data)
	if m == nil {
		t.Fatal("no Version in FyneApp.toml")
	}
	if string(m[1]) != cli.Version {
		t.Fatalf("FyneApp.toml version %s, cli.Version %s", m[1], cli.Version)
	}
	if !regexp.MustCompile(`(?m)^\s*fyneDo\s*=\s*true`).Match(data) {
		t.Fatal("FyneApp.toml must opt in to the fyneDo migration")
	}
}
