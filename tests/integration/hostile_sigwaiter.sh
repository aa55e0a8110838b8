#!/usr/bin/env bash
# hostile_sigwaiter.sh - a program that blocks every signal and takes them
# with sigwait() receives none from the exit-time scan, and exits as fast.
#
# Usage: hostile_sigwaiter.sh HEAPBLAME SIGWAITER
# tests/programs/hostile/sigwaiter blocks every signal in every thread; one
# thread sigwait()s for all of them and ends the process with status 3 on
# any it is given (saying which on stdout). Nothing sends one, bare or
# under the shim. Checks: the exit status and output of the bare run, one
# trace that decodes without a warning, with the program's ledger, `scan:
# done` and `end: exit 0`; and no wait for threads that cannot answer: the
# scan took under 500 ms, and the run under the shim took less than a
# second longer than the bare run (it took a second more when the scan
# waited for the blocked threads).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")

hb_bare_bounded "$prog"
[[ $HB_BARE_STATUS == 0 ]] || hb_error "sigwaiter fails without the shim (status $HB_BARE_STATUS)"
out=$HB_WORK/traces
hb_run_bounded "$out" -- "$prog"
assert_status "run exit status (3: the signal thread got a signal)" 0 "$HB_RUN_STATUS"
assert_as_bare sigwaiter
assert_lt "extra wall time under the shim, ms" 1000 "$((HB_RUN_MS - HB_BARE_MS))"
trace=$(find "$out" -name '*.hbt')
assert_eq "trace files" 1 "$(wc -l <<<"$trace")"
[[ -n $trace ]] || hb_finish
hb_dump "$trace"
assert_dump_clean
assert_module sigwaiter "$prog" "$(hb_truth_line)"
assert_eq "scan" "done" "$(hb_total scan)"
assert_lt "scan_ns" 500000000 "$(hb_total scan_ns)"
assert_eq "end" "exit 0" "$(hb_total end)"
hb_finish
