#!/usr/bin/env bash
# Run every test (installs the Fyne build dependencies first when missing).
# GUI tests use Fyne's headless test driver; no display is needed.
source "$(dirname "$0")/lib.sh"
need_fyne_build_deps
go test -tags migrated_fynedo -timeout 20m ./... "$@"
