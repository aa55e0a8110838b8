#!/usr/bin/env bash
# threads.sh - 8 threads freeing each other's blocks, with address reuse.
#
# Usage: threads.sh HEAPBLAME THREADS
# Runs tests/programs/threads under `heapblame run` and checks the
# executable's module line against the TRUTH line (allocs, frees, live blocks
# and bytes): a tracer that pairs a free with the wrong allocation when an
# address is reused across threads reports the wrong live set. Process-wide
# totals also include the loader's per-thread TLS allocations (blamed on
# ld.so), so only the module line is compared exactly; nothing may be lost.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")

out=$HB_WORK/traces
hb_run "$out" -- "$prog"
assert_eq "run exit status" 0 "$HB_RUN_STATUS"
truth=$(hb_truth_line)
pid=$(hb_kv "$truth" pid)
hb_expect_traces "$out" "heapblame.threads.$pid.hbt"
hb_dump "$out/heapblame.threads.$pid.hbt"

assert_module threads "$prog" "$truth"
assert_ge "events.free (process-wide)" "$(hb_kv "$truth" free)" "$(hb_total events.free)"
assert_ge "events.malloc (process-wide)" "$(hb_kv "$truth" malloc)" "$(hb_total events.malloc)"
assert_ge "events.calloc (process-wide)" "$(hb_kv "$truth" calloc)" "$(hb_total events.calloc)"
assert_eq "lost_events" 0 "$(hb_total lost_events)"
assert_eq "inherited_blocks" 0 "$(hb_total inherited_blocks)"
assert_eq "end" "exit 0" "$(hb_total end)"
hb_finish
