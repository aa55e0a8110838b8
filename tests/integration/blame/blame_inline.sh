#!/usr/bin/env bash
# blame_inline.sh - every level of a nest of inlined calls is a frame, at its
# own line, and what points at a site (SARIF, JUnit, suppressions) uses them.
#
# Usage: blame_inline.sh HEAPBLAME c|cxx PROGRAM SOURCE_ROOT
# PROGRAM is tests/programs/inline/inline_chain (c) or inline_cxx (cxx;
# "missing:REASON" without a C++ compiler: skipped, exit 77); SOURCE_ROOT
# the repository. The expected lines are found in the program's source by
# their `site:NAME` comments. Both are built -O2 -g with always_inline
# levels, so main is the only physical frame of the program's sites.
#   c    main -> level1 -> level2 -> level3 -> malloc: the site's frames
#        are exactly level3, level2, level1 (inlined) and main, each at its
#        line (level3 at malloc's call, main at level1's call), as
#        binutils' `addr2line -i` gives them for the frame's address; the
#        text report shows the four; `site:level2` and LeakSanitizer's
#        `leak:level1` hide the site (they were unused when the inlined
#        levels were lost).
#   cxx  `new Widget` in Registry::put, Widget's constructor's `new int[16]`
#        and the std::map node of `items[k]`, all inlined into main: each
#        site keeps Widget::Widget() and Registry::put(int) with their
#        lines, the std::map site keeps the library's inlined frames before
#        them, and every site agrees with `addr2line -i`; `site:Registry::put`
#        hides the three sites; SARIF places each result at the program's own
#        line (relative to --source-root, %SRCROOT%), never at
#        new_allocator.h, and JUnit names Registry::put(int) at its line.
# In both, no SARIF artifact URI is relative without a base (libc's debug
# info names files relative to a relative directory: those are left
# unlocated), and a --source-root that does not exist is warned about.
source "$(dirname "${BASH_SOURCE[0]}")/blamelib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../checklib.sh"
mode=${2:-}
[[ $mode == c || $mode == cxx ]] || hb_error "usage: $0 HEAPBLAME c|cxx PROGRAM SOURCE_ROOT"
[[ ${3:-} == missing:* ]] && hb_skip "${3#missing:}"
hb_setup "$1"
prog=$(hb_prog "$3")
root=$(realpath "$4")
name=$(basename "$prog")
if [[ $mode == c ]]; then
	src=$root/tests/programs/inline/inline_chain.c
else
	src=$root/tests/programs/inline/inline_cxx.cpp
fi
[[ -f $src ]] || hb_error "no $src"
command -v addr2line >/dev/null || hb_error "addr2line not found (binutils, which gcc needs anyway)"

# line NAME: the line of $src marked `site:NAME`.
line() {
	local n
	n=$(grep -n "site:$1 \*/" "$src" | cut -d: -f1)
	[[ $n =~ ^[0-9]+$ ]] || hb_error "no single 'site:$1' marker in $src"
	echo "$n"
}

out=$HB_WORK/traces
hb_run "$out" -- "$prog"
assert_eq "run exit status" 0 "$HB_RUN_STATUS"
truth=$(hb_truth_line)
pid=$(hb_kv "$truth" pid)
trace=$(hb_trace_of "$name" "$pid" "$out")
hb_report "$HB_WORK/r.json" --format json --top 0 -- "$trace"

