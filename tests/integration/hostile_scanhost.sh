#!/usr/bin/env bash
# hostile_scanhost.sh - the exit-time leak scan is invisible to the host.
#
# Usage: hostile_scanhost.sh HEAPBLAME SCANHOST MODE ROUNDS
# Runs tests/programs/hostile/scanhost MODE (see the program) ROUNDS times
# under the shim, each bounded by timeout. Every round: exit status as
# bare (0), no line on stdout or stderr that the bare run does not print
# (no EINTR, no signal received, no crash), a trace that decodes without a
# warning, a completed scan (`scan: done`) whose definite blocks are the
# program's LEAKS leaked blocks, exactly, in under 0.5 s; never the
# "defines its own allocator" warning. For pexit, the block a global holds
# is reachable; for prefork, the idle worker's trace exists, ends with its
# SIGTERM and holds its leaks. The scan used to stop threads with a signal: poll
# failed with EINTR, a sigwait thread received it, and a thread
# mprotect()ing a page crashed the scan; two concurrent unshare calls left
# two writer threads keeping the process alive.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")
mode=${3:?mode}
rounds=${4:-1}

hb_bare_bounded "$prog" "$mode"
assert_status "bare exit status" 0 "$HB_BARE_STATUS"
for ((r = 1; r <= rounds; r++)); do
	out=$HB_WORK/traces.$r
	hb_run_bounded "$out" -- "$prog" "$mode"
	assert_status "round $r: run exit status" 0 "$HB_RUN_STATUS"
	if [[ $mode == prefork ]]; then
		# the child's pid differs from the bare run's: compare the rest
		assert_eq "round $r: stdout as bare" "$(sed 's/child=[0-9]*/child=C/' "$HB_BARE_OUT")" \
			"$(sed 's/child=[0-9]*/child=C/' "$HB_RUN_OUT")"
	else
		assert_eq "round $r: stdout as bare" "$(cat "$HB_BARE_OUT")" "$(cat "$HB_RUN_OUT")"
	fi
	assert_eq "round $r: stderr lines not from heapblame" "" \
		"$(grep -v '^heapblame: ' "$HB_RUN_ERR" | grep -vxFf "$HB_BARE_ERR" || true)"
	assert_eq "round $r: no allocator warning" 0 "$(grep -c 'defines its own allocator' "$HB_RUN_ERR" || true)"
	[[ $HB_RUN_STATUS == 0 ]] || hb_finish
	if [[ $mode == prefork ]]; then
		child=$(grep -o 'child=[0-9]*' "$HB_RUN_OUT" | cut -d= -f2)
		trace=$(find "$out" -name "*.$child.hbt")
		assert_eq "round $r: the idle worker left a trace" 1 "$(grep -c . <<<"$trace")"
		[[ -n $trace ]] || continue
		hb_dump "$trace"
		assert_eq "round $r: the worker's trace ends with its signal" "signal 15" "$(hb_total end)"
		assert_eq "round $r: its 5 leaked blocks are in it" 5 \
			"$(hb_allocs_of_size 100)"
		continue
	fi
	trace=$(find "$out" -name '*.hbt')
	assert_eq "round $r: trace files" 1 "$(wc -l <<<"$trace")"
	hb_dump "$trace"
	assert_dump_clean
	assert_eq "round $r: scan" "done" "$(hb_total scan)"
	# a thread the scan cannot stop promptly used to cost it a second
	ns=$(hb_total scan_ns)
	assert_eq "round $r: the scan took under 0.5 s (scan_ns $ns)" yes \
		"$([[ $ns =~ ^[0-9]+$ ]] && ((ns < 500000000)) && echo yes || echo no)"
	assert_eq "round $r: definite blocks (the program's leaks)" 5 "$(hb_total definite_blocks)"
	assert_eq "round $r: definite bytes" 500 "$(hb_total definite_bytes)"
	if [[ $mode == pexit ]]; then
		assert_eq "round $r: the global's block is reachable" "reachable=1" "$(hb_reach_of_size 4000)"
	fi
done
hb_finish
