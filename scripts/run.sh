#!/usr/bin/env bash
# Build and open the app (installs the Fyne build dependencies first when missing).
source "$(dirname "$0")/lib.sh"
need_fyne_build_deps
go build -tags migrated_fynedo -o exmail-upgrade .
exec ./exmail-upgrade "$@"
