#!/usr/bin/env bash
# hostile_daemonize.sh - a double-forked daemon (setsid, chdir /, standard
# descriptors on /dev/null) writes a complete trace of its own.
#
# Usage: hostile_daemonize.sh HEAPBLAME DAEMONIZE
# tests/programs/hostile/daemonize: parent -> child (setsid, fork, _exit) ->
# daemon, which allocates, reports its truth through a pipe and exits 0;
# the parent waits for the pipe to close. Checks: status 0; the daemon's and
# the parent's traces are in the output directory (a relative heapblame
# run --output, taken from where run started, though the daemon moved to /);
# each decodes without a warning, carries its ledger and ends with `exit 0`.
# The middle child, which never allocates, is not checked.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")

cd "$HB_WORK"
hb_run_bounded traces -- "$prog"
assert_status "run exit status" 0 "$HB_RUN_STATUS"
[[ $HB_RUN_STATUS == 0 ]] || hb_finish
parent=$(hb_truth_line role=parent)
daemon=$(hb_truth_line role=daemon)
assert_eq "middle child exited 0" 1 "$(hb_kv "$parent" middle_ok)"
for role in parent daemon; do
	[[ $role == parent ]] && truth=$parent || truth=$daemon
	trace=$(hb_trace_of "$HB_WORK/traces" daemonize "$(hb_kv "$truth" pid)")
	assert_eq "$role trace exists" yes "$([[ -f $trace ]] && echo yes || echo no)"
	[[ -f $trace ]] || continue
	hb_dump "$trace"
	assert_dump_clean
	assert_module "$role" "$prog" "$truth"
	assert_eq "$role end" "exit 0" "$(hb_total end)"
done
hb_finish
