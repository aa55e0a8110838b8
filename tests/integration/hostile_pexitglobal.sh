#!/usr/bin/env bash
# hostile_pexitglobal.sh - after main's pthread_exit, the exit-time scan on
# the last thread still finds the roots: a block a global holds is
# reachable, not a leak.
#
# Usage: hostile_pexitglobal.sh HEAPBLAME PEXITGLOBAL
# tests/programs/hostile/pexitglobal: main calls pthread_exit; the worker
# waits until main is a zombie, loses 5 blocks of 100 bytes, stores a block
# of 4000 bytes in a global and returns, which ends the process. With the
# thread-group leader a zombie, /proc/self/maps reads as empty, and the
# scan found no root at all (root_bytes=0, the global's block definite).
# Under the shim the writer thread is left, and ends the process when it
# finds itself alone, at its next wake-up: the run uses --interval 100.
# Checks: status 0 and the bare run's output; one trace, `scan: done` with
# root_bytes > 0, the 4000-byte block reachable, the 5 lost blocks
# definite (the scan does tell leaks apart), `end: exit 0`.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")

hb_bare_bounded "$prog"
[[ $HB_BARE_STATUS == 0 ]] || hb_error "pexitglobal fails without the shim (status $HB_BARE_STATUS)"
out=$HB_WORK/traces
hb_run_bounded "$out" --interval 100 -- "$prog"
assert_status "run exit status" 0 "$HB_RUN_STATUS"
assert_as_bare pexitglobal
truth=$(hb_truth_line)
trace=$(find "$out" -name '*.hbt')
assert_eq "trace files" 1 "$(wc -l <<<"$trace")"
[[ -n $trace ]] || hb_finish
hb_dump "$trace"
assert_dump_clean
assert_eq "scan" "done" "$(hb_total scan)"
assert_ge "scan root_bytes" 1 "$(hb_scan_field root_bytes)"
assert_eq "the global's block" reachable=1 "$(hb_kinds_of_size "$(hb_kv "$truth" held_size)")"
assert_eq "the lost blocks" "definite=$(hb_kv "$truth" leaks)" "$(hb_kinds_of_size "$(hb_kv "$truth" leak_size)")"
assert_eq "end" "exit 0" "$(hb_total end)"
hb_finish
