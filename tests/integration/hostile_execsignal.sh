#!/usr/bin/env bash
# hostile_execsignal.sh - a fatal signal that lands while the shim flushes
# before an exec ends the process, as it would without the shim.
#
# Usage: hostile_execsignal.sh HEAPBLAME EXECSIGNAL
# tests/programs/hostile/execsignal has 2^16 stacks to flush before it
# execs `sleep 5`, and a child sends it SIGTERM 3 ms into that flush. The
# shim parks a signal that lands inside it (the thread may hold the locks
# a flush takes) and must deliver it when it leaves: it did not on the way
# out of the exec hook, so the exec went on and `sleep 5` ran to its end
# with status 0. Five runs; in each: `heapblame run` dies of SIGTERM
# (status 143, as the bare program does), within 4 s (not after sleep's
# 5 s), and the trace ends with END reason=signal status=15. In at least
# one run the trace shows the EXEC record before that END: the signal was
# parked in the exec's flush, the case under test.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")
sleep_bin=$(command -v sleep)

hb_bare_bounded "$prog" "$sleep_bin" 5
assert_status "bare: dies of SIGTERM" 143 "$HB_BARE_STATUS"
parked=0
for run in 1 2 3 4 5; do
	out=$HB_WORK/r$run
	hb_run_bounded "$out" -- "$prog" "$sleep_bin" 5
	assert_status "run $run: dies of SIGTERM" 143 "$HB_RUN_STATUS"
	assert_lt "run $run: within 4 s, not after the exec'd sleep" 4000 "$HB_RUN_MS"
	trace=$(ls "$out"/heapblame.execsignal.*.hbt 2>/dev/null | head -1)
	[[ -n $trace ]] || hb_error "run $run: no trace of execsignal in $out"
	hb_dump "$trace"
	records=$(grep -E '^(EXEC|END) ' "$HB_DUMP" | awk '{ print $1 }' | tr '\n' ' ')
	assert_eq "run $run: the trace ends by the signal ($records)" "reason=signal status=15" \
		"$(grep '^END ' "$HB_DUMP" | tail -1 | awk '{ print $3, $4 }')"
	[[ $records == "EXEC END " ]] && parked=$((parked + 1))
done
assert_ge "runs whose signal came inside the exec's flush" 1 "$parked"
hb_finish
