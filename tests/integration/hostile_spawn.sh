#!/usr/bin/env bash
# hostile_spawn.sh - many fork+exec and posix_spawn of a short program: no
# trace file for a fork child that only exec'd.
#
# Usage: hostile_spawn.sh HEAPBLAME SPAWNER [PROGRAM]
# tests/programs/hostile/spawner starts PROGRAM (default /bin/true) 10 times
# with fork + execv (the child execs at once) and 10 times with posix_spawn,
# with the default HEAPBLAME_FOLLOW. Expected files in the output directory:
# the spawner's own trace, and at most one per exec'd image (named after
# PROGRAM): none named after the spawner but its own, nothing else. The
# spawner's trace decodes without a warning, carries its ledger and ends
# with `exit 0`. The exit-time leak scan is switched off here
# (HEAPBLAME_LEAK_SCAN=0): its cost in short-lived processes is
# hostile_exitscan.sh's subject, not this test's.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")
target=$(realpath "${3:-/bin/true}")
tname=$(basename "$target")
count=10

out=$HB_WORK/traces
export HEAPBLAME_LEAK_SCAN=0
hb_run_bounded "$out" -- "$prog" "$target" "$count"
unset HEAPBLAME_LEAK_SCAN
assert_status "run exit status" 0 "$HB_RUN_STATUS"
[[ $HB_RUN_STATUS == 0 ]] || hb_finish
truth=$(hb_truth_line)
pid=$(hb_kv "$truth" pid)
assert_eq "programs started and ended with 0" "$(hb_kv "$truth" started)" "$(hb_kv "$truth" ok)"

mine=$(find "$out" -maxdepth 1 -name 'heapblame.spawner.*.hbt' -printf '%f ')
assert_eq "traces named after the spawner (its own only)" "heapblame.spawner.$pid.hbt " "$mine"
images=$(find "$out" -maxdepth 1 -name "heapblame.$tname.*.hbt" | wc -l)
if ((images <= 2 * count)); then
	assert_eq "traces of exec'd images (at most $((2 * count)))" ok ok
else
	assert_eq "traces of exec'd images" "<= $((2 * count))" "$images"
fi
assert_eq "other files" "" "$(find "$out" -mindepth 1 ! -name 'heapblame.spawner.*.hbt' ! -name "heapblame.$tname.*.hbt" -printf '%f ')"

hb_dump "$(hb_trace_of "$out" spawner "$pid")"
assert_dump_clean
assert_module spawner "$prog" "$truth"
assert_eq "lost_events" 0 "$(hb_total lost_events)"
assert_eq "end" "exit 0" "$(hb_total end)"
hb_finish
