# Shared helpers for the scripts: install Debian packages only when missing.
# shellcheck shell=bash
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO="sudo"; fi

# need_apt PKG... installs the packages that are not installed yet (Debian/Ubuntu).
need_apt() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null; then
    echo "missing packages: ${missing[*]} (install them with your package manager)" >&2
    return 1
  fi
  step "installing Debian packages: ${missing[*]} (first run only)…"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The C toolchain and the GL/X11 headers Fyne's desktop driver needs (cgo),
# as Fyne documents them for Debian/Ubuntu.
FYNE_BUILD_PKGS=(gcc pkg-config libgl1-mesa-dev xorg-dev)

need_fyne_build_deps() {
  if [ "$(uname -s)" = Linux ]; then need_apt "${FYNE_BUILD_PKGS[@]}"; fi
}

# step MESSAGE… says what the script is doing (so a first run that installs,
# downloads and compiles for minutes never looks hung).
step() { echo "== $*" >&2; }

# need_go checks that a Go toolchain that can build this module is there:
# go.mod asks for Go 1.26. Go 1.21 or later downloads that toolchain by itself
# (GOTOOLCHAIN=auto, the default); older ones (Debian bookworm's golang-go is
# 1.19) cannot.
need_go() {
  if ! command -v go >/dev/null; then
    echo "Go is not installed: install Go 1.26 (see README.md, Quick start)" >&2
    return 1
  fi
  local v minor
  v=$(cd / && go env GOVERSION 2>/dev/null || true)
  minor=$(echo "$v" | sed -n 's/^go1\.\([0-9]*\).*/\1/p')
  if [ -z "$minor" ] || [ "$minor" -lt 21 ]; then
    echo "found ${v:-an unknown Go}; this project needs Go 1.26 (see README.md, Quick start)" >&2
    return 1
  fi
  if [ "$minor" -lt 26 ]; then
    step "Go ${v#go} found; go.mod asks for Go 1.26, which Go downloads first (once, about 70 MB)"
  fi
}

# need_modules downloads the Go modules (once; a few seconds when cached).
need_modules() {
  if ! go list -m -f '{{.Dir}}' fyne.io/fyne/v2 2>/dev/null | grep -q .; then
    step "downloading Go modules (first run only, under a minute)…"
  fi
  go mod download
}

if command -v go >/dev/null; then export PATH="$PATH:$(go env GOPATH)/bin"; fi
