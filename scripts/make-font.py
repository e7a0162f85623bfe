#!/usr/bin/env python3
"""Subset Noto Sans CJK SC (OFL, Debian's fonts-noto-cjk) to every GBK character.

Run once by a maintainer (needs fonts-noto-cjk and python3-fonttools); the result,
assets/fonts/NotoSansSC-GBK.otf, is committed with its licence so builds need neither.
"""
import subprocess, sys

TTC = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
SC_INDEX = 2  # JP, KR, SC, TC, HK, ...
OUT = "assets/fonts/NotoSansSC-GBK.otf"

chars = set(chr(c) for c in range(0x20, 0x7F))           # ASCII
chars |= set(chr(c) for c in range(0xA0, 0x180))         # Latin-1 + Latin Extended-A
chars |= set(chr(c) for c in range(0x2000, 0x2070))      # general punctuation
chars |= set(chr(c) for c in range(0x2190, 0x2200))      # arrows
chars |= set(chr(c) for c in range(0x2460, 0x2500))      # enclosed numbers
chars |= set(chr(c) for c in range(0x2500, 0x2600))      # box drawing, shapes
chars |= set(chr(c) for c in range(0x2600, 0x2800))      # symbols (✓ ✗ ⚠)
chars |= set(chr(c) for c in range(0x3000, 0x3100))      # CJK punctuation, kana
chars |= set(chr(c) for c in range(0xFF00, 0xFFF0))      # full-width forms
for lead in range(0x81, 0xFF):                           # every GBK double-byte code
    for trail in range(0x40, 0xFF):
        if trail == 0x7F:
            continue
        try:
            chars.add(bytes([lead, trail]).decode("gb18030"))
        except UnicodeDecodeError:
            pass
text = "".join(sorted(chars))
with open("/tmp/gbk-chars.txt", "w", encoding="utf-8") as f:
    f.write(text)
subprocess.run([sys.executable, "-m", "fontTools.subset", TTC, f"--font-number={SC_INDEX}",
                "--text-file=/tmp/gbk-chars.txt", f"--output-file={OUT}", "--no-hinting",
                "--layout-features=kern,liga,vert,vrt2", "--name-IDs=*", "--notdef-outline"],
               check=True)
print(OUT, len(text), "characters")
