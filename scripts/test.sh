#!/usr/bin/env bash
# Run every test (installs what it needs first when missing). GUI tests use
# Fyne's headless test driver; no display is needed.
source "$(dirname "$0")/lib.sh"
need_go
need_fyne_build_deps
need_modules
step "running every test (the first run compiles Fyne's C parts with cgo: several minutes; each package prints ok when done)…"
go test -tags migrated_fynedo -timeout 20m ./... "$@"
