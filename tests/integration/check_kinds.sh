#!/usr/bin/env bash
# check_kinds.sh - leak kinds from the shim's exit-time scan, through dump,
# report and check.
#
# Usage: check_kinds.sh HEAPBLAME GATE_PROG
# gate_prog (tests/programs/gate) prints the truth of what it leaked by
# kind (definite, indirect, reachable); then:
#   - dump's totals say `scan: done`, a scan duration, and exactly the
#     truth's blocks and bytes by kind, nothing unclassified;
#   - report's text ends with the kinds, its JSON carries them in the
#     totals, the modules and the sites;
#   - with HEAPBLAME_LEAK_SCAN=0 the trace says `scan: off`, every
#     outstanding block is unclassified, report says there was no scan, and
#     check counts them all (a reachable block too), saying why in a note.
source "$(dirname "${BASH_SOURCE[0]}")/checklib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")
cd "$HB_WORK"
mkdir -p t off

hb_run "$HB_WORK/t" -q -- "$prog" leak second lib reachable
assert_eq "run exit status" 0 "$HB_RUN_STATUS"
truth=$(hb_truth_line)
trace=$(hb_gate_trace t)
hb_dump "$trace"
assert_eq "dump: scan" done "$(hb_total scan)"
assert_ge "dump: scan_ns" 1 "$(hb_total scan_ns)"
for k in definite indirect reachable; do
	assert_eq "dump: ${k}_blocks" "$(hb_kv "$truth" ${k}_blocks)" "$(hb_total ${k}_blocks)"
	assert_eq "dump: ${k}_bytes" "$(hb_kv "$truth" ${k}_bytes)" "$(hb_total ${k}_bytes)"
done
assert_eq "dump: unclassified_blocks" 0 "$(hb_total unclassified_blocks)"
assert_eq "dump: unclassified_bytes" 0 "$(hb_total unclassified_bytes)"
assert_eq "dump: a SCAN record line" 1 "$(grep -c '^SCAN time_ns=[0-9]* status=done ' "$HB_DUMP")"
assert_eq "dump: the REACH records count every live block" "$(hb_total live_blocks)" \
	"$(awk '/^REACH module=[0-9]* stack=[0-9]* kind=/ { c = $5; sub("count=", "", c); n += c } END { print n + 0 }' "$HB_DUMP")"

hb_step report "$HB" report "$trace"
assert_eq "report text: the kinds before the closing sentence" \
	"By reachability at exit: definite 544 B in 9 blocks; indirect 120 B in 3 blocks; reachable 272 B in 2 blocks." \
	"$(tail -n 2 report.out | head -n 1)"
assert_eq "report text: a site's kind" 1 "$(hb_count report.out '^ +128 B in 4 blocks \(definite\)$')"
hb_step report_json "$HB" report --format json --top 0 "$trace"
python3 - report_json.out >rj.check <<'PY' || true
import json, sys
d = json.load(open(sys.argv[1]))
t = d["totals"]
print("totals\t%d %d %d %d" % (t["definite_blocks"], t["indirect_blocks"], t["reachable_blocks"], t["unclassified_blocks"]))
m = {x["name"]: x for x in d["modules"]}
lib = m["libgatelib.so"]
print("lib\t%d %d %d" % (lib["definite_blocks"], lib["definite_bytes"], lib["sites"][0]["definite_blocks"]))
print("scan\t%s" % d["traces"][0]["scan"])
s = sum(x["indirect_blocks"] for x in m["gate_prog"]["sites"])
print("sites_indirect\t%d" % s)
PY
cat rj.check
rv() { awk -F'\t' -v k="$1" '$1 == k { print $2 }' rj.check; }
assert_eq "report json: totals by kind" "9 3 2 0" "$(rv totals)"
assert_eq "report json: the library's kinds, module and site" "4 128 4" "$(rv lib)"
assert_eq "report json: the trace's scan" done "$(rv scan)"
assert_eq "report json: gate_prog's sites hold its indirect blocks" 3 "$(rv sites_indirect)"

# No scan: every outstanding block is unclassified, and counts.
HEAPBLAME_LEAK_SCAN=0 hb_run "$HB_WORK/off" -q -- "$prog" reachable
off=$(hb_gate_trace off)
hb_dump "$off"
assert_eq "scan off: dump's scan" off "$(hb_total scan)"
assert_eq "scan off: unclassified_blocks" 2 "$(hb_total unclassified_blocks)"
assert_eq "scan off: unclassified_bytes" 272 "$(hb_total unclassified_bytes)"
assert_eq "scan off: reachable_blocks" 0 "$(hb_total reachable_blocks)"
hb_step off_report "$HB" report "$off"
assert_eq "scan off: report says so" \
	"No reachability scan in the trace: leaked and still reachable blocks are not told apart." \
	"$(tail -n 2 off_report.out | head -n 1)"
hb_step off_check "$HB" check "$off"
assert_eq "scan off: check fails (unclassified blocks count)" 1 "$HB_STEP_STATUS"
assert_eq "scan off: check says why" 1 \
	"$(hb_count off_check.out "^no reachability scan in $off \(the scan was switched off: HEAPBLAME_LEAK_SCAN=0\): every outstanding block counts$")"
assert_eq "scan off: the verdict" "heapblame: 272 B in 2 blocks leaked in 1 module (budget 0): FAIL" \
	"$(hb_last_line off_check)"
hb_finish
