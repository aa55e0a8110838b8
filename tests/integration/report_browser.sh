#!/usr/bin/env bash
# report_browser.sh - `report --format html` in a real browser: Debian's
# chromium, headless, with no network.
#
# Usage: report_browser.sh HEAPBLAME STORE
# Runs the demo server (store 20000 10 6000: libmta.so growing, libcache.so
# a plateau) under `heapblame run`, writes the HTML report, and loads it
# from file:// in chromium (scripts/bootstrap installs it; missing, the test
# fails), each time with a fresh profile in the work directory, DNS mapped
# to nothing and every proxied fetch sent to a closed loopback port, so
# that nothing can leave the machine:
#   dom         --dump-dom, the DOM after the page's script ran: the module
#               table has libmta.so growing and libcache.so a plateau; the
#               timeline's <svg> is there; the script drew the flame graph
#               (frames named mta_submit and customer_cache_get, its legend,
#               three "weigh by" buttons, the line saying what it shows);
#   clicks      the page with a probe script after it that clicks as a
#               user would: weigh by what leaked, zoom into mta_submit, sort
#               the module table by blocks twice; the probe writes what the
#               page then shows into the DOM: all of libmta's leak under
#               mta_submit, the table sorted store, libmta.so, libcache.so;
#   screenshot  --screenshot at 1280x2000: a PNG of that size, decoded here
#               (zlib and the PNG filters, in Python): many colours, and
#               the timeline's growing red and plateau blue among them;
#   console     every run with --enable-logging=stderr --v=0: Debian 12's
#               chromium writes each console message there as
#               "INFO:CONSOLE(N)" or "INFO:CONSOLE:N" whatever its level
#               (older builds: "ERROR:CONSOLE"), uncaught exceptions as
#               "Uncaught ...", and a blocked fetch as a Content Security
#               Policy message; the report logs nothing, so any line with
#               CONSOLE or Uncaught fails. A copy of the page with a script
#               that throws must produce such a line (the check is not
#               blind), and one with an <img> from https:// a message that
#               the page's Content-Security-Policy blocked it.
# Every chromium run is bounded by timeout(1). Wall time: about 18 s (the
# run's ten seconds, five page loads).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
command -v chromium >/dev/null || hb_error "chromium not found (Debian: chromium; scripts/bootstrap installs it)"
command -v python3 >/dev/null || hb_error "python3 not found"
hb_setup "$1"
store=$(hb_prog "$2")
mkdir -p "$HB_WORK/t"
hb_run "$HB_WORK/t" -- "$store" 20000 10 6000
assert_eq "run: exit status" 0 "$HB_RUN_STATUS"
trace=$(ls "$HB_WORK"/t/*.hbt)
"$HB" report --format html -o "$HB_WORK/r.html" "$trace"

# browse NAME ARGS...: chromium headless on ARGS, stdout to NAME.out, its
# log to NAME.err; the exit status in $BROWSE_STATUS.
browse() {
	local name=$1
	shift
	set +e
	timeout -k 5 40 chromium --headless --no-sandbox --disable-gpu --no-first-run --no-default-browser-check \
		--user-data-dir="$HB_WORK/profile" --disable-extensions --disable-background-networking \
		--disable-component-update --disable-sync --disable-default-apps \
		--host-resolver-rules='MAP * ~NOTFOUND' --proxy-server='127.0.0.1:9' \
		--enable-logging=stderr --v=0 "$@" >"$HB_WORK/$name.out" 2>"$HB_WORK/$name.err"
	BROWSE_STATUS=$?
	set -e
	echo "== chromium $name (exit status $BROWSE_STATUS)"
	grep -aE 'CONSOLE|Uncaught' "$HB_WORK/$name.err" | sed 's/^/   console| /' || true
}

# console_lines NAME: how many lines of NAME's log are console messages
console_lines() { grep -acE 'CONSOLE|Uncaught' "$HB_WORK/$1.err" || true; }

# ---- the DOM, after the script ----
browse dom --dump-dom "file://$HB_WORK/r.html"
assert_eq "dom: chromium exit status" 0 "$BROWSE_STATUS"
assert_eq "dom: no console message" 0 "$(console_lines dom)"
cat >"$HB_WORK/dom_check.py" <<'PY'
import html.parser, sys
class Dom(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.rows, self.row, self.cell = [], [], None, None
        self.nodes, self.legend, self.buttons, self.info, self.svg = [], [], [], None, 0
        self.probe = {}
    def cls(self, a):
        return (a.get("class") or "").split()
    def inside(self, pred):
        return any(pred(t, a) for t, a in self.stack)
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body":
            self.probe = {k[len("data-probe-"):]: v for k, v in a.items() if k.startswith("data-probe-")}
        if tag == "svg" and "heapblame-timeline" in self.cls(a):
            self.svg += 1
        if tag == "tr" and self.inside(lambda t, x: t == "table" and "modules" in self.cls(x)):
            self.row = []
        if tag == "td" and self.row is not None:
            self.cell = []
        if tag in ("br", "col", "img", "input", "link", "meta", "wbr", "hr"):
            return
        self.stack.append((tag, a))
    def handle_endtag(self, tag):
        while self.stack:
            t, a = self.stack.pop()
            if t == "td" and self.cell is not None:
                self.row.append(" ".join("".join(self.cell).split()))
                self.cell = None
            if t == "tr" and self.row is not None:
                if self.row:
                    self.rows.append(self.row)
                self.row = None
            if t == tag:
                break
    def handle_data(self, d):
        if self.cell is not None:
            self.cell.append(d)
        for t, a in self.stack[-1:]:
            if t == "div" and "fg-node" in self.cls(a):
                self.nodes.append(d)
            if t == "span" and self.inside(lambda t2, x: x.get("id") == "flame-legend"):
                self.legend.append(d)
            if t == "button" and self.inside(lambda t2, x: x.get("id") == "flame-weigh"):
                self.buttons.append(d)
            if a.get("id") == "flame-info":
                self.info = (self.info or "") + d
d = Dom()
d.feed(open(sys.argv[1], encoding="utf-8", errors="replace").read())
for r in d.rows:
    print("row", r[0].split()[0], " ".join(c for c in r if c in ("growing", "plateau", "flat", "falling", "unknown")))
print("svg", d.svg)
print("nodes", len(d.nodes))
print("node_mta_submit", d.nodes.count("mta_submit"))
print("node_customer_cache_get", d.nodes.count("customer_cache_get"))
print("legend", " ".join(d.legend[:3]))
print("buttons", "|".join(d.buttons))
print("info", d.info)
for k, v in sorted(d.probe.items()):
    print("probe_" + k, " ".join(v.split()))
PY
python3 "$HB_WORK/dom_check.py" "$HB_WORK/dom.out" >"$HB_WORK/dom.check"
cat "$HB_WORK/dom.check"
kv() { awk -v k="$2" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "$1"; }
dm() { kv "$HB_WORK/dom.check" "$1"; }
assert_eq "dom: the module table has libmta.so growing" growing \
	"$(awk '$1 == "row" && $2 == "libmta.so" { print $3 }' "$HB_WORK/dom.check")"
assert_eq "dom: the module table has libcache.so a plateau" plateau \
	"$(awk '$1 == "row" && $2 == "libcache.so" { print $3 }' "$HB_WORK/dom.check")"
assert_eq "dom: the timeline's svg" 1 "$(dm svg)"
assert_ge "dom: the script drew the flame graph's frames (root, the six callers, the two allocating functions)" 9 "$(dm nodes)"
assert_eq "dom: a frame for mta_submit, one for customer_cache_get" "1 1" \
	"$(dm node_mta_submit) $(dm node_customer_cache_get)"
assert_eq "dom: the flame graph's legend, modules by bytes" "libcache.so libmta.so store" "$(dm legend)"
assert_eq "dom: the weigh-by buttons" "all outstanding|leaked (definite and indirect)|still reachable" "$(dm buttons)"
assert_eq "dom: the line under the flame graph" "all outstanding: 2.92 MiB in 6401 blocks, 3 sites" "$(dm info)"

# ---- clicks ----
python3 - "$HB_WORK/r.html" "$HB_WORK/probe.html" <<'PY'
import sys
page = open(sys.argv[1], encoding="utf-8").read()
probe = """<script>
(function () {
	"use strict";
	function pick(sel, text) {
		var all = document.querySelectorAll(sel);
		for (var i = 0; i < all.length; i++)
			if (all[i].textContent.indexOf(text) === 0)
				return all[i];
		throw new Error("probe: no " + sel + " " + text);
	}
	pick("#flame-weigh button", "leaked").click();
	pick("#flamegraph .fg-node", "mta_submit").click();
	document.body.setAttribute("data-probe-info", document.getElementById("flame-info").textContent);
	document.body.setAttribute("data-probe-dimmed", String(document.querySelectorAll("#flamegraph .fg-dim").length));
	var blocks = pick("table.modules thead th", "Blocks");
	blocks.click();
	blocks.click();
	var names = [];
	document.querySelectorAll("table.modules tbody tr a.name").forEach(function (a) {
		names.push(a.textContent);
	});
	document.body.setAttribute("data-probe-sorted", names.join(" ") + " " + blocks.getAttribute("aria-sort"));
})();
</script>
"""
assert page.count("</body>") == 1
open(sys.argv[2], "w", encoding="utf-8").write(page.replace("</body>", probe + "</body>"))
PY
browse probe --dump-dom "file://$HB_WORK/probe.html"
python3 "$HB_WORK/dom_check.py" "$HB_WORK/probe.out" >"$HB_WORK/probe.check"
grep '^probe_' "$HB_WORK/probe.check" || true
assert_eq "clicks: no console message" 0 "$(console_lines probe)"
assert_eq "clicks: weighed by what leaked, zoomed into mta_submit" \
	"mta_submit [libmta.so mta.c:56] 34.4 KiB in 400 blocks, 100% of leaked (definite and indirect)" \
	"$(kv "$HB_WORK/probe.check" probe_info)"
assert_ge "clicks: its callers stay above it, dimmed" 5 "$(kv "$HB_WORK/probe.check" probe_dimmed)"
assert_eq "clicks: the module table sorted by blocks, fewest first" "store libmta.so libcache.so ascending" \
	"$(kv "$HB_WORK/probe.check" probe_sorted)"

# ---- the check can fail: a page whose script throws ----
sed 's|</body>|<script>null.probe;</script></body>|' "$HB_WORK/r.html" >"$HB_WORK/throws.html"
browse throws --dump-dom "file://$HB_WORK/throws.html"
assert_ge "console: a script that throws is seen (the check is not blind)" 1 "$(console_lines throws)"
# ... and a fetch from the network is refused by the page's policy, and seen
sed 's|</body>|<img src="https://heapblame.invalid/x.png" alt=""></body>|' "$HB_WORK/r.html" >"$HB_WORK/fetches.html"
browse fetches --dump-dom "file://$HB_WORK/fetches.html"
assert_ge "console: a fetch is blocked by the Content-Security-Policy, and seen" 1 \
	"$(grep -ac 'CONSOLE.*Content Security Policy' "$HB_WORK/fetches.err" || true)"

# ---- the screenshot ----
browse shot --screenshot="$HB_WORK/shot.png" --window-size=1280,2000 "file://$HB_WORK/r.html"
assert_eq "screenshot: chromium exit status" 0 "$BROWSE_STATUS"
assert_eq "screenshot: no console message" 0 "$(console_lines shot)"
python3 - "$HB_WORK/shot.png" >"$HB_WORK/png.check" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
print("bytes", len(data))
if data[:8] != b"\x89PNG\r\n\x1a\n":
    print("png 0")
    sys.exit(0)
print("png 1")
i, idat = 8, b""
while i < len(data):
    n, = struct.unpack(">I", data[i:i + 4])
    kind, body = data[i + 4:i + 8], data[i + 8:i + 8 + n]
    i += 12 + n
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
    elif kind == b"IDAT":
        idat += body
print("size", "%dx%d" % (w, h))
bpp = {2: 3, 6: 4}[ctype] if depth == 8 else None
raw = zlib.decompress(idat)
stride = w * bpp
colours, prev, p = {}, bytearray(stride), 0
for y in range(h):
    f, line = raw[p], bytearray(raw[p + 1:p + 1 + stride])
    p += 1 + stride
    if f == 1:
        for x in range(bpp, stride): line[x] = (line[x] + line[x - bpp]) & 255
    elif f == 2:
        for x in range(stride): line[x] = (line[x] + prev[x]) & 255
    elif f == 3:
        for x in range(stride): line[x] = (line[x] + ((line[x - bpp] if x >= bpp else 0) + prev[x]) // 2) & 255
    elif f == 4:
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], prev[x - bpp] if x >= bpp else 0
            pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp):
        px = bytes(line[x:x + 3])
        colours[px] = colours.get(px, 0) + 1
    prev = line
def near(rgb, tol=12):
    return sum(n for c, n in colours.items() if all(abs(c[k] - rgb[k]) <= tol for k in range(3)))
print("colours", len(colours))
print("growing_red", near((0xc6, 0x28, 0x28)))
print("plateau_blue", near((0x15, 0x65, 0xc0)))
top = max(colours.values())
print("background_share", int(100 * top / (w * h)))
PY
cat "$HB_WORK/png.check"
pc() { kv "$HB_WORK/png.check" "$1"; }
assert_eq "screenshot: a PNG" 1 "$(pc png)"
assert_eq "screenshot: its size" 1280x2000 "$(pc size)"
assert_ge "screenshot: not tiny (bytes)" 50000 "$(pc bytes)"
assert_ge "screenshot: not blank (colours)" 100 "$(pc colours)"
assert_ge "screenshot: the growing line's red (pixels)" 200 "$(pc growing_red)"
assert_ge "screenshot: the plateau's blue (pixels)" 200 "$(pc plateau_blue)"
assert_eq "screenshot: the background is not all of it" 1 "$(awk -v s="$(pc background_share)" 'BEGIN { print (s < 95) ? 1 : 0 }')"
hb_finish
