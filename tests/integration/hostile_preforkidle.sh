#!/usr/bin/env bash
# hostile_preforkidle.sh - a fork child that allocates a little, then idles
# until SIGTERM, leaves a trace with its blocks.
#
# Usage: hostile_preforkidle.sh HEAPBLAME PREFORKIDLE
# tests/programs/hostile/preforkidle forks a worker that allocates 50
# blocks of 1000 bytes (fewer allocator calls than start a child's trace)
# and pauses; the parent sends it SIGTERM 300 ms later. The child's trace
# must start on time alone, since the child never calls the allocator
# again (it had no trace at all). Checks: status 0, "worker ended by
# signal 15"; two traces, the parent's and the child's (named by the pid
# the parent prints); the child's decodes without a warning, holds the
# child's ledger (50 live blocks, 50000 bytes) and ends with `signal 15`.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")

out=$HB_WORK/traces
hb_run_bounded "$out" -- "$prog"
assert_status "run exit status" 0 "$HB_RUN_STATUS"
assert_eq "the worker's end" 1 "$(grep -cx 'worker ended by signal 15' "$HB_RUN_OUT" || true)"
[[ $HB_RUN_STATUS == 0 ]] || hb_finish
child=$(hb_kv "$(hb_truth_line role=parent)" child_pid)
assert_eq "trace files" 2 "$(find "$out" -name '*.hbt' | wc -l)"
trace=$(hb_trace_of "$out" preforkidle "$child")
if [[ -f $trace ]]; then
	hb_dump "$trace"
	assert_dump_clean
	assert_module "child" "$prog" "$(hb_truth_line role=child)"
	assert_eq "child end" "signal 15" "$(hb_total end)"
else
	assert_eq "the child's trace" "$(basename "$trace")" "(none)"
fi
hb_finish
