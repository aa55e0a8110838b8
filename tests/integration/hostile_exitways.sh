#!/usr/bin/env bash
# hostile_exitways.sh - a process that ends without returning from main
# still leaves a trace with END and its leaks, scanned where the process
# ended by a call of its own.
#
# Usage: hostile_exitways.sh HEAPBLAME EXITWAYS MODE [ROUNDS]
# tests/programs/hostile/exitways MODE leaks 12 blocks of 3001 bytes
# (definite) and holds one of 3002 (reachable), then ends as MODE says (its
# header comment); a race is run ROUNDS times (default 1), each run bounded
# by timeout. Checks, every round: the exit status and output are those
# of the bare run; one trace, decoding without a warning (so with its
# END), with the 12 leaked blocks in it. Then by mode:
#   _exit, _Exit  end `_exit 7`, `scan: done`, the 3001-byte blocks
#                 definite and the 3002-byte one reachable, and
#                 `heapblame check` fails (exit 1) on the definite leak
#                 only; for _exit also dash: `heapblame run --check -- sh
#                 -c true` passes (dash ends with _exit: its outstanding
#                 blocks were unclassified, and counted, before the scan)
#   sigpipe       status 141 (killed by SIGPIPE) bare and under the shim,
#                 end `signal 13`, `scan: none`; and `yes | head -1` with
#                 yes traced: the pipeline's statuses are those of the bare
#                 one (141 0), and yes's trace ends with `signal 13`
#   racing        end `exit 7` (a trace without END was the bug, in every
#                 run: the first thread done with the exit handlers ended
#                 the process while another wrote the END), `scan: done`,
#                 the 12 leaked blocks definite
#   latealloc     end `exit 7`, `scan: done`, no unclassified block and the
#                 12 leaked blocks definite, and `heapblame check` says the
#                 same every round (exit 1, 35.2 KiB in 12 blocks): the
#                 allocating thread's blocks after the scan used to be
#                 counted, unclassified, in some rounds (3 of 80 seen)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")
mode=${3:?mode}
rounds=${4:-1}

hb_bare_bounded "$prog" "$mode"
for ((r = 1; r <= rounds; r++)); do
	out=$HB_WORK/traces.$r
	hb_run_bounded "$out" -- "$prog" "$mode"
	assert_status "round $r: run exit status as bare" "$HB_BARE_STATUS" "$HB_RUN_STATUS"
	assert_as_bare "round $r: $mode"
	trace=$(find "$out" -name '*.hbt')
	assert_eq "round $r: trace files" 1 "$(wc -l <<<"$trace")"
	[[ -n $trace ]] || continue
	hb_dump "$trace"
	assert_dump_clean
	assert_eq "round $r: leaked blocks in the trace" 12 "$(hb_allocs_of_size 3001)"

	case $mode in
	_exit | _Exit)
		assert_eq "bare exit status" 7 "$HB_BARE_STATUS"
		assert_eq "end" "_exit 7" "$(hb_total end)"
		assert_eq "scan" "done" "$(hb_total scan)"
		assert_eq "kinds of the leaked blocks" "definite=12" "$(hb_kinds_of_size 3001)"
		assert_eq "kinds of the held block" "reachable=1" "$(hb_kinds_of_size 3002)"
		set +e
		"$HB" check "$trace" >"$HB_WORK/check.out" 2>&1
		st=$?
		set -e
		sed 's/^/   check| /' "$HB_WORK/check.out"
		assert_eq "check exit status (definite leak)" 1 "$st"
		assert_eq "check: the verdict counts the 12 definite blocks" 1 \
			"$(grep -c '^heapblame: 35.2 KiB in 12 blocks leaked in 1 module (budget 0): FAIL$' "$HB_WORK/check.out" || true)"
		assert_eq "check: no unclassified block" 0 "$(grep -c 'unclassified [0-9]\|no reachability scan' "$HB_WORK/check.out" || true)"
		if [[ $mode == _exit ]]; then
			sh=$(command -v dash || true)
			[[ -n $sh ]] || hb_error "dash not found (scripts/bootstrap installs it)"
			hb_run_bounded "$HB_WORK/dash" --check -- "$sh" -c true
			assert_status "dash: run --check exit status (0: nothing leaked)" 0 "$HB_RUN_STATUS"
			dtrace=$(find "$HB_WORK/dash" -name '*.hbt')
			assert_eq "dash: trace files" 1 "$(wc -l <<<"$dtrace")"
			hb_dump "$dtrace"
			assert_eq "dash: end" "_exit 0" "$(hb_total end)"
			assert_eq "dash: scan" "done" "$(hb_total scan)"
			assert_eq "dash: unclassified blocks" 0 "$(hb_total unclassified_blocks)"
		fi
		;;
	sigpipe)
		assert_eq "bare exit status (128 + SIGPIPE)" 141 "$HB_BARE_STATUS"
		assert_eq "end" "signal 13" "$(hb_total end)"
		assert_eq "scan" "none" "$(hb_total scan)"
		yes=$(command -v yes) || hb_error "yes(1) not found"
		set +e
		bare_pipe=$(trap - PIPE; "$yes" | head -1; echo "status ${PIPESTATUS[*]}")
		mkdir -p "$HB_WORK/yes"
		traced_pipe=$(trap - PIPE; "$HB" run -q -o "$HB_WORK/yes" -- "$yes" | head -1; echo "status ${PIPESTATUS[*]}")
		set -e
		assert_eq "yes | head -1: bare" "$(printf 'y\nstatus 141 0')" "$bare_pipe"
		assert_eq "yes | head -1: traced as bare" "$bare_pipe" "$traced_pipe"
		ytrace=$(find "$HB_WORK/yes" -name '*.hbt')
		assert_eq "yes: trace files" 1 "$(wc -l <<<"$ytrace")"
		hb_dump "$ytrace"
		assert_dump_clean
		assert_eq "yes: end" "signal 13" "$(hb_total end)"
		;;
	racing)
		assert_eq "round $r: end" "exit 7" "$(hb_total end)"
		assert_eq "round $r: scan" "done" "$(hb_total scan)"
		assert_eq "round $r: kinds of the leaked blocks" "definite=12" "$(hb_kinds_of_size 3001)"
		;;
	latealloc)
		assert_eq "round $r: end" "exit 7" "$(hb_total end)"
		assert_eq "round $r: scan" "done" "$(hb_total scan)"
		assert_eq "round $r: unclassified blocks" 0 "$(hb_total unclassified_blocks)"
		assert_eq "round $r: kinds of the leaked blocks" "definite=12" "$(hb_kinds_of_size 3001)"
		set +e
		"$HB" check "$trace" >"$HB_WORK/check.$r.out" 2>&1
		st=$?
		set -e
		assert_eq "round $r: check exit status" 1 "$st"
		assert_eq "round $r: check verdict" \
			"heapblame: 35.2 KiB in 12 blocks leaked in 1 module (budget 0): FAIL" \
			"$(tail -1 "$HB_WORK/check.$r.out")"
		;;
	*)
		hb_error "unknown mode $mode"
		;;
	esac
done
hb_finish
