#!/usr/bin/env bash
# hostile_stackmin.sh - threads with a PTHREAD_STACK_MIN stack allocate at the
# end of a call chain: no crash, the same output as bare, at every --depth.
#
# Usage: hostile_stackmin.sh HEAPBLAME STACKMIN [DEPTHS]
# tests/programs/hostile/stackmin runs 8 threads with the smallest stack
# glibc allows, each descending 24 frames (about a third of the usable
# stack) before allocating. Whatever the shim does inside those allocations
# runs on what is left, and its frames must not grow with --depth: until
# they moved to the thread's buffer, --depth 128 and 256 crashed (139).
# For each depth of DEPTHS (default "64 128 256"), checks: bare, the program
# succeeds (else the test itself is wrong); traced with `-d DEPTH`, it ends
# with the same status and prints exactly the same (the TRUTH line holds no
# pid); the trace decodes without a warning, was recorded at that depth, its
# module line equals the truth and it ends with `exit 0`.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")

depths=${3:-64 128 256}

hb_bare_bounded "$prog"
[[ $HB_BARE_STATUS == 0 ]] || hb_error "stackmin fails without the shim (status $HB_BARE_STATUS)"
for depth in $depths; do
	out=$HB_WORK/traces-$depth
	hb_run_bounded "$out" -d "$depth" -- "$prog"
	assert_status "-d $depth: run exit status (139 would be a crash)" 0 "$HB_RUN_STATUS"
	assert_eq "-d $depth: output as bare" "$(cat "$HB_BARE_OUT")" "$(cat "$HB_RUN_OUT")"
	[[ $HB_RUN_STATUS == 0 ]] || continue
	truth=$(hb_truth_line)
	assert_eq "-d $depth: threads created" 0 "$(hb_kv "$truth" create_failed)"
	trace=$(find "$out" -name '*.hbt')
	assert_eq "-d $depth: trace files" 1 "$(wc -l <<<"$trace")"
	hb_dump "$trace"
	assert_dump_clean
	assert_eq "-d $depth: recorded at that depth" "$depth" "$(sed -n 's/^PROCESS .* depth=\([0-9]*\) .*/\1/p' "$HB_DUMP" | head -1)"
	assert_module stackmin "$prog" "$truth"
	assert_eq "-d $depth: lost_events" 0 "$(hb_total lost_events)"
	assert_eq "-d $depth: end" "exit 0" "$(hb_total end)"
done
hb_finish
truth=$(hb_truth_line)
assert_eq "threads created" 0 "$(hb_kv "$truth" create_failed)"
trace=$(find "$out" -name '*.hbt')
assert_eq "trace files" 1 "$(wc -l <<<"$trace")"
hb_dump "$trace"
assert_dump_clean
assert_module stackmin "$prog" "$truth"
assert_eq "lost_events" 0 "$(hb_total lost_events)"
assert_eq "end" "exit 0" "$(hb_total end)"
hb_finish
