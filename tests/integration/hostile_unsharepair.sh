#!/usr/bin/env bash
# hostile_unsharepair.sh - two concurrent unshare(CLONE_NEWUSER) calls leave
# one writer thread, and the process ends when its last thread does.
#
# Usage: hostile_unsharepair.sh HEAPBLAME UNSHAREPAIR ROUNDS
# tests/programs/hostile/unsharepair: two threads call
# unshare(CLONE_NEWUSER) at once (both fail with EINVAL, bare too: the
# process has two threads), main prints the results and the process's
# thread count, and ends with pthread_exit as the last thread. Under the
# shim its writer thread is still there and must end the process, which it
# does when it finds itself alone, at its next wake-up: the runs use
# --interval 100. The two calls used to leave two writers, about every
# other run, and the process never ended: the program runs ROUNDS times,
# each run bounded (5 s), until one fails. Checks, every round: status 0,
# within 1 s of the bare run's time; the output of the bare run, apart
# from the thread count, which may count one more thread (the writer), not
# two; one trace, `scan: done`, `end: exit 0`.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"
HB_RUN_TIMEOUT=5
hb_setup "$1"
prog=$(hb_prog "$2")
rounds=${3:?rounds}

hb_bare_bounded "$prog"
[[ $HB_BARE_STATUS == 0 ]] || hb_error "unsharepair fails without the shim (status $HB_BARE_STATUS)"
bare_threads=$(sed -n 's/^threads=//p' "$HB_BARE_OUT")
for ((r = 1; r <= rounds; r++)); do
	out=$HB_WORK/traces.$r
	hb_run_bounded "$out" --interval 100 -- "$prog"
	assert_status "round $r: run exit status" 0 "$HB_RUN_STATUS"
	assert_lt "round $r: extra wall time under the shim, ms" 1000 "$((HB_RUN_MS - HB_BARE_MS))"
	assert_eq "round $r: stdout as bare, thread count aside" "$(grep -v '^threads=' "$HB_BARE_OUT")" \
		"$(grep -v '^threads=' "$HB_RUN_OUT")"
	assert_eq "round $r: stderr as bare (heapblame's lines aside)" "$(cat "$HB_BARE_ERR")" \
		"$(grep -v '^heapblame: ' "$HB_RUN_ERR" || true)"
	assert_in "round $r: threads under the shim (the host's, and one writer at most)" \
		"$(sed -n 's/^threads=//p' "$HB_RUN_OUT")" "$bare_threads" "$((bare_threads + 1))"
	[[ $HB_RUN_STATUS == 0 ]] || break # a hang costs seconds: one is enough
	trace=$(find "$out" -name '*.hbt')
	assert_eq "round $r: trace files" 1 "$(wc -l <<<"$trace")"
	[[ -n $trace ]] || continue
	hb_dump "$trace"
	assert_dump_clean
	assert_eq "round $r: scan" "done" "$(hb_total scan)"
	assert_eq "round $r: end" "exit 0" "$(hb_total end)"
done
hb_finish
