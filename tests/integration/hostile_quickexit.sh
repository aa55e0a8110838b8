#!/usr/bin/env bash
# hostile_quickexit.sh - a program ending with quick_exit still gets an END.
#
# Usage: hostile_quickexit.sh HEAPBLAME QUICKEXIT
# tests/programs/hostile/quickexit leaks 2345 bytes, registers its own
# at_quick_exit handler and calls quick_exit(5). Checks: status 5; its own
# handler ran; the trace decodes without a warning, ends with an exit (END
# written, with the status: `exit 5`), was scanned as any exit is (`scan:
# done`) and holds the leak.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")

out=$HB_WORK/traces
hb_run_bounded "$out" -- "$prog"
assert_status "run exit status" 5 "$HB_RUN_STATUS"
assert_eq "own at_quick_exit handler ran" 1 "$(grep -c '^own quick_exit handler ran$' "$HB_RUN_OUT" || true)"
[[ $HB_RUN_STATUS == 5 ]] || hb_finish
pid=$(hb_kv "$(hb_truth_line)" pid)
hb_dump "$(hb_trace_of "$out" quickexit "$pid")"
assert_dump_clean
assert_eq "end" "exit 5" "$(hb_total end)"
assert_eq "scan" "done" "$(hb_total scan)"
assert_eq "the leaked block is in the trace" 1 "$(hb_allocs_of_size 2345)"
hb_finish