# The checks shared by both modes: a2l(frame) is addr2line -i's list of
# (function, file base name, line) for a frame's address, innermost first;
# ours(frames, i) is the same list from the report, from frame i to the
# physical frame that holds it.
common='
import os, re, subprocess
def a2l(exe, offset):
    out = subprocess.run(["addr2line", "-f", "-i", "-C", "-e", exe, "%x" % (offset - 1)],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    res = []
    for fn, loc in zip(out[0::2], out[1::2]):
        loc = re.sub(r" \(discriminator \d+\)$", "", loc)
        path, _, ln = loc.rpartition(":")
        res.append((fn, os.path.basename(path), int(ln) if ln.isdigit() else None))
    return res
def ours(frames, i):
    res = []
    for f in frames[i:]:
        res.append((f["function"], os.path.basename(f["file"] or ""), f["line"]))
        if not f["inlined"]:
            break
    return res
def shape(frames, i):
    res = []
    for f in frames[i:]:
        res.append((f["function"], f["inlined"], os.path.basename(f["file"] or ""), f["line"]))
        if not f["inlined"]:
            break
    return res
'

if [[ $mode == c ]]; then
	hb_json_check "$HB_WORK/r.json" exe="$prog" name="$name" file="$(basename "$src")" \
		l3="$(line level3)" l2="$(line level2)" l1="$(line level1)" lm="$(line main)" <<PY
$common
invariants()
m = module(A["name"])
sites = [s for s in m["sites"] if any(f["function"] == "level3" for f in s["frames"])]
check("one site allocates in level3", 1, len(sites))
f = sites[0]["frames"]
i = blamed_index(f)
F = A["file"]
check("the site's frames, innermost first",
      [("level3", True, F, A.int("l3")), ("level2", True, F, A.int("l2")), ("level1", True, F, A.int("l1")),
       ("main", False, F, A.int("lm"))], shape(f, i))
check("the inlined frames share the physical frame's offset", 1, len({x["offset"] for x in f[i:i + 4]}))
check("addr2line -i agrees, function, file and line", a2l(A["exe"], f[i]["offset"]), ours(f, i))
PY
	hb_report "$HB_WORK/r.txt" --top 0 -- "$trace"
	for fn in level3 level2 level1; do
		assert_eq "text: $fn is shown as an inlined frame at its line" 1 \
			"$(grep -cE "^ +$fn \(inlined\) +inline_chain\.c:$(line "$fn") +$name$" "$HB_WORK/r.txt" || true)"
	done
	assert_eq "text: main at its call of level1" 1 \
		"$(grep -cE "^ +main +inline_chain\.c:$(line main) +$name$" "$HB_WORK/r.txt" || true)"
	rules=("site:level2" "leak:level1")
	expect_sites=1
else
	hb_json_check "$HB_WORK/r.json" exe="$prog" name="$name" file="$(basename "$src")" \
		lw="$(line widget)" lp="$(line put)" lm="$(line main)" lr="$(line registry)" <<PY
$common
invariants()
m = module(A["name"])
F, lw, lp, lm, lr = A["file"], A.int("lw"), A.int("lp"), A.int("lm"), A.int("lr")
put = ("Registry::put(int)", True, F, lp)
main = ("main", False, F, lm)
by = {}
for s in m["sites"]:
    f = s["frames"]
    i = blamed_index(f)
    fns = [x["function"] or "" for x in f]
    kind = ("widget" if "Widget::Widget()" in fns else
            "map" if any(x.startswith("std::map<") for x in fns) else
            "registry" if shape(f, i) == [("main", False, F, lr)] else
            "new_widget" if shape(f, i)[:1] == [put] else "?")
    by.setdefault(kind, []).append((f, i))
check("the sites of the program", ["map", "new_widget", "registry", "widget"], sorted(by))
f, i = by["widget"][0]
check("Widget's constructor: its frames", [("Widget::Widget()", True, F, lw), put, main], shape(f, i))
f, i = by["new_widget"][0]
check("new Widget: its frames", [put, main], shape(f, i))
f, i = by["map"][0]
sh = shape(f, i)
check("the map node: it ends with Registry::put then main", [put, main], sh[-2:])
check("the map node: the frames before are the library's, inlined from its headers", [],
      [x for x in f[i:i + len(sh) - 2] if not x["inlined"] or not (x["file"] or "").startswith("/usr/include/")])
for kind in sorted(by):
    for f, i in by[kind]:
        check("addr2line -i agrees on file and line (%s)" % kind, [x[1:] for x in a2l(A["exe"], f[i]["offset"])],
              [x[1:] for x in ours(f, i)])
PY
	hb_report "$HB_WORK/r.txt" --top 0 -- "$trace"
	assert_eq "text: Registry::put is shown where it is inlined (three sites)" 3 \
		"$(grep -cE "^ +Registry::put\(int\) \(inlined\) +inline_cxx\.cpp:$(line put) +$name$" "$HB_WORK/r.txt" || true)"

	# SARIF and JUnit point at the program's own lines.
	hb_step sarif "$HB" check --kinds definite,indirect,reachable --format sarif --source-root "$root" \
		-o "$HB_WORK/r.sarif" "$trace"
	python3 - "$HB_WORK/r.sarif" "$(line put)" "$(line widget)" "$(line registry)" >"$HB_WORK/sarif.check" <<'PY' || true
import json, sys
d = json.load(open(sys.argv[1]))
lp, lw, lr = sys.argv[2:5]
locs = []
for r in d["runs"][0]["results"]:
    if r["properties"]["module"] != "inline_cxx":
        continue
    p = r["locations"][0]["physicalLocation"]
    locs.append("%s %s:%d %s" % (p["artifactLocation"].get("uriBaseId"), p["artifactLocation"]["uri"],
                                 p["region"]["startLine"], r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]))
