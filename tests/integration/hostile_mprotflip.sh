#!/usr/bin/env bash
# hostile_mprotflip.sh - a live heap page switched to PROT_NONE while the
# process exits does not crash the exit-time scan.
#
# Usage: hostile_mprotflip.sh HEAPBLAME MPROTFLIP ROUNDS
# tests/programs/hostile/mprotflip has a thread switch a live block (a page,
# which holds the only pointer to another block) between PROT_NONE and
# read/write in a loop while main returns. The scan, which reads live
# blocks, must not fault on it (it did, every time: status 139). The page
# is readable at some moments and not at others, so the program runs
# ROUNDS times. Checks, every round: exit status 0 and the output of the
# bare run, one trace ending with `exit 0` after a scan that completed
# (`scan: done`).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")
rounds=${3:?rounds}

hb_bare_bounded "$prog"
[[ $HB_BARE_STATUS == 0 ]] || hb_error "mprotflip fails without the shim (status $HB_BARE_STATUS)"
for ((r = 1; r <= rounds; r++)); do
	out=$HB_WORK/traces.$r
	hb_run_bounded "$out" -q -- "$prog"
	assert_status "round $r: run exit status (139: the scan faulted)" 0 "$HB_RUN_STATUS"
	assert_as_bare "round $r"
	trace=$(find "$out" -name '*.hbt')
	assert_eq "round $r: trace files" 1 "$(wc -l <<<"$trace")"
	[[ -n $trace ]] || continue
	hb_dump "$trace"
	assert_eq "round $r: scan" "done" "$(hb_total scan)"
	assert_eq "round $r: end" "exit 0" "$(hb_total end)"
done
hb_finish
