#!/usr/bin/env bash
# hostile_eintrwait.sh - threads asleep in poll, nanosleep, epoll_wait,
# io_getevents, sigtimedwait or recv with a timeout, in a program without
# signal handlers, sleep on through the exit-time scan.
#
# Usage: hostile_eintrwait.sh HEAPBLAME EINTRWAIT CALLS ROUNDS
# tests/programs/hostile/eintrwait CALLS starts one worker per call in
# CALLS (poll, nanosleep, epoll_wait, io_getevents, sigtimedwait,
# recv_timeo) that waits forever and treats any
# failure, EINTR included, as fatal (a line on stderr, exit status 9);
# main leaks 20000 blocks and returns. The scan that stops the workers must
# be invisible to them. It was timing-dependent (the worker has to run
# before the process is gone), so the program runs ROUNDS times. Checks,
# every round: the exit status and the output of the bare run (no
# "Interrupted system call" on stderr), one trace that decodes without a
# warning, with the program's ledger, `scan: done` and `end: exit 0`.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")
calls=${3:?calls}
rounds=${4:?rounds}

hb_bare_bounded "$prog" "$calls"
[[ $HB_BARE_STATUS == 0 ]] || hb_error "eintrwait fails without the shim (status $HB_BARE_STATUS)"
for ((r = 1; r <= rounds; r++)); do
	out=$HB_WORK/traces.$r
	hb_run_bounded "$out" -- "$prog" "$calls"
	assert_status "round $r: run exit status (9: a worker's call failed)" 0 "$HB_RUN_STATUS"
	assert_as_bare "round $r"
	trace=$(find "$out" -name '*.hbt')
	assert_eq "round $r: trace files" 1 "$(wc -l <<<"$trace")"
	[[ -n $trace ]] || continue
	hb_dump "$trace"
	assert_dump_clean
	assert_module "round $r: eintrwait" "$prog" "$(hb_truth_line "calls=$calls")"
	assert_eq "round $r: scan" "done" "$(hb_total scan)"
	assert_eq "round $r: end" "exit 0" "$(hb_total end)"
done
hb_finish
