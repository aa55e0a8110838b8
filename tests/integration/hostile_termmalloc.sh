#!/usr/bin/env bash
# hostile_termmalloc.sh - SIGTERM lands while the program is inside malloc or
# free: no hang, and the trace still ends with the signal.
#
# Usage: hostile_termmalloc.sh HEAPBLAME TERMMALLOC
# tests/programs/hostile/termmalloc leaks a block of 5309 bytes, then loops
# on malloc/free while a helper thread sends the looping thread SIGTERM
# after 150 ms (shorter than a flush period: only the signal's flush can
# write the leak). signals.sh covers SIGTERM outside the allocator; here the
# handler interrupts the allocator, or the shim inside it. Three runs, since
# where the signal lands varies. Checks, each run: status 143 (not 124: a
# hang); the trace decodes; it ends with `signal 15`; the leaked block is
# in it.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")

for run in 1 2 3; do
	out=$HB_WORK/traces$run
	hb_run_bounded "$out" -- "$prog"
	assert_status "run $run exit status (SIGTERM)" 143 "$HB_RUN_STATUS"
	[[ $HB_RUN_STATUS == 124 || $HB_RUN_STATUS == 137 ]] && break # a hang is the verdict
	[[ $HB_RUN_STATUS == 143 ]] || continue
	pid=$(hb_kv "$(hb_truth_line)" pid)
	hb_dump "$(hb_trace_of "$out" termmalloc "$pid")"
	assert_eq "run $run end" "signal 15" "$(hb_total end)"
	assert_eq "run $run: the leaked block is in the trace" 1 "$(hb_allocs_of_size 5309)"
done
hb_finish
