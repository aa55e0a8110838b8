#!/usr/bin/env bash
# hostile_coroexit.sh - exit() from a coroutine on a heap stack: a block
# held on the thread's real stack is reachable, not a leak.
#
# Usage: hostile_coroexit.sh HEAPBLAME COROEXIT
# tests/programs/hostile/coroexit: main keeps a 1111-byte block's address
# only in a local, loses 5 blocks of 100 bytes, and switches
# (makecontext/swapcontext) to a coroutine whose 64 KiB stack is a heap
# block; the coroutine calls exit(0). The exit-time scan runs with the
# stack pointer inside that heap block, and read the stack from there
# only: main's frames were missed and the held block called definite.
# Checks: status 0 and the bare run's output; one trace with `scan: done`,
# the held block reachable, the 5 lost blocks definite (the scan does
# tell leaks apart), `end: exit 0`.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")

hb_bare_bounded "$prog"
[[ $HB_BARE_STATUS == 0 ]] || hb_error "coroexit fails without the shim (status $HB_BARE_STATUS)"
out=$HB_WORK/traces
hb_run_bounded "$out" -- "$prog"
assert_status "run exit status" 0 "$HB_RUN_STATUS"
assert_as_bare coroexit
truth=$(hb_truth_line)
trace=$(find "$out" -name '*.hbt')
assert_eq "trace files" 1 "$(wc -l <<<"$trace")"
[[ -n $trace ]] || hb_finish
hb_dump "$trace"
assert_dump_clean
assert_eq "scan" "done" "$(hb_total scan)"
assert_eq "the block held on main's stack" reachable=1 "$(hb_kinds_of_size "$(hb_kv "$truth" held_size)")"
assert_eq "the coroutine's stack" reachable=1 "$(hb_kinds_of_size "$(hb_kv "$truth" stack_size)")"
assert_eq "the lost blocks" "definite=$(hb_kv "$truth" leaks)" "$(hb_kinds_of_size "$(hb_kv "$truth" leak_size)")"
assert_eq "end" "exit 0" "$(hb_total end)"
hb_finish
