#!/usr/bin/env bash
# hostile_userns.sh - unshare(CLONE_NEWUSER) after start succeeds under the
# shim as it does bare.
#
# Usage: hostile_userns.sh HEAPBLAME USERNS
# The kernel allows CLONE_NEWUSER only to a single-threaded process; the
# shim's writer thread must not make the host fail. Skipped (77) when the
# call fails bare (user namespaces disabled, or not allowed in this
# container). Checks: traced, status 0 and the same output as bare (the
# result and the uid seen in the new namespace); the trace decodes without
# a warning, carries the ledger of the allocations before and after the
# call, and ends with `exit 0`.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")

hb_bare_bounded "$prog"
[[ $HB_BARE_STATUS == 0 ]] || hb_skip "unshare(CLONE_NEWUSER) fails without the shim: $(head -1 "$HB_BARE_OUT")"
out=$HB_WORK/traces
hb_run_bounded "$out" -- "$prog"
assert_status "run exit status" 0 "$HB_RUN_STATUS"
assert_eq "output as bare" "$(cat "$HB_BARE_OUT")" "$(cat "$HB_RUN_OUT")"
[[ $HB_RUN_STATUS == 0 ]] || hb_finish
truth=$(hb_truth_line)
trace=$(find "$out" -name '*.hbt')
assert_eq "trace files" 1 "$(wc -l <<<"$trace")"
hb_dump "$trace"
assert_dump_clean
assert_module userns "$prog" "$truth"
assert_eq "lost_events" 0 "$(hb_total lost_events)"
assert_eq "end" "exit 0" "$(hb_total end)"
hb_finish
