#!/usr/bin/env bash
# check_growth.sh - `heapblame check --max-growth` and `--kinds none`: the
# soak-test gate, in every format.
#
# Usage: check_growth.sh HEAPBLAME GROWER SOURCE_ROOT
# grower (tests/programs/grower.c) leaks 4 KiB every 20 ms for 7 s (about
# 700 MiB/h) and exits, printing the rate it leaked at. Traced with
# 200 ms flushes (35 points), then, on that one trace:
#   - check --kinds none --max-growth 100KiB/h fails (1): the text names
#     grower as growing, with the limit, says once that leak counts are off
#     and claims no leak and no budget; the JSON lists grower in
#     growth.modules at a rate within 25% of the truth, and no kinds; the
#     JUnit has a failing heapblame.growth test case named grower and a
#     skipped leak case; the SARIF has an error result of rule
#     heapblame/growth at grower.c's line, relative to --source-root;
#   - --max-growth 100GiB/h --kinds none passes (0), JUnit's "growth" case
#     passing, and --kinds none alone passes too, though the trace leaks
#     (a plain check fails on it);
#   - without --max-growth the JSON's growth limit is null; --at shows in
#     the JSON's window;
#   - `run --check` takes check's growth options too: --kinds none
#     --max-growth 100KiB/h under run fails (1) on the same program;
#   - notes: a window too short to tell growth (--at 4s) says that no
#     module can fail --max-growth; a check --at a time says that the
#     blocks then outstanding are unclassified (the scan comes at exit),
#     and --kinds none says nothing of classes.
source "$(dirname "${BASH_SOURCE[0]}")/checklib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")
root=$(realpath "$3")
[[ -f $root/tests/programs/grower.c ]] || hb_error "no $root/tests/programs/grower.c"
cd "$HB_WORK"

hb_run "$HB_WORK/t" -q -i 200 -- "$prog"
assert_eq "run exit status" 0 "$HB_RUN_STATUS"
truth=$(hb_truth_line)
rate=$(hb_kv "$truth" bytes_per_hour)
trace=$(hb_gate_trace t)

# ---- text ---------------------------------------------------------------
hb_step text "$HB" check --kinds none --max-growth 100KiB/h "$trace"
assert_eq "text: exit status (growing faster than the limit)" 1 "$HB_STEP_STATUS"
assert_eq "text: the module growing, with the limit" 1 \
	"$(hb_count text.out '^grower  growing [0-9.]+ MiB/h since 0:00:0[0-9](\.[0-9])? \(limit 100 KiB/h\)$')"
assert_eq "text: its entry point" 1 "$(hb_count text.out '^      entered through main\(\)')"
assert_eq "text: leak counts off, said once" 1 "$(hb_count text.out 'leak counts off \(--kinds none\)')"
assert_eq "text: no leak claimed" 0 "$(hb_count text.out 'leaked|budget|definite')"
assert_eq "text: the verdict" "heapblame: 1 module growing faster than 100 KiB/h: FAIL" "$(hb_last_line text)"

