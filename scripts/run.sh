#!/usr/bin/env bash
# Build and open the app (installs what it needs first when missing). It opens
# a window, so it needs a graphical session (a desktop, or Xvfb's DISPLAY).
source "$(dirname "$0")/lib.sh"
need_go
if [ "$(uname -s)" = Linux ] && [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "no graphical session (DISPLAY is not set): run this from a desktop session;" >&2
  echo "over SSH or in a container try the command line instead: go run -tags migrated_fynedo . --help" >&2
  exit 1
fi
need_fyne_build_deps
need_modules
step "building exmail-upgrade (the first build compiles Fyne's C parts with cgo: several minutes; later builds take seconds)…"
go build -tags migrated_fynedo -o exmail-upgrade .
step "starting the app"
exec ./exmail-upgrade "$@"
