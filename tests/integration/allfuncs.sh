#!/usr/bin/env bash
# allfuncs.sh - every allocator entry point, counted by kind.
#
# Usage: allfuncs.sh HEAPBLAME ALLFUNCS
# Runs tests/programs/allfuncs under `heapblame run -o DIR` and checks the
# trace's totals against its TRUTH line: each events.<kind> count, the total
# events, and the executable's module line (allocs, frees, live blocks and
# bytes). allfuncs makes no allocation besides the ones it counts (its output
# goes through write(2)), so the process-wide totals are its own and are
# compared exactly too. Also: one trace named heapblame.allfuncs.<pid>.hbt,
# exit status passed through, `end: exit 0`, nothing inherited or lost.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")

out=$HB_WORK/traces
hb_run "$out" -- "$prog"
assert_eq "run exit status" 0 "$HB_RUN_STATUS"
truth=$(hb_truth_line)
pid=$(hb_kv "$truth" pid)
hb_expect_traces "$out" "heapblame.allfuncs.$pid.hbt"
hb_dump "$out/heapblame.allfuncs.$pid.hbt"

for k in malloc calloc realloc reallocarray posix_memalign aligned_alloc memalign valloc pvalloc free cfree; do
	assert_eq "events.$k" "$(hb_kv "$truth" "$k")" "$(hb_total "events.$k")"
done
assert_eq "events" "$(hb_kv "$truth" events)" "$(hb_total events)"
assert_eq "live_blocks (whole process)" "$(hb_kv "$truth" live_blocks)" "$(hb_total live_blocks)"
assert_eq "live_bytes (whole process)" "$(hb_kv "$truth" live_bytes)" "$(hb_total live_bytes)"
assert_eq "inherited_blocks" 0 "$(hb_total inherited_blocks)"
assert_eq "lost_events" 0 "$(hb_total lost_events)"
assert_eq "end" "exit 0" "$(hb_total end)"
assert_module allfuncs "$prog" "$truth"
hb_finish
