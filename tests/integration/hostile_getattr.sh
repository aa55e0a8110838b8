#!/usr/bin/env bash
# hostile_getattr.sh - a thread's first allocation happens inside
# pthread_getattr_np, which holds the thread's own lock: no self-deadlock.
#
# Usage: hostile_getattr.sh HEAPBLAME GETATTR
# tests/programs/hostile/getattr: main and 4 threads call pthread_getattr_np
# on themselves before any other allocator call (glibc allocates inside it,
# holding the thread's descriptor lock; a shim asking for the thread's stack
# bounds the same way at its first traced allocation would deadlock).
# Checks: status 0 (not 124: a hang), every call gave a stack containing
# the caller; the trace decodes without a warning and ends with `exit 0`.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")

out=$HB_WORK/traces
hb_run_bounded "$out" -- "$prog"
assert_status "run exit status" 0 "$HB_RUN_STATUS"
[[ $HB_RUN_STATUS == 0 ]] || hb_finish
truth=$(hb_truth_line)
assert_eq "pthread_getattr_np calls that worked" "$(hb_kv "$truth" threads)" "$(hb_kv "$truth" ok)"
hb_dump "$(hb_trace_of "$out" getattr "$(hb_kv "$truth" pid)")"
assert_dump_clean
assert_eq "lost_events" 0 "$(hb_total lost_events)"
assert_eq "end" "exit 0" "$(hb_total end)"
hb_finish
