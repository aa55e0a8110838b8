#!/usr/bin/env bash
# report_pictures.sh - `report --format svg` and `--format html` on the
# demo's story, read back as a script reads them.
#
# Usage: report_pictures.sh HEAPBLAME STORE
# Runs the demo server as `heapblame demo` does (store 20000 10 6000: ten
# seconds, libcache.so fills its 6000 entries then holds, libmta.so leaks
# one record in 50 messages), then checks:
#   svg   written to a pipe (svg is text: no -o needed) and with -o, the
#         same; parses as XML (xml.etree), an <svg> in the SVG namespace;
#         names libmta.so and libcache.so; libmta's label says "growing
#         N MiB/h since 0:00:0x", libcache's "plateau"; the growing line is
#         drawn solid, bold and red, the plateau's dashed; the marker where
#         the rise began; clock labels 0:00:00 to 0:00:10 every 2 s; byte
#         ticks in KiB and MiB, every one a round value; the axis title;
#   html  a doctype, <html lang>, a charset and a Content-Security-Policy
#         of default-src 'none'; no URL: none in any src, href or url(),
#         none anywhere (no "http://" or "https://" at all), and every href
#         an anchor in the page; parses with html.parser with every element
#         closed, in order; the module table has libmta.so growing at
#         N MiB/h since 0:00:0x in 400 blocks, libcache.so a plateau in
#         6000; each module's entry point and its sites' symbolized frames
#         (schedule_retry inlined at mta.c:37 in libmta.so, then
#         mta_submit, the entry point); the flame graph's JSON parses and
#         its sites add up to the total outstanding;
#   escaping  store and its libraries copied into a directory named
#         d<i>&"q'\xff (\xff: a byte that is not UTF-8) and started through
#         a symlink named st<o>&re\xfe: the SVG still parses, both files are
#         valid UTF-8, the HTML still balances, and the names appear as
#         text, escaped, the bad bytes as \xff and \xfe;
#   usage --format's error names svg and html; --help lists them.
# Wall time: about 11 s (the ten seconds of the run).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
command -v python3 >/dev/null || hb_error "python3 not found"
hb_setup "$1"
store=$(hb_prog "$2")
mkdir -p "$HB_WORK/t"
hb_run "$HB_WORK/t" -- "$store" 20000 10 6000
assert_eq "run: exit status" 0 "$HB_RUN_STATUS"
trace=$(ls "$HB_WORK"/t/*.hbt)

# kv FILE KEY: the rest of the line that starts with KEY in FILE
kv() { awk -v k="$2" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "$1"; }

# ---- svg ----
"$HB" report --format svg "$trace" >"$HB_WORK/r.svg"
"$HB" report --format svg -o "$HB_WORK/o.svg" "$trace"
assert_eq "svg: -o writes what stdout has" 1 "$(cmp -s "$HB_WORK/r.svg" "$HB_WORK/o.svg" && echo 1 || echo 0)"
cat >"$HB_WORK/svg_check.py" <<'PY'
import re, sys
import xml.etree.ElementTree as ET
NS = "{http://www.w3.org/2000/svg}"
try:
    root = ET.parse(sys.argv[1]).getroot()
except ET.ParseError as e:
    print("parses 0", e)
    sys.exit(0)
print("parses 1")
print("root", root.tag)
# a text's own words: its text and its children's tails (a module name's
# <title> tooltip, the path, is a child)
texts = [((t.text or "") + "".join(c.tail or "" for c in t)).strip() for t in root.iter(NS + "text")]
print("has_libmta", int("libmta.so" in texts))
print("has_libcache", int("libcache.so" in texts))
print("growing_label", sum(bool(re.fullmatch(r"growing [0-9.]+ MiB/h since 0:00:0[0-3]", t)) for t in texts))
print("plateau_label", texts.count("plateau"))
print("clock", " ".join(t for t in texts if re.fullmatch(r"\d+:\d\d:\d\d", t)))
ticks = [t for t in texts if re.fullmatch(r"[0-9.]+ (B|KiB|MiB|GiB|TiB)", t)]
print("tick_units", " ".join(sorted(set(t.split()[1] for t in ticks))))
def round_value(v):
    while v >= 10: v /= 10
    while v < 1: v *= 10
    return any(abs(v - r) < 1e-9 for r in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5, 8))
print("ticks_round", int(bool(ticks) and all(round_value(float(t.split()[0])) for t in ticks)))
print("axis_title", sum(t.startswith("time since the process started") for t in texts))
print("marker_label", sum(bool(re.fullmatch(r"rise began 0:00:0[0-3]", t)) for t in texts))
lines = [(p.get("stroke"), float(p.get("stroke-width", "1")), p.get("stroke-dasharray")) for p in root.iter(NS + "polyline")]
print("lines", len(lines))
print("growing_line", sum(1 for s, w, d in lines if s == "#c62828" and w >= 2.5 and d is None))
print("plateau_line", sum(1 for s, w, d in lines if s == "#1565c0" and d))
print("marker", sum(1 for c in root.iter(NS + "circle") if c.get("class") == "growth-start" and c.get("fill") == "#c62828"))
PY
python3 "$HB_WORK/svg_check.py" "$HB_WORK/r.svg" >"$HB_WORK/svg.check"
cat "$HB_WORK/svg.check"
s() { kv "$HB_WORK/svg.check" "$1"; }
assert_eq "svg: parses as XML" 1 "$(s parses)"
assert_eq "svg: an <svg> in the SVG namespace" "{http://www.w3.org/2000/svg}svg" "$(s root)"
assert_eq "svg: names libmta.so" 1 "$(s has_libmta)"
assert_eq "svg: names libcache.so" 1 "$(s has_libcache)"
assert_eq "svg: libmta's label: growing N MiB/h since 0:00:0x" 1 "$(s growing_label)"
assert_eq "svg: libcache's label: plateau" 1 "$(s plateau_label)"
assert_eq "svg: a line per module of the timeline (libmta, libcache, store)" 3 "$(s lines)"
assert_eq "svg: the growing line is solid, bold, red" 1 "$(s growing_line)"
assert_eq "svg: the plateau line is dashed" 1 "$(s plateau_line)"
assert_eq "svg: a marker where the rise began, and its label" "1 1" "$(s marker) $(s marker_label)"
assert_eq "svg: clock labels every 2 s" "0:00:00 0:00:02 0:00:04 0:00:06 0:00:08 0:00:10" "$(s clock)"
assert_eq "svg: byte ticks in KiB and MiB" "KiB MiB" "$(s tick_units)"
assert_eq "svg: every byte tick is a round value" 1 "$(s ticks_round)"
assert_eq "svg: the time axis's title" 1 "$(s axis_title)"

# ---- html ----
"$HB" report --format html "$trace" >"$HB_WORK/r.html"
cat >"$HB_WORK/html_check.py" <<'PY'
import html.parser, json, re, sys
raw = open(sys.argv[1], "rb").read()
try:
    src = raw.decode("utf-8")
    print("utf8 1")
except UnicodeDecodeError as e:
    print("utf8 0", e)
    src = raw.decode("utf-8", "replace")
print("doctype", int(src.startswith("<!DOCTYPE html>\n")))
print("csp", int(bool(re.search(r'<meta http-equiv="Content-Security-Policy" content="default-src \'none\';', src))))
# URLs: in any attribute that loads or links, in CSS url(), and anywhere
attr = re.findall(r'\b(?:src|href|xlink:href|action|poster|srcset|data)\s*=\s*["\']?\s*(?:[a-z][a-z0-9+.-]*:)?//', src, re.I)
css = re.findall(r'url\(\s*["\']?\s*(?:[a-z][a-z0-9+.-]*:)?//', src, re.I)
print("external_urls", len(attr) + len(css))
print("any_url", len(re.findall(r"https?://", src, re.I)))
print("offpage_links", len([h for h in re.findall(r'\bhref="([^"]*)"', src) if not h.startswith("#")]))

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors = [], []
        self.lang = self.charset = None
        self.rows, self.cell, self.row = [], None, None
        self.text = []
    def inside(self, tag, cls=None):
        return any(t == tag and (cls is None or cls in (a.get("class") or "").split()) for t, a in self.stack)
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "meta" and "charset" in a:
            self.charset = a["charset"]
        if tag == "tr" and any(self.inside("table", c) for c in ("modules", "entries", "frames")):
            self.row = []
        if tag == "td" and self.row is not None:
            self.cell = []
        if tag not in VOID:
            self.stack.append((tag, a))
    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()
    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1][0] != tag:
            self.errors.append("</%s> at line %d closes <%s>" % (tag, self.getpos()[0], self.stack[-1][0] if self.stack else "nothing"))
            return
        if tag == "td" and self.cell is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        if tag == "tr" and self.row is not None:
            if self.row:  # not a row of <th>
                kind = [c for c in ("modules", "entries", "frames") if self.inside("table", c)][0]
                self.rows.append((kind, self.row))
            self.row = None
        self.stack.pop()
    def handle_data(self, d):
        if self.cell is not None:
            self.cell.append(d)
        if not self.inside("script") and not self.inside("style"):
            self.text.append(d)
p = Page()
p.feed(src)
p.close()
if p.stack:
    p.errors.append("unclosed at the end: " + " ".join(t for t, a in p.stack))
print("balanced", int(not p.errors))
for e in p.errors[:10]:
    print("error", e)
print("lang", p.lang)
print("charset", p.charset)
for kind, r in p.rows:
    if kind == "modules":
        # Module (its name, then its path) | Outstanding | Blocks | Share | kinds... | Growth | Rate | Since
        print("row", r[0].split()[0], r[2], r[-3], r[-2].replace(" ", "_"), r[-1])
    elif kind == "entries":
        # Entered through | Called from | Outstanding | Blocks
        print("entry", "|".join(r))
    else:
        # # | function (and its tags) | file:line | module
        print("frame", " ".join(x.replace(" ", "_") for x in r))
m = re.search(r'<script type="application/json" id="hb-data">(.*?)</script>', src, re.S)
try:
    blob = json.loads(m.group(1))
    print("blob 1")
    print("blob_sum", int(sum(s[0] for s in blob["sites"]) == blob["total"]))
    print("blob_has_mta_submit", int("mta_submit" in blob["strings"]))
except Exception as e:
    print("blob 0", e)
print("text", " ".join("".join(p.text).split()))
PY
python3 "$HB_WORK/html_check.py" "$HB_WORK/r.html" >"$HB_WORK/html.check"
grep -v '^text ' "$HB_WORK/html.check"
h() { kv "$HB_WORK/html.check" "$1"; }
assert_eq "html: valid UTF-8" 1 "$(h utf8)"
assert_eq "html: starts with the doctype" 1 "$(h doctype)"
assert_eq "html: <html lang>" en "$(h lang)"
assert_eq "html: <meta charset>" utf-8 "$(h charset)"
assert_eq "html: a Content-Security-Policy of default-src 'none'" 1 "$(h csp)"
assert_eq "html: no URL in any src, href or url(" 0 "$(h external_urls)"
assert_eq "html: no http:// or https:// anywhere" 0 "$(h any_url)"
assert_eq "html: every link is an anchor in the page" 0 "$(h offpage_links)"
assert_eq "html: parses, every element closed in order" 1 "$(h balanced)"
assert_eq "html: module table row of libmta.so (blocks, class, since)" "400 growing 0:00:0x" \
	"$(awk '$1 == "row" && $2 == "libmta.so" { sub(/[0-9]$/, "x", $6); print $3, $4, $6 }' "$HB_WORK/html.check")"
assert_eq "html: libmta.so's rate" 1 \
	"$(awk '$1 == "row" && $2 == "libmta.so" { print ($5 ~ /^[0-9.]+_MiB\/h$/) ? 1 : 0 }' "$HB_WORK/html.check")"
assert_eq "html: module table row of libcache.so (blocks, class)" "6000 plateau" \
	"$(awk '$1 == "row" && $2 == "libcache.so" { print $3, $4 }' "$HB_WORK/html.check")"
assert_eq "html: libmta's entry point (exported, its caller, bytes, blocks)" \
	"mta_submit() exported|store: deliver_message()|34.4 KiB|400" "$(awk '$1 == "entry" && $2 == "mta_submit()" { $1 = ""; sub(/^ /, ""); print }' "$HB_WORK/html.check")"
assert_eq "html: libmta's site, innermost frame first" \
	"0 schedule_retry_inlined mta.c:37 libmta.so|1 mta_submit_entry_point mta.c:56 libmta.so" \
	"$(awk '$1 == "frame" && $5 == "libmta.so" { $1 = ""; sub(/^ /, ""); print }' "$HB_WORK/html.check" | paste -sd '|')"
assert_eq "html: the flame graph's data parses" 1 "$(h blob)"
assert_eq "html: its sites add up to the total" 1 "$(h blob_sum)"
assert_eq "html: its strings name mta_submit" 1 "$(h blob_has_mta_submit)"

# ---- escaping: names that are markup, and bytes that are not UTF-8 ----
weird="$HB_WORK/d<i>&\"q'"$'\xff'
mkdir -p "$weird"
cp "$store" "$(dirname "$store")/libmta.so" "$(dirname "$store")/libcache.so" "$weird/"
prog="st<o>&re"$'\xfe'
ln -s store "$weird/$prog"
# meson's LD_LIBRARY_PATH (the build's examples/) would come before the
# copy's RUNPATH ($ORIGIN) and load the libraries from the build tree
HB_RUN_WRAP=(env -u LD_LIBRARY_PATH)
hb_run "$HB_WORK/w" -- "$weird/$prog" 300 0 10
unset HB_RUN_WRAP
assert_eq "escaping: the copy's libraries are the ones loaded" "$weird/libcache.so $weird/libmta.so" \
	"$("$HB" report --format json "$(ls "$HB_WORK"/w/*.hbt)" | python3 -c '
import json, sys
r = json.load(sys.stdin)
paths = sorted(m["path"] for m in r["modules"] if m["name"].startswith("lib"))
sys.stdout.buffer.write(b" ".join(p.encode("latin-1") for p in paths))  # \u00XX: the bytes')"
wtrace=$(ls "$HB_WORK"/w/*.hbt)
"$HB" report --format svg "$wtrace" >"$HB_WORK/w.svg"
"$HB" report --format html "$wtrace" >"$HB_WORK/w.html"
python3 "$HB_WORK/svg_check.py" "$HB_WORK/w.svg" >"$HB_WORK/wsvg.check"
python3 "$HB_WORK/html_check.py" "$HB_WORK/w.html" >"$HB_WORK/whtml.check"
grep -E '^(parses|utf8|balanced|error) ' "$HB_WORK/wsvg.check" "$HB_WORK/whtml.check"
assert_eq "escaping: the SVG still parses" 1 "$(kv "$HB_WORK/wsvg.check" parses)"
assert_eq "escaping: the SVG is valid UTF-8" 1 "$(python3 -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8"); print(1)' "$HB_WORK/w.svg" 2>/dev/null || echo 0)"
assert_eq "escaping: the SVG names the path, escaped" 1 \
	"$(grep -c 'd&lt;i&gt;&amp;&quot;q&#39;\\xff/libmta.so' "$HB_WORK/w.svg" || true)"
assert_eq "escaping: the HTML is valid UTF-8" 1 "$(kv "$HB_WORK/whtml.check" utf8)"
assert_eq "escaping: the HTML still balances" 1 "$(kv "$HB_WORK/whtml.check" balanced)"
assert_eq "escaping: the HTML's text has the program name" 1 \
	"$(kv "$HB_WORK/whtml.check" text | grep -acF 'st<o>&re\xfe pid' || true)"
assert_eq "escaping: the HTML's text has the library's path" 1 \
	"$(kv "$HB_WORK/whtml.check" text | grep -acF "/d<i>&\"q'\\xff/libmta.so" || true)"

# ---- usage ----
set +e
"$HB" report --format png "$trace" >/dev/null 2>"$HB_WORK/usage.err"
st=$?
set -e
assert_eq "usage: --format png is a usage error" 2 "$st"
assert_eq "usage: the error lists svg and html" 1 \
	"$(grep -c "is not one of text, json, folded, pprof, svg, html" "$HB_WORK/usage.err" || true)"
assert_eq "usage: --help lists svg and html" 2 \
	"$("$HB" report --help | grep -cE 'svg \(the|html \(one' || true)"
hb_finish
