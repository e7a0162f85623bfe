#!/usr/bin/env bash
# Build the Windows downloads from Linux (as CI does), into dist/ or $1:
#   exmail-upgrade.exe      the app: `fyne package -os windows` (GUI subsystem,
#                           icon and version resource from FyneApp.toml); a
#                           double-click opens the window with no console
#   exmail-upgrade-cli.exe  the same program linked as a console program, for
#                           cmd, PowerShell and scripts (waits, prints, sets the
#                           exit code)
# usage: scripts/windows-build.sh [OUT_DIR]
source "$(dirname "$0")/lib.sh"
out=${1:-dist}
mkdir -p "$out"
out=$(cd "$out" && pwd)
need_apt gcc-mingw-w64-x86-64

# set_pe_subsystem EXE N writes N into the Subsystem field of EXE's PE
# optional header (2 GUI, 3 console), after checking it is a PE32+ file whose
# field holds 2 or 3.
set_pe_subsystem() {
  local exe=$1 n=$2 pe magic off cur
  pe=$(od -An -tu4 -j60 -N4 "$exe" | tr -d ' ')
  [ "$(od -An -c -j"$pe" -N4 "$exe" | tr -d ' ')" = 'PE\0\0' ] || { echo "$exe: not a PE file" >&2; return 1; }
  magic=$(od -An -tx2 -j$((pe + 24)) -N2 "$exe" | tr -d ' ')
  [ "$magic" = 020b ] || { echo "$exe: not PE32+ (magic $magic)" >&2; return 1; }
  off=$((pe + 24 + 68)) # Subsystem: 68 bytes into the optional header
  cur=$(od -An -tu2 -j"$off" -N2 "$exe" | tr -d ' ')
  case "$cur" in 2 | 3) ;; *) echo "$exe: unexpected subsystem $cur" >&2; return 1 ;; esac
  printf "\\x$(printf %02x "$n")\\x00" | dd of="$exe" bs=1 seek="$off" conv=notrunc status=none
}

fyne_version=v1.7.4 # fyne.io/tools: the `fyne` packager
installed=$(fyne version 2>/dev/null || true)
if [[ $installed != *"cli version: $fyne_version"* ]]; then
  step "installing the fyne packager (fyne.io/tools $fyne_version)…"
  go install "fyne.io/tools/cmd/fyne@$fyne_version"
fi

export GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc
step "building exmail-upgrade.exe with fyne package (a first cgo build for Windows takes several minutes)…"
start=$SECONDS
# fyne package reads FyneApp.toml (name, ID, version, icon, the fyneDo
# migration tag), names the exe after the app's Chinese name and then bumps
# Build in FyneApp.toml; the file is put back as it was.
name=$(sed -n 's/^ *Name *= *"\(.*\)"/\1/p' FyneApp.toml)
saved=$(mktemp)
cp FyneApp.toml "$saved"
trap 'cp "$saved" FyneApp.toml; rm -f "$saved"' EXIT
rm -f "$name.exe"
fyne package -os windows -release
mv "$name.exe" "$out/exmail-upgrade.exe"
echo "  $((SECONDS - start)) s" >&2

# The console exe is the same file with the PE header's Subsystem field set to
# console (3) instead of GUI (2) — all that Go's -H=windowsgui changes — so it
# keeps the icon and version resource and needs no second cgo build.
step "making exmail-upgrade-cli.exe (console subsystem)…"
cp "$out/exmail-upgrade.exe" "$out/exmail-upgrade-cli.exe"
set_pe_subsystem "$out/exmail-upgrade-cli.exe" 3
subsystem() { x86_64-w64-mingw32-objdump -p "$1" | sed -n 's/^Subsystem.*(\(.*\))/\1/p'; }
[ "$(subsystem "$out/exmail-upgrade.exe")" = "Windows GUI" ] || { echo "exmail-upgrade.exe is not a GUI program" >&2; exit 1; }
[ "$(subsystem "$out/exmail-upgrade-cli.exe")" = "Windows CUI" ] || { echo "exmail-upgrade-cli.exe is not a console program" >&2; exit 1; }
ls -l "$out"/exmail-upgrade*.exe
