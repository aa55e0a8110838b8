#!/usr/bin/env bash
# hostile_sigblockers.sh - threads that block every signal do not make the
# exit-time scan slow.
#
# Usage: hostile_sigblockers.sh HEAPBLAME SIGBLOCKERS ROUNDS
# tests/programs/hostile/sigblockers: 4 threads block every signal and
# pause for ever; main leaks 2000 blocks and returns. A scan that stops
# threads with a signal, and waits for an answer, waited about a second
# for them at every exit. Compares the wall time of runs under the shim
# with the scan off (HEAPBLAME_LEAK_SCAN=0) and on, ROUNDS of each, the
# fastest of each (against a loaded machine's noise). Checks: the scan
# costs under 500 ms; every run has status 0 and the bare run's output,
# and its trace says `scan: off` or `scan: done` as set, and `end: exit 0`.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")
rounds=${3:?rounds}

hb_bare_bounded "$prog"
[[ $HB_BARE_STATUS == 0 ]] || hb_error "sigblockers fails without the shim (status $HB_BARE_STATUS)"
declare -A fastest=([0]="" [1]="")
declare -A expect=([0]=off [1]="done")
for ((r = 1; r <= rounds; r++)); do
	for scan in 0 1; do
		out=$HB_WORK/traces.$r.$scan
		HEAPBLAME_LEAK_SCAN=$scan hb_run_bounded "$out" -q -- "$prog"
		assert_status "round $r, scan $scan: run exit status" 0 "$HB_RUN_STATUS"
		assert_as_bare "round $r, scan $scan"
		if [[ -z ${fastest[$scan]} ]] || ((HB_RUN_MS < fastest[$scan])); then
			fastest[$scan]=$HB_RUN_MS
		fi
		trace=$(find "$out" -name '*.hbt')
		assert_eq "round $r, scan $scan: trace files" 1 "$(wc -l <<<"$trace")"
		[[ -n $trace ]] || continue
		hb_dump "$trace"
		assert_eq "round $r, scan $scan: scan" "${expect[$scan]}" "$(hb_total scan)"
		assert_eq "round $r, scan $scan: end" "exit 0" "$(hb_total end)"
	done
done
echo "fastest run: ${fastest[0]} ms with the scan off, ${fastest[1]} ms with it on"
assert_lt "what the scan adds to the exit, ms" 500 "$((fastest[1] - fastest[0]))"
hb_finish
