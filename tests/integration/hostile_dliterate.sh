#!/usr/bin/env bash
# hostile_dliterate.sh - allocations inside dl_iterate_phdr callbacks, racing
# allocations in another thread, all from new call stacks: no deadlock, and
# every allocation accounted.
#
# Usage: hostile_dliterate.sh HEAPBLAME DLITERATE
# tests/programs/hostile/dliterate: thread A allocates in its
# dl_iterate_phdr callback (the loader's lock held), thread B outside it,
# each from 2^14 stacks never seen before (a tracer learning a new stack's
# modules must not wait for the loader lock while holding its own). Checks:
# the run ends (within the timeout) with status 0; the executable's module
# line equals the truth; events.malloc equals the program's mallocs exactly
# (the loader's per-thread blocks are calloc); nothing lost; the end is
# recorded.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")

out=$HB_WORK/traces
hb_run_bounded "$out" -- "$prog"
assert_status "run exit status" 0 "$HB_RUN_STATUS"
[[ $HB_RUN_STATUS == 0 ]] || hb_finish
truth=$(hb_truth_line)
pid=$(hb_kv "$truth" pid)
hb_expect_traces "$out" "heapblame.dliterate.$pid.hbt"
hb_dump "$(hb_trace_of "$out" dliterate "$pid")"
assert_dump_clean
assert_module dliterate "$prog" "$truth"
assert_eq "events.malloc (every malloc of the process is the program's)" "$(hb_kv "$truth" malloc)" \
	"$(hb_total events.malloc)"
assert_eq "lost_events" 0 "$(hb_total lost_events)"
assert_eq "end" "exit 0" "$(hb_total end)"
hb_finish