# ---- JSON ---------------------------------------------------------------
hb_step json "$HB" check --kinds none --max-growth 100KiB/h --format json "$trace"
assert_eq "json: exit status" 1 "$HB_STEP_STATUS"
hb_step json_plain "$HB" check --format json --at 4s "$trace"
python3 - json.out json_plain.out "$rate" >j.check <<'PY' || true
import json, sys
d = json.load(open(sys.argv[1]))
p = json.load(open(sys.argv[2]))
truth = float(sys.argv[3])
g = d["growth"]
m = g["modules"]
print("verdict\t%s %d" % (d["verdict"], d["exit_status"]))
print("kinds\t%s" % json.dumps(d["kinds"]))
print("limit\t%s" % json.dumps(g["max_bytes_per_hour"]))
print("n\t%d" % len(m))
print("name\t%s" % (m[0]["name"] if m else "-"))
print("class\t%s" % (m[0]["class"] if m else "-"))
r = m[0]["bytes_per_hour"] if m else 0
print("rate_ok\t%s" % (abs(r - truth) <= 0.25 * truth))
print("rate\t%.0f of %.0f" % (r, truth))
print("since\t%s" % (m and isinstance(m[0]["since_s"], float) and 0 <= m[0]["since_s"] < 7))
print("path\t%s" % (m[0]["path"] if m else "-"))
print("plain_limit\t%s" % json.dumps(p["growth"]))
print("plain_at\t%s" % (p["window"]["since_s"] is None and 3 < p["window"]["at_s"] <= 4.001))
PY
cat j.check
jv() { awk -F'\t' -v k="$1" '$1 == k { print $2 }' j.check; }
assert_eq "json: the verdict" "fail 1" "$(jv verdict)"
assert_eq "json: --kinds none lists no kind" "[]" "$(jv kinds)"
assert_eq "json: the limit in bytes per hour" 102400 "$(jv limit)"
assert_eq "json: one module over it" 1 "$(jv n)"
assert_eq "json: growth.modules[0].name" grower "$(jv name)"
assert_eq "json: growth.modules[0].class" growing "$(jv class)"
assert_eq "json: growth.modules[0].path" "$prog" "$(jv path)"
assert_eq "json: bytes_per_hour within 25% of the truth ($(jv rate))" True "$(jv rate_ok)"
assert_eq "json: since_s within the run" True "$(jv since)"
assert_eq "json: without --max-growth" '{"max_bytes_per_hour": null, "modules": []}' "$(jv plain_limit)"
assert_eq "json: --at in the window" True "$(jv plain_at)"

# ---- JUnit --------------------------------------------------------------
hb_step junit "$HB" check --kinds none --max-growth 100KiB/h --format junit "$trace"
assert_eq "junit: exit status" 1 "$HB_STEP_STATUS"
hb_step junit_pass "$HB" check --kinds none --max-growth 100GiB/h --format junit "$trace"
assert_eq "junit: exit status under a high limit" 0 "$HB_STEP_STATUS"
python3 - junit.out junit_pass.out >x.check <<'PY' || true
import sys
import xml.etree.ElementTree as ET
def cases(path):
    s = ET.parse(path).getroot().find("testsuite")
    return s, {(c.get("classname"), c.get("name")): c for c in s.iter("testcase")}
s, c = cases(sys.argv[1])
print("counts\t%s %s %s" % (s.get("tests"), s.get("failures"), s.get("skipped")))
f = c.get(("heapblame.growth", "grower"))
fail = f.find("failure") if f is not None else None
msg = fail.get("message") if fail is not None else ""
print("failing\t%s" % (fail is not None))
print("message\t%s" % all(w in msg for w in ("grower", "growing", "MiB/h", "since", "limit 100 KiB/h")))
print("msgtext\t%s" % msg)
print("frames\t%s" % ("grower.c:" in (fail.text or "") if fail is not None else False))
l = c.get(("heapblame.leaks", "leaks"))
print("skipped\t%s" % (l is not None and l.find("skipped") is not None))
s, c = cases(sys.argv[2])
g = c.get(("heapblame.growth", "growth"))
print("pass\t%s %s" % (s.get("failures"), g is not None and g.find("failure") is None))
PY
cat x.check
xv() { awk -F'\t' -v k="$1" '$1 == k { print $2 }' x.check; }
assert_eq "junit: tests, failures, skipped" "2 1 1" "$(xv counts)"
assert_eq "junit: a failing heapblame.growth case named grower" True "$(xv failing)"
assert_eq "junit: its message says rate, since and limit ($(xv msgtext))" True "$(xv message)"
assert_eq "junit: its text has the site's frames" True "$(xv frames)"
assert_eq "junit: the leak case skipped" True "$(xv skipped)"
assert_eq "junit: under a high limit, a passing growth case" "0 True" "$(xv pass)"

