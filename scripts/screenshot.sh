#!/usr/bin/env bash
# Open the app under Xvfb at every wizard step (a fresh rehearsal each time,
# via --demo-step) and capture each window to screenshots/<step>.png.
# usage: scripts/screenshot.sh [step ...]   (default: every step)
# env: SCREENSHOT_LANG=zh|en, SCREENSHOT_WAIT=seconds, SCREENSHOT_DIR=folder
source "$(dirname "$0")/lib.sh"
need_fyne_build_deps
need_apt xvfb imagemagick xauth
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(projects notice method target qr contacts plan migrate done)
dir=${SCREENSHOT_DIR:-screenshots}
mkdir -p "$dir"
go build -tags migrated_fynedo -o exmail-upgrade .
state=$(mktemp -d)
export DISPLAY=:${SCREENSHOT_DISPLAY:-97}
export LANG=zh_CN.UTF-8
Xvfb "$DISPLAY" -screen 0 1100x720x24 >/dev/null 2>&1 & xvfb=$!
app=""
trap 'kill $app $xvfb 2>/dev/null || true; rm -rf "$state"' EXIT
sleep 1
for step in "${steps[@]}"; do
  ./exmail-upgrade --state "$state/$step.db" --lang "${SCREENSHOT_LANG:-zh}" --demo-step "$step" 2>/dev/null & app=$!
  sleep "${SCREENSHOT_WAIT:-5}"
  import -window root "$dir/$step.png"
  kill "$app" 2>/dev/null || true
  wait "$app" 2>/dev/null || true
  echo "wrote $dir/$step.png"
done
