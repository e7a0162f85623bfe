#!/usr/bin/env bash
# Open the app under Xvfb, capture the screen to PNG, and close it.
# usage: scripts/screenshot.sh OUT.png [app args...]
source "$(dirname "$0")/lib.sh"
need_fyne_build_deps
need_apt xvfb imagemagick xdotool xauth
out=${1:-screenshots/projects.png}; shift || true
export LANG=${LANG:-zh_CN.UTF-8}
mkdir -p "$(dirname "$out")"
go build -tags migrated_fynedo -o exmail-upgrade .
state=$(mktemp -d)
export DISPLAY=:${SCREENSHOT_DISPLAY:-97}
Xvfb "$DISPLAY" -screen 0 1100x720x24 >/dev/null 2>&1 & xvfb=$!
trap 'kill $app $xvfb 2>/dev/null || true; rm -rf "$state"' EXIT
sleep 1
./exmail-upgrade --state "$state/state.db" --lang "${SCREENSHOT_LANG:-zh}" "$@" & app=$!
sleep "${SCREENSHOT_WAIT:-4}"
import -window root "$out"
echo "wrote $out"
