#!/usr/bin/env bash
# report_lazy.sh - `heapblame report` symbolizes what it shows, once.
#
# Usage: report_lazy.sh HEAPBLAME ALLFUNCS
# Traces allfuncs (ten sites, in a program with DWARF), then reads the
# symbolizer's counts (HEAPBLAME_SYM_STATS=1, one line on stderr):
#   - --top 1 makes fewer DWARF lookups than --top 0, and its one site per
#     module is --top 0's first, frame for frame (JSON);
#   - the same trace given twice (two traces of one run) makes no more
#     DWARF lookups than once: results are kept across traces;
#   - the counts line changes nothing in the report.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
hb_setup "$1"
hb_run "$HB_WORK/t" -- "$2"
trace=$(ls "$HB_WORK"/t/*.hbt)
cp "$trace" "$HB_WORK/copy.hbt"

# dwarf ARGS...: the DWARF lookups of `report ARGS`
dwarf() {
	HEAPBLAME_SYM_STATS=1 "$HB" report "$@" 2>&1 >/dev/null |
		sed -n 's/.* \([0-9][0-9]*\) DWARF lookups.*/\1/p'
}
top1=$(dwarf -n 1 "$trace")
all=$(dwarf -n 0 "$trace")
twice=$(dwarf -n 1 "$trace" "$HB_WORK/copy.hbt")
echo "DWARF lookups: --top 1 $top1, --top 0 $all, --top 1 of two copies $twice"
assert_eq "the counts line is there" 1 "$([[ -n $top1 && -n $all && -n $twice ]] && echo 1 || echo 0)"
assert_eq "--top 1 looks up fewer frames than --top 0" 1 "$((top1 < all))"
assert_eq "a second trace of the same modules adds no DWARF lookup" "$top1" "$twice"

"$HB" report -f json -n 1 "$trace" >"$HB_WORK/1.json"
"$HB" report -f json -n 0 "$trace" >"$HB_WORK/0.json"
same=$(python3 -c 'import json,sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
ok = all(ma["sites"][:1] == mb["sites"][:1] and ma["entry_points"] == mb["entry_points"]
         for ma, mb in zip(a["modules"], b["modules"]))
print(int(ok and len(a["modules"]) == len(b["modules"])))' "$HB_WORK/1.json" "$HB_WORK/0.json")
assert_eq "--top 1's sites are --top 0's first, and the entry points the same" 1 "$same"

"$HB" report "$trace" >"$HB_WORK/plain.txt"
HEAPBLAME_SYM_STATS=1 "$HB" report "$trace" >"$HB_WORK/stats.txt" 2>/dev/null
assert_eq "HEAPBLAME_SYM_STATS leaves the report alone" 1 "$(cmp -s "$HB_WORK/plain.txt" "$HB_WORK/stats.txt" && echo 1 || echo 0)"
hb_finish
