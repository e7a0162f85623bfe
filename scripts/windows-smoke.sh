#!/usr/bin/env bash
# Windows smoke test under Wine: the console exe runs --version, template,
# check and fix on a sheet in a Chinese folder with spaces and a 200-member
# demo, each exit code and output checked; the GUI exe's CLI writes to a
# redirected stdout; then the GUI exe is started as a double-click would (no
# arguments) under Xvfb and a screenshot is kept in $CI_ARTEFACTS
# (default /tmp/ci-artefacts).
#
# usage: scripts/windows-smoke.sh [DIST_DIR]   (default: dist, built by
#        scripts/windows-build.sh when the exes are missing)
#
# Wine 8 (Debian bookworm) lacks ProcessPrng, which Go programs call at start
# and every Windows 10/11 has; scripts/processprng.c is a stand-in built here
# with mingw and put in the prefix's system32 (a 64-bit prefix's system32
# holds the 64-bit DLLs). Every Wine call is bounded by `timeout`.
# File-name rules are tested by core/fsname, not here: Wine accepts names
# (colons, CON) that Windows refuses.
source "$(dirname "$0")/lib.sh"
dist=${1:-dist}
artefacts=${CI_ARTEFACTS:-/tmp/ci-artefacts}
mkdir -p "$artefacts"
t0=$SECONDS
phase() { echo "== windows smoke: $* ($((SECONDS - t0)) s)"; }

phase "packages"
need_apt gcc-mingw-w64-x86-64 wine wine64 xvfb xauth imagemagick locales bsdutils
if [ ! -f "$dist/exmail-upgrade.exe" ] || [ ! -f "$dist/exmail-upgrade-cli.exe" ]; then
  bash scripts/windows-build.sh "$dist"
fi
gui_exe=$(cd "$dist" && pwd)/exmail-upgrade.exe
cli_exe=$(cd "$dist" && pwd)/exmail-upgrade-cli.exe

