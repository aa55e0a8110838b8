#!/usr/bin/env bash
# exit_error.sh - the exit status is recorded on every exit() path (the
# issue Harden, item 7), also those libc takes from inside, where the
# interposed exit() is not called.
#
# Usage: exit_error.sh HEAPBLAME
#   - `sort /nonexistent` ends through glibc's error(2, ...): its trace
#     ends "exit 2" (it said "exit ?"), and run passes 2 through;
#   - `awk 'BEGIN { exit 3 }'` ends "exit 3".
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
hb_setup "$1"
hb_run "$HB_WORK/sort" -- sort /nonexistent
assert_eq "sort /nonexistent: run's exit status" 2 "$HB_RUN_STATUS"
hb_dump "$HB_WORK"/sort/*.hbt
assert_eq "sort /nonexistent: the trace's end" "exit 2" "$(hb_total end)"
hb_run "$HB_WORK/awk" -- awk 'BEGIN { exit 3 }'
assert_eq "awk exit 3: run's exit status" 3 "$HB_RUN_STATUS"
hb_dump "$HB_WORK"/awk/*.hbt
assert_eq "awk exit 3: the trace's end" "exit 3" "$(hb_total end)"
hb_finish
