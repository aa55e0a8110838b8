#!/usr/bin/env bash
# watch_workers.sh - a forking server's workers on one timeline: a dead
# worker's memory leaves the timeline with it.
#
# Usage: watch_workers.sh HEAPBLAME WORKERS
# Runs tests/programs/watch/workers (12 workers in turn, each holding
# 100,000 bytes until it exits, one alive at a time) under `heapblame run
# -i 100`, which writes 13 traces. On the merged report of all of them:
#   - the timeline's peak for the workers' module is one worker's memory
#     (100,000 bytes, within 5%), never the sum of the dead ones';
#   - the module is not classed growing, so `check --kinds none
#     --max-growth 1MiB/h` passes (exit 0);
#   - what is outstanding at the end is still every worker's (each trace
#     ends holding its blocks): 1,200 blocks, and the parent's stdout
#     buffer (its TRUTH line): 1,201.
source "$(dirname "${BASH_SOURCE[0]}")/checklib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")
hb_run "$HB_WORK/t" -i 100 -- "$prog"
assert_eq "run exit status" 0 "$HB_RUN_STATUS"
peak=$(hb_kv "$(hb_truth_line)" peak_bytes)
traces=("$HB_WORK"/t/*.hbt)
assert_eq "one trace per process" 13 "${#traces[@]}"
hb_step json "$HB" report --format json "${traces[@]}"
assert_eq "report exit status" 0 "$HB_STEP_STATUS"
read -r tpeak growth blocks < <(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
line = [m for m in d["timeline"]["modules"] if m["name"] == "workers"][0]
mod = [m for m in d["modules"] if m["name"] == "workers"][0]
print(int(max(line["bytes"])), line["growth"]["class"], mod["outstanding_blocks"])' "$HB_WORK/json.out")
assert_eq "the timeline's peak is one worker's memory, $peak B +-5% (got $tpeak)" 1 \
	"$(awk -v p="$tpeak" -v t="$peak" 'BEGIN { print (p >= t * 0.95 && p <= t * 1.05) ? 1 : 0 }')"
assert_eq "the workers' module is not growing" 1 "$([[ $growth != growing ]] && echo 1 || echo 0)"
assert_eq "outstanding at the end: every worker's blocks and the parent's stdout buffer" 1201 "$blocks"
hb_step gate "$HB" check --kinds none --max-growth 1MiB/h "${traces[@]}"
assert_eq "check --kinds none --max-growth 1MiB/h passes" 0 "$HB_STEP_STATUS"
hb_finish
