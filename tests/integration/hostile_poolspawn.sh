#!/usr/bin/env bash
# hostile_poolspawn.sh - threads created while the exit-time scan stops the
# process are scanned too: a block held on a live thread's stack is never a
# definite leak.
#
# Usage: hostile_poolspawn.sh HEAPBLAME POOLSPAWN ROUNDS
# tests/programs/hostile/poolspawn has a thread start worker threads one
# after the other while main returns; each worker holds a 100-byte block
# in a local variable only, and lives on. Nothing leaks. A thread the scan
# has not stopped yet may start another, whose stack the scan must then
# read (it did not: some of those blocks were called definite). Timing
# decides which threads are new, so the program runs ROUNDS times. Checks,
# every round: status 0 and the bare run's output, one trace with `scan:
# done`, `end: exit 0`, no definite block at all, and at least 50 of the
# workers' blocks reachable (50 held theirs before main returned). A block
# may be unclassified (no REACH record: a thread the scan could not
# read), never definite.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")
rounds=${3:?rounds}

hb_bare_bounded "$prog"
[[ $HB_BARE_STATUS == 0 ]] || hb_error "poolspawn fails without the shim (status $HB_BARE_STATUS)"
truth=$(sed -n 's/^TRUTH //p' "$HB_BARE_OUT")
for ((r = 1; r <= rounds; r++)); do
	out=$HB_WORK/traces.$r
	hb_run_bounded "$out" -q -- "$prog"
	assert_status "round $r: run exit status" 0 "$HB_RUN_STATUS"
	assert_as_bare "round $r"
	trace=$(find "$out" -name '*.hbt')
	assert_eq "round $r: trace files" 1 "$(wc -l <<<"$trace")"
	[[ -n $trace ]] || continue
	hb_dump "$trace"
	assert_eq "round $r: scan" "done" "$(hb_total scan)"
	assert_eq "round $r: end" "exit 0" "$(hb_total end)"
	assert_eq "round $r: definite_blocks" 0 "$(hb_total definite_blocks)"
	kinds=$(hb_kinds_of_size "$(hb_kv "$truth" held_size)")
	echo "   the workers' blocks: $kinds"
	reachable=$(sed -n 's/.*reachable=\([0-9]*\).*/\1/p' <<<"$kinds")
	assert_ge "round $r: the workers' blocks reachable" "$(hb_kv "$truth" min_workers)" "${reachable:-0}"
done
hb_finish
