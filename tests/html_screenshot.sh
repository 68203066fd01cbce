#!/usr/bin/env bash
# The HTML report as a person sees it (issue 6, "How it is checked"): render
# the report of fixtures/maillog in headless Chromium, take a screenshot, and
# check that the charts are drawn: enough pixels in the bar colours of
# src/report/html.rs, the cause and domain colours of the time charts in the
# top part of the page, the status colours in the bar charts below.
#
#   bash tests/html_screenshot.sh [OUT.png]
#
# Installs Debian's chromium when it is missing; .ci/run runs it after the tests.
# The screenshot is kept (default target/html-screenshot.png) to look at.
set -euo pipefail
cd "$(dirname "$0")/.."

shot=${1:-target/html-screenshot.png}
mkdir -p "$(dirname "$shot")"
shot=$(cd "$(dirname "$shot")" && pwd)/$(basename "$shot")

if ! command -v chromium >/dev/null 2>&1; then
    echo "html_screenshot: installing chromium" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --quiet --locked
TZ=UTC LANG=C target/debug/bounce-report --format html fixtures/maillog >"$work/report.html"

rm -f "$shot"
# Everything that could reach the network is off: the page needs none, and
# a test must not talk to anything.
timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-default-apps --hide-scrollbars --user-data-dir="$work/profile" \
    --screenshot="$shot" --window-size=1200,1600 "file://$work/report.html" \
    >"$work/chromium.log" 2>&1 || true
if [ ! -s "$shot" ]; then
    echo "html_screenshot: chromium wrote no screenshot" >&2
    cat "$work/chromium.log" >&2
    exit 1
fi

python3 - "$shot" <<'EOF'
"""Counts chart-coloured pixels in the screenshot.

With Pillow when it is there; otherwise the PNG is decoded here with zlib
(8-bit RGB or RGBA, non-interlaced, as Chromium writes it).
"""
import struct
import sys
import zlib

path = sys.argv[1]

# The bar colours of src/report/html.rs (SERIES): bounced, deferred, expired.
BARS = {(0xE5, 0x67, 0x6B): "bounced", (0xF2, 0xB2, 0x4C): "deferred", (0x8F, 0x7F, 0xD0): "expired"}
# The time charts' colours (CAUSE_COLORS, OTHER_COLOR, DOMAIN_COLOR).
TIME = {
    (0x00, 0x72, 0xB2): "cause 1",
    (0xE6, 0x9F, 0x00): "cause 2",
    (0x00, 0x9E, 0x73): "cause 3",
    (0xCC, 0x79, 0xA7): "cause 4",
    (0x56, 0xB4, 0xE9): "cause 5",
    (0xD5, 0x5E, 0x00): "cause 6",
    (0xB8, 0xBE, 0xC6): "other causes",
    (0x62, 0x7D, 0x98): "domains",
}


def decode_png(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and color in (2, 6) and interlace == 0, "unsupported PNG"
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat.append(body)
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 0xFF
            elif f == 2:
                line[i] = (line[i] + b) & 0xFF
            elif f == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 0xFF
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        rows.append([tuple(line[x * channels : x * channels + 3]) for x in range(width)])
        prev = line
    return width, height, rows


try:
    from PIL import Image

    img = Image.open(path).convert("RGB")
    width, height = img.size
    px = img.load()
    rows = [[px[x, y] for x in range(width)] for y in range(height)]
    how = "Pillow"
except ImportError:
    with open(path, "rb") as f:
        width, height, rows = decode_png(f.read())
    how = "zlib"


def near(p, q):
    return all(abs(a - b) <= 6 for a, b in zip(p, q))


counts = {name: 0 for name in BARS.values()}
time_counts = {name: 0 for name in TIME.values()}
top_rows = 0  # time-chart pixels in the upper half, under the cards
colored = 0
for y, row in enumerate(rows):
    for p in row:
        if max(p) - min(p) > 40:
            colored += 1
        for color, name in BARS.items():
            if near(p, color):
                counts[name] += 1
                break
        else:
            for color, name in TIME.items():
                if near(p, color):
                    time_counts[name] += 1
                    if y < height // 2:
                        top_rows += 1
                    break

print(f"html_screenshot: {width}x{height} ({how}); bar pixels: {counts}; "
      f"time-chart pixels: {time_counts}, in the upper half: {top_rows}; coloured pixels: {colored}")
problems = []
# The cards' coloured top borders and the legends alone give under 1,000
# pixels of each colour; the fixture's charts give tens of thousands.
if counts["bounced"] < 3000 or counts["deferred"] < 10000:
    problems.append("too few bounced/deferred bar pixels: the charts are not drawn")
if top_rows < 10000:
    problems.append("too few time-chart pixels in the upper half: the time charts are not drawn")
if sum(1 for k, n in time_counts.items() if k.startswith("cause") and n > 200) < 3:
    problems.append("fewer than three cause colours in the time chart: it is not stacked by cause")
if time_counts["domains"] < 1000:
    problems.append("too few pixels in the domain colour: the top domains' charts are not drawn")
if problems:
    print("html_screenshot: FAIL: " + "; ".join(problems), file=sys.stderr)
    sys.exit(1)
print("html_screenshot: ok")
EOF
echo "html_screenshot: screenshot in $shot"
