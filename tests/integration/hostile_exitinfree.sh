#!/usr/bin/env bash
# hostile_exitinfree.sh - a signal handler calls _exit while the program is
# inside free or malloc: the process ends, and its trace is readable.
#
# Usage: hostile_exitinfree.sh HEAPBLAME EXITINFREE
# tests/programs/hostile/exitinfree loops on free/malloc under a 300 us
# interval timer; its SIGALRM handler calls _exit(3) on the 40th signal,
# usually with the allocator, or the shim inside it, interrupted and holding
# its locks. The shim flushes at _exit unless that would wait for a lock the
# interrupted code holds. Three runs. Checks, each run: status 3 (not 124:
# a hang); the trace decodes (dump exits 0); it ends with `_exit 3`, or with
# no END at all when _exit interrupted the shim itself (then the trace is as
# of its last flush, and dump says so).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")

for run in 1 2 3; do
	out=$HB_WORK/traces$run
	hb_run_bounded "$out" -- "$prog"
	assert_status "run $run exit status (_exit 3 from the handler)" 3 "$HB_RUN_STATUS"
	[[ $HB_RUN_STATUS == 124 || $HB_RUN_STATUS == 137 ]] && break # a hang is the verdict
	[[ $HB_RUN_STATUS == 3 ]] || continue
	pid=$(hb_kv "$(hb_truth_line)" pid)
	hb_dump "$(hb_trace_of "$out" exitinfree "$pid")"
	assert_in "run $run end" "$(hb_total end)" "_exit 3" none
done
hb_finish