work=$(mktemp -d /tmp/exmail-smoke.XXXXXX)
export WINEPREFIX=$work/prefix WINEARCH=win64 WINEDEBUG=-all
# No Mono or Gecko install prompts: the app needs neither.
export WINEDLLOVERRIDES="mscoree,mshtml=,winedbg.exe=d" # and no debugger on a crash: fail, do not hang
# Wine turns the Unix arguments into the Windows command line with the
# locale's charset, and takes Windows' locale from it: a Chinese UTF-8 locale,
# compiled into the work folder (LOCPATH) so the machine's settings stay as
# they are.
mkdir -p "$work/locale"
localedef -i zh_CN -c -f UTF-8 "$work/locale/zh_CN.UTF-8" 2>/dev/null || true
[ -d "$work/locale/zh_CN.UTF-8" ] || { echo "cannot build the zh_CN.UTF-8 locale" >&2; exit 1; }
export LOCPATH=$work/locale
export LANG=zh_CN.UTF-8 LC_ALL=zh_CN.UTF-8 2>/dev/null # (bash itself cannot see LOCPATH; Wine can)
xvfb=""; app=""
cleanup() {
  [ -n "$app" ] && kill "$app" 2>/dev/null
  timeout 20 wineserver -k 2>/dev/null || true
  [ -n "$xvfb" ] && kill "$xvfb" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

phase "ProcessPrng stand-in"
x86_64-w64-mingw32-gcc -O2 -shared -s -o "$work/bcryptprimitives.dll" scripts/processprng.c -ladvapi32

phase "Wine prefix (wineboot -i)"
timeout 300 wineboot -i >"$work/wineboot.log" 2>&1 || { cat "$work/wineboot.log"; echo "wineboot failed" >&2; exit 1; }
timeout 60 wineserver -w || true
sys32=$WINEPREFIX/drive_c/windows/system32
cp "$work/bcryptprimitives.dll" "$sys32/"

# A sheet folder under C: with a Chinese name and spaces.
folder_unix="$WINEPREFIX/drive_c/客户 资料 2026"
folder='C:\客户 资料 2026'
mkdir -p "$folder_unix"
printf '姓名,账号,部门,手机,企业邮箱\n张三,zhangsan,销售部／华北,13800138000,zhangsan@example.com\n李四,lisi,市场部,13900139000,lisi@example.com\n' >"$folder_unix/通讯录.csv"
printf '姓名,账号,部门,手机,企业邮箱\n王五,wangwu,销售部,12345,wangwu@example.com\n' >"$folder_unix/有错误.csv"

fails=0
# run WANT_RC NAME EXE ARGS...: runs the exe under Wine (bounded), keeps its
# output in $work/NAME.out / .err and checks the exit code.
run() {
  local want=$1 name=$2; shift 2
  local rc=0
  timeout 180 wine "$@" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
  if [ "$rc" != "$want" ]; then
    echo "FAIL $name: exit $rc, want $want"; sed 's/^/  out: /' "$work/$name.out" | head -20; sed 's/^/  err: /' "$work/$name.err" | head -20
    fails=$((fails + 1)); return 0
  fi
  echo "ok   $name (exit $rc)"
}
# expect NAME TEXT: the output of NAME holds TEXT.
expect() {
  if ! grep -qF -- "$2" "$work/$1.out"; then
    echo "FAIL $1: output lacks \"$2\""; sed 's/^/  out: /' "$work/$1.out" | head -20
    fails=$((fails + 1))
  fi
}
# exists WINDOWS_PATH: the file was written.
exists() {
  local u; u=$(timeout 30 winepath -u "$1" 2>/dev/null)
  if [ ! -s "$u" ]; then echo "FAIL: $1 was not written"; fails=$((fails + 1)); fi
}

phase "CLI"
version=$(sed -n 's/^ *Version *= *"\(.*\)"/\1/p' FyneApp.toml)
run 0 version "$cli_exe" --version
expect version "exmail-upgrade $version"
run 0 gui-version "$gui_exe" --version # the GUI build's CLI, output redirected to a file
expect gui-version "exmail-upgrade $version"
run 2 gui-unknown "$gui_exe" no-such-command
grep -qF 'unknown command "no-such-command"' "$work/gui-unknown.err" || { echo "FAIL gui-unknown: no message"; fails=$((fails + 1)); }

# Typed with forward slashes, shown in Windows' form.
# In a console (Wine's, on a pseudo-terminal from script(1)): Go writes
# console handles through WriteConsoleW, and the Chinese must arrive intact.
# The CLI speaks the system's language: Chinese here (LC_ALL above).
timeout 120 script -qec "wine cmd /c \"$(timeout 30 winepath -w "$cli_exe") --help & echo rc=%ERRORLEVEL%\"" /dev/null >"$work/console.out" 2>&1 || true
if grep -qF "企业邮箱升级助手" "$work/console.out" && grep -qF "用法：exmail-upgrade" "$work/console.out" && grep -q "rc=0" "$work/console.out"; then
  echo "ok   console (Chinese through the console API, exit 0)"
else
  echo "FAIL console: no Chinese usage text or exit code"; sed 's/^/  out: /' "$work/console.out" | head -20; fails=$((fails + 1))
fi

run 0 template "$cli_exe" template -o "C:/客户 资料 2026/模板 空白.xlsx"
expect template "$folder\\模板 空白.xlsx"
exists "$folder\\模板 空白.xlsx"

run 0 check "$cli_exe" check "$folder\\通讯录.csv"
expect check "department_separator_normalised"
expect check "错误 0 · 提醒 0 · 已自动修正 1"
run 1 check-errors "$cli_exe" check "$folder\\有错误.csv" --format json
expect check-errors '"code": "mobile_invalid"'
expect check-errors '"row": 2'

run 0 fix "$cli_exe" fix "$folder\\通讯录.csv" -o "$folder\\上传 表格.xlsx" --review "$folder\\检查 结果.xlsx"
expect fix "可上传的表格：$folder\\上传 表格.xlsx"
exists "$folder\\上传 表格.xlsx"
exists "$folder\\检查 结果.xlsx"
run 0 check-fixed "$cli_exe" check "$folder\\上传 表格.xlsx"
expect check-fixed "成员：2"

phase "demo --members 200"
run 0 demo "$cli_exe" demo --members 200 --state "$folder\\演练 状态"
expect demo "迁移完成"
expect demo "200"
exists "$folder\\演练 状态\\report.xlsx"

phase "GUI under Xvfb"
n=${SMOKE_DISPLAY:-93}
while [ -e "/tmp/.X$n-lock" ]; do n=$((n + 1)); done # a display no other X server holds
export DISPLAY=:$n
Xvfb "$DISPLAY" -screen 0 1280x800x24 >/dev/null 2>&1 & xvfb=$!
sleep 2
# As a double-click: no arguments, state in %AppData%\exmail-upgrade.
timeout 120 wine "$gui_exe" >"$work/gui.out" 2>"$work/gui.err" & app=$!
appdata_state=$WINEPREFIX/drive_c/users/$(id -un)/AppData/Roaming/exmail-upgrade/state.db
for _ in $(seq 1 60); do
  [ -s "$appdata_state" ] && break
  kill -0 "$app" 2>/dev/null || break
  sleep 1
done
sleep "${SMOKE_GUI_WAIT:-8}" # let the first frame draw
shot=$artefacts/windows-gui.png
import -window root "$shot"
if ! kill -0 "$app" 2>/dev/null; then
  echo "FAIL gui: the app exited early"; sed 's/^/  err: /' "$work/gui.err" | head -30; fails=$((fails + 1))
fi
[ -s "$appdata_state" ] || { echo "FAIL gui: no state file in %AppData%\\exmail-upgrade"; fails=$((fails + 1)); }
colours=$(convert "$shot" -format '%k' info:)
if [ "$colours" -lt 50 ]; then echo "FAIL gui: the screenshot has $colours colours (blank window?)"; fails=$((fails + 1)); fi
# Close it as the window's close button would (WM_CLOSE), then it must quit cleanly.
timeout 30 wine taskkill /im exmail-upgrade.exe >/dev/null 2>&1 || true
for _ in $(seq 1 30); do kill -0 "$app" 2>/dev/null || break; sleep 1; done
if kill -0 "$app" 2>/dev/null; then echo "FAIL gui: still running after WM_CLOSE"; fails=$((fails + 1)); fi
gui_rc=0; wait "$app" 2>/dev/null || gui_rc=$?; app=""
# Seen once in seven runs on a loaded machine: a page fault inside Wine while
# the window closed (Wine's software GL). Reported, not failed, so CI is not
# flaky on Wine's account; the checks above already saw the app work.
[ "$gui_rc" = 0 ] || { echo "WARNING gui: exit $gui_rc after WM_CLOSE"; tail -5 "$work/gui.err" | sed 's/^/  err: /'; }
if grep -q "Fyne error" "$work/gui.err"; then
  echo "FAIL gui: Fyne errors on stderr"; sed 's/^/  err: /' "$work/gui.err" | head -20; fails=$((fails + 1))
fi
echo "screenshot: $shot ($colours colours)"

phase "done"
if [ "$fails" -gt 0 ]; then echo "windows smoke: $fails failed"; exit 1; fi
echo "windows smoke passed"
