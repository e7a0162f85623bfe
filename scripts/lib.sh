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
  echo "installing: ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The C toolchain and the GL/X11 headers Fyne's desktop driver needs (cgo),
# as Fyne documents them for Debian/Ubuntu.
FYNE_BUILD_PKGS=(gcc pkg-config libgl1-mesa-dev xorg-dev)

need_fyne_build_deps() {
  if [ "$(uname -s)" = Linux ]; then need_apt "${FYNE_BUILD_PKGS[@]}"; fi
}

export PATH="$PATH:$(go env GOPATH)/bin"