# ---- SARIF --------------------------------------------------------------
hb_step sarif "$HB" check --kinds none --max-growth 100KiB/h --format sarif --source-root "$root" "$trace"
assert_eq "sarif: exit status" 1 "$HB_STEP_STATUS"
python3 - sarif.out >s.check <<'PY' || true
import json, sys
run = json.load(open(sys.argv[1]))["runs"][0]
ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
res = [r for r in run["results"] if r["ruleId"] == "heapblame/growth"]
print("n\t%d %d" % (len(res), len(run["results"])))
r = res[0] if res else {}
print("index\t%s" % (bool(r) and ids[r["ruleIndex"]] == "heapblame/growth"))
print("level\t%s" % r.get("level"))
t = r.get("message", {}).get("text", "")
print("message\t%s" % all(w in t for w in ("grower", "growing", "since", "limit 100 KiB/h")))
loc = r["locations"][0]["physicalLocation"] if r else {}
print("uri\t%s %s" % (loc.get("artifactLocation", {}).get("uri"), loc.get("artifactLocation", {}).get("uriBaseId")))
print("line\t%s" % (loc.get("region", {}).get("startLine", 0) > 0))
PY
cat s.check
sv() { awk -F'\t' -v k="$1" '$1 == k { print $2 }' s.check; }
assert_eq "sarif: one result, of rule heapblame/growth" "1 1" "$(sv n)"
assert_eq "sarif: its ruleIndex" True "$(sv index)"
assert_eq "sarif: level" error "$(sv level)"
assert_eq "sarif: its message names module, rate, since and limit" True "$(sv message)"
assert_eq "sarif: at grower.c, relative to --source-root" "tests/programs/grower.c %SRCROOT%" "$(sv uri)"
assert_eq "sarif: with a line" True "$(sv line)"

# ---- exit statuses ------------------------------------------------------
hb_step high "$HB" check --max-growth 100GiB/h --kinds none "$trace"
assert_eq "a limit above the rate: exit status" 0 "$HB_STEP_STATUS"
assert_eq "a limit above the rate: the verdict" \
	"heapblame: 0 modules growing faster than 100 GiB/h: PASS" "$(hb_last_line high)"
hb_step none "$HB" check --kinds none "$trace"
assert_eq "--kinds none alone on a leaking trace: exit status" 0 "$HB_STEP_STATUS"
hb_step plain "$HB" check "$trace"
assert_eq "a plain check of the same trace: exit status" 1 "$HB_STEP_STATUS"

# ---- notes --------------------------------------------------------------
hb_step short "$HB" check --at 4s --kinds none --max-growth 1MiB/h "$trace"
assert_eq "--at 4s: too short to tell growth, exit status" 0 "$HB_STEP_STATUS"
assert_eq "--at 4s: says so" 1 "$(hb_count short.out '^the timeline spans [0-9.]+ s in [0-9]+ flushes, too short to tell growth .*: no module can fail --max-growth$')"
assert_eq "--at 4s, --kinds none: no note on classification" 0 "$(hb_count short.out 'classified|END record')"
hb_step at "$HB" check --at 4s "$trace"
assert_eq "--at 4s: the blocks then count, unclassified" 1 \
	"$(hb_count at.out 'is judged at its last flush at or before --at, before the exit-time scan: [0-9]+ blocks .* could not be classified: they count$')"
# ---- under run ------------------------------------------------------------
hb_step underrun "$HB" run -q -i 200 --check --kinds none --max-growth 100KiB/h -o "$HB_WORK/u/" -- "$prog"
assert_eq "run --check --kinds none --max-growth: exit status 1" 1 "$HB_STEP_STATUS"
assert_eq "run --check: the verdict names the growth" 1 "$(hb_count underrun.out '^heapblame: 1 module growing faster than 100 KiB/h: FAIL$')"
hb_finish
