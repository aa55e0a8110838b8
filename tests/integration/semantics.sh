#!/usr/bin/env bash
# semantics.sh - libc's observable allocator behaviour, bare and traced.
#
# Usage: semantics.sh HEAPBLAME SEMANTICS bare|run|preload [SHIM]
# tests/programs/semantics checks errno, failure returns, alignment, realloc,
# calloc overflow and zeroing, signals during allocation, threads and fork
# itself, and exits 0 only if every check held. Modes:
#   bare     the program alone: proves its checks hold for glibc itself;
#   run      under `heapblame run`: the shim must change nothing observable,
#            and the parent and its fork child each leave a decodable trace;
#   preload  with LD_PRELOAD=SHIM and HEAPBLAME_OUTPUT=DIR/%e.%p.hbt set
#            directly (no `heapblame run`): same expectations.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")
mode=${3:-bare}
out=$HB_WORK/traces

case $mode in
bare)
	HB_RUN_OUT=$HB_WORK/bare.out
	HB_RUN_ERR=$HB_WORK/bare.err
	set +e
	"$prog" >"$HB_RUN_OUT" 2>"$HB_RUN_ERR"
	HB_RUN_STATUS=$?
	set -e
	cat "$HB_RUN_OUT" "$HB_RUN_ERR"
	;;
run)
	hb_run "$out" -- "$prog"
	;;
preload)
	shim=$(realpath "${4:?preload mode needs the shim path}")
	mkdir -p "$out"
	HB_RUN_OUT=$HB_WORK/preload.out
	HB_RUN_ERR=$HB_WORK/preload.err
	set +e
	LD_PRELOAD=$shim HEAPBLAME_OUTPUT="$out/%e.%p.hbt" "$prog" >"$HB_RUN_OUT" 2>"$HB_RUN_ERR"
	HB_RUN_STATUS=$?
	set -e
	echo "== LD_PRELOAD=$shim HEAPBLAME_OUTPUT=$out/%e.%p.hbt $prog (exit status $HB_RUN_STATUS)"
	sed 's/^/   stdout| /' "$HB_RUN_OUT"
	sed 's/^/   stderr| /' "$HB_RUN_ERR"
	;;
*) hb_error "mode must be bare, run or preload, not $mode" ;;
esac

truth=$(hb_truth_line)
assert_eq "failed checks" 0 "$(hb_kv "$truth" failed)"
assert_eq "exit status" 0 "$HB_RUN_STATUS"
if [[ $mode != bare ]]; then
	pid=$(hb_kv "$truth" pid)
	child=$(hb_kv "$truth" child_pid)
	if [[ $mode == run ]]; then
		hb_expect_traces "$out" "heapblame.semantics.$pid.hbt" "heapblame.semantics.$child.hbt"
		parent_trace=$out/heapblame.semantics.$pid.hbt
		child_trace=$out/heapblame.semantics.$child.hbt
	else
		have=$(find "$out" -maxdepth 1 -name '*.hbt' -printf '%f\n' | sort | tr '\n' ' ')
		assert_eq "trace files" "$(printf '%s\n' "semantics.$pid.hbt" "semantics.$child.hbt" | sort | tr '\n' ' ')" "$have"
		parent_trace=$out/semantics.$pid.hbt
		child_trace=$out/semantics.$child.hbt
	fi
	hb_dump "$parent_trace"
	assert_eq "lost_events" 0 "$(hb_total lost_events)"
	assert_eq "end" "exit 0" "$(hb_total end)"
	hb_dump "$child_trace"
	assert_eq "child end" "_exit 0" "$(hb_total end)"
fi
hb_finish
