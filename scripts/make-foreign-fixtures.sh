#!/usr/bin/env bash
# Maintainer step: write core/sheet/testdata/foreign/* with other programs, so
# the reader is tested on files it did not write itself: LibreOffice (xlsx
# from a text-typed CSV import), openpyxl (mobiles stored as numbers), a
# WPS-style export (merged title and an instruction row above the header)
# and a GBK CSV as Excel on Chinese Windows saves it. The planted company
# comes from core/sheet's foreignCompany(); the outputs are committed.
source "$(dirname "$0")/lib.sh"
need_apt python3-openpyxl libreoffice-calc-nogui libc-bin
out=core/sheet/testdata/foreign
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
EXMAIL_FOREIGN_SOURCE="$tmp/source.csv" go test ./core/sheet -run TestWriteForeignSource -count=1 >/dev/null

# LibreOffice Calc: import the CSV with every column as text, save as xlsx.
cols=$(for i in $(seq 1 11); do printf '%s/2/' "$i"; done); cols=${cols%/}
soffice --headless -env:UserInstallation=file://"$tmp"/lo \
  --infilter="CSV:44,34,76,1,$cols" --convert-to xlsx --outdir "$tmp" "$tmp/source.csv" >/dev/null
mv "$tmp/source.xlsx" "$out/libreoffice.xlsx"

# GBK CSV, as Excel on Chinese Windows writes it.
iconv -f UTF-8 -t GBK "$tmp/source.csv" > "$out/gbk.csv"

/usr/bin/python3 - "$tmp/source.csv" "$out" <<'PY'
import csv, re, sys
from openpyxl import Workbook
from openpyxl.styles import Font
src, out = sys.argv[1], sys.argv[2]
rows = list(csv.reader(open(src, encoding="utf-8")))
header, data = rows[0], rows[1:]
mobile = header.index("手机")

def typed(r):
    # openpyxl users often store plain mobiles as numbers
    r = list(r)
    if re.fullmatch(r"1\d{10}", r[mobile]):
        r[mobile] = int(r[mobile])
    return r

wb = Workbook(); ws = wb.active; ws.title = "成员"
ws.append(header)
for r in data:
    ws.append(typed(r))
wb.save(out + "/openpyxl.xlsx")

# WPS-style export: a merged title row and an instruction row above the header.
wb = Workbook(); ws = wb.active; ws.title = "通讯录"
ws.append(["示例公司通讯录"]); ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
ws["A1"].font = Font(bold=True, size=14)
ws.append(["说明：带 * 的列必填；部门用 / 分隔层级。"])
ws.append([h + ("*" if h in ("姓名", "部门") else "") for h in header])
for r in data:
    ws.append(typed(r))
ws.freeze_panes = "A4"
wb.save(out + "/wps-style.xlsx")
PY
ls -l "$out"
