#!/usr/bin/env bash
# sample_growth.sh - a sampled trace over time: growth, --at, --since,
# suppressions and baselines on estimates.
#
# Usage: sample_growth.sh HEAPBLAME GROWER
# grower (tests/programs/grower.c) leaks 4 KiB every 20 ms for 7 s (about
# 700 MiB/h). Traced at `--sample 16KiB` (a block recorded with
# probability 1 - exp(-1/4) = 0.22, so about 75 samples in all) with
# 200 ms flushes, seed 3, then, on that one trace:
#   - check --kinds none --max-growth 100KiB/h fails (1), naming grower as
#     growing; the JSON's rate within 35% of the truth (about 3 standard
#     errors of an estimate from 75 samples); --max-growth 100GiB/h passes;
#   - report --at 3s: outstanding then is an estimate, more than 0 and
#     less than at the end, and the window says 3 s; report --since -2s:
#     the blocks allocated in the last 2 s are between 10% and 50% of the
#     end's;
#   - check fails (1) on the estimated leak; with module:grower suppressed
#     it passes (0); against a baseline of the same trace it passes, and
#     against a baseline taken --at 3s it fails (what leaked after 3 s is
#     beyond the baseline).
source "$(dirname "${BASH_SOURCE[0]}")/checklib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")
cd "$HB_WORK"

HEAPBLAME_SAMPLE_SEED=3 hb_run "$HB_WORK/t" -q -i 200 --sample 16KiB -- "$prog"
assert_eq "run exit status" 0 "$HB_RUN_STATUS"
truth=$(hb_truth_line)
rate=$(hb_kv "$truth" bytes_per_hour)
trace=$(hb_gate_trace t)

hb_step grow "$HB" check --kinds none --max-growth 100KiB/h --format json "$trace"
assert_eq "growth: exit status (growing faster than the limit)" 1 "$HB_STEP_STATUS"
read -r name ok estimate < <(python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))["growth"]["modules"]
r = m[0]["bytes_per_hour"] if m else 0
t = float(sys.argv[2])
print(m[0]["name"] if m else "-", abs(r - t) <= 0.35 * t, "%.0f/%.0f" % (r, t))' grow.out "$rate")
assert_eq "growth: the module growing" grower "$name"
assert_eq "growth: bytes_per_hour within 35% of the truth ($estimate)" True "$ok"
hb_step grow_high "$HB" check --kinds none --max-growth 100GiB/h "$trace"
assert_eq "growth: a high limit passes" 0 "$HB_STEP_STATUS"

# outstanding at 3 s, at the end, and allocated in the last 2 s
hb_step at "$HB" report -f json --at 3s "$trace"
assert_eq "report --at 3s: exit status" 0 "$HB_STEP_STATUS"
hb_step end "$HB" report -f json "$trace"
hb_step since "$HB" report -f json --since -2s "$trace"
read -r at_ok since_ok window figures < <(python3 -c '
import json, sys
a, e, s = (json.load(open(f)) for f in sys.argv[1:4])
ab, eb, sb = (d["totals"]["outstanding_bytes"] for d in (a, e, s))
w = a["window"]["at_s"]
print(0 < ab < eb, 0.1 * eb <= sb <= 0.5 * eb, 2.9 < w <= 3.001, "at=%d,end=%d,since=%d" % (ab, eb, sb))' \
	at.out end.out since.out)
assert_eq "report --at 3s: between 0 and the end's ($figures)" True "$at_ok"
assert_eq "report --at 3s: the window" True "$window"
assert_eq "report --since -2s: 10% to 50% of the end's" True "$since_ok"

# the gate: leaks, suppressions, baselines
hb_step leak "$HB" check "$trace"
assert_eq "check: the estimated leak fails" 1 "$HB_STEP_STATUS"
echo 'module:grower' >sup.txt
hb_step sup "$HB" check --suppressions sup.txt "$trace"
assert_eq "check: suppressed, it passes" 0 "$HB_STEP_STATUS"
"$HB" report -f json --top 0 "$trace" >base_end.json
"$HB" report -f json --top 0 --at 3s "$trace" >base_3s.json
hb_step base_end "$HB" check --baseline base_end.json "$trace"
assert_eq "check: against its own baseline, it passes" 0 "$HB_STEP_STATUS"
hb_step base_3s "$HB" check --baseline base_3s.json "$trace"
assert_eq "check: against the baseline at 3 s, it fails" 1 "$HB_STEP_STATUS"
hb_finish
