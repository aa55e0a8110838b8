#!/usr/bin/env bash
# hostile_churn.sh - many short-lived threads allocating and freeing, flushed
# every 10 ms: not one folded count lost.
#
# Usage: hostile_churn.sh HEAPBLAME THREADCHURN
# tests/programs/hostile/threadchurn runs 250 rounds of 8 threads; each
# allocates 120 blocks from four call sites and frees all but one at once
# (young deaths, folded into per-thread counters that must survive the
# thread's exit and the reuse of its buffer by the next thread). Runs with
# `--interval 10`. Checks: status 0; events.malloc and the module's allocs
# and frees equal the truth exactly (frees of the loader's per-thread blocks
# go to ld.so's line, so events.free is checked through the module line);
# nothing lost; `exit 0`.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")

out=$HB_WORK/traces
hb_run_bounded "$out" --interval 10 -- "$prog"
assert_status "run exit status" 0 "$HB_RUN_STATUS"
[[ $HB_RUN_STATUS == 0 ]] || hb_finish
truth=$(hb_truth_line)
pid=$(hb_kv "$truth" pid)
hb_expect_traces "$out" "heapblame.threadchurn.$pid.hbt"
hb_dump "$(hb_trace_of "$out" threadchurn "$pid")"
assert_dump_clean
assert_eq "events.malloc" "$(hb_kv "$truth" malloc)" "$(hb_total events.malloc)"
assert_module threadchurn "$prog" "$truth"
assert_eq "lost_events" 0 "$(hb_total lost_events)"
assert_eq "end" "exit 0" "$(hb_total end)"
hb_finish