print("locations\t" + "|".join(sorted(locs)))
print("in_headers\t%d" % sum(1 for r in d["runs"][0]["results"]
                            for l in r["locations"] if "/usr/include/" in l["physicalLocation"]["artifactLocation"]["uri"]))
PY
	cat "$HB_WORK/sarif.check"
	f=tests/programs/inline/inline_cxx.cpp
	assert_eq "sarif: each site at the program's own line" \
		"$(printf '%s\n' "%SRCROOT% $f:$(line put) Registry::put(int)" "%SRCROOT% $f:$(line put) Registry::put(int)" \
			"%SRCROOT% $f:$(line registry) main" "%SRCROOT% $f:$(line widget) Widget::Widget()" | LC_ALL=C sort | paste -sd'|')" \
		"$(awk -F'\t' '$1 == "locations" { print $2 }' "$HB_WORK/sarif.check")"
	assert_eq "sarif: no result located in the C++ library's headers (new_allocator.h)" 0 \
		"$(awk -F'\t' '$1 == "in_headers" { print $2 }' "$HB_WORK/sarif.check")"
	hb_step junit "$HB" check --kinds definite,indirect,reachable --format junit --top 0 --source-root "$root" \
		-o "$HB_WORK/r.xml" "$trace"
	assert_eq "junit: the map node's site is Registry::put at its line" 1 \
		"$(grep -c "Registry::put(int) at inline_cxx.cpp:$(line put) ([0-9]* B in [0-9]* blocks); .*Registry::put(int) at inline_cxx.cpp:$(line put) " "$HB_WORK/r.xml" || true)"
	assert_eq "junit: and no site is located in new_allocator.h" 0 \
		"$(grep -c 'at new_allocator.h:' "$HB_WORK/r.xml" || true)"
	rules=("site:Registry::put")
	expect_sites=3
fi

# Suppressions naming the inlined functions hide their sites.
for rule in "${rules[@]}"; do
	printf '%s\n' "$rule" >"$HB_WORK/inl.supp"
	hb_step supp "$HB" check --kinds definite,indirect,reachable --format json --suppressions "$HB_WORK/inl.supp" "$trace"
	assert_eq "$rule: used, hiding the sites through that function" "True $expect_sites" \
		"$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["suppressions"][0]; print(s["used"], s["sites"])' \
			"$HB_WORK/supp.out" 2>&1)"
done

# SARIF: every artifact URI is absolute (file://) or has a base; a missing
# --source-root is warned about.
hb_step sarif_any "$HB" check --kinds definite,indirect,reachable --format sarif --source-root "$HB_WORK/no-such-dir" \
	-o "$HB_WORK/any.sarif" "$trace"
assert_eq "sarif: a --source-root that does not exist is warned about" 1 \
	"$(hb_count sarif_any.err "^heapblame: warning: --source-root $HB_WORK/no-such-dir: No such file or directory")"
assert_eq "sarif: no relative URI without a base" "[]" "$(python3 - "$HB_WORK/any.sarif" <<'PY'
import json, sys
bad = []
def walk(v):
    if isinstance(v, dict):
        a = v.get("artifactLocation")
        if a and not a["uri"].startswith("file://") and "uriBaseId" not in a:
            bad.append(a["uri"])
        for x in v.values():
            walk(x)
    elif isinstance(v, list):
        for x in v:
            walk(x)
walk(json.load(open(sys.argv[1])))
print(bad)
PY
)"
hb_finish
