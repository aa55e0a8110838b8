#!/usr/bin/env bash
# hostile_exitscan.sh - the exit-time leak scan of a short-lived process, or
# of one that unshared its user namespace, takes milliseconds, not seconds.
#
# Usage: hostile_exitscan.sh HEAPBLAME SPAWNER USERNS
# At a normal exit the shim stops the host's other threads to scan for
# pointers; it must leave out its own writer thread (which blocks every
# signal and never answers), also when that thread has only just been
# started, as in a process that ends right after starting, or after
# unshare(CLONE_NEWUSER) (the writer steps aside and is started again).
# Waiting for a thread that cannot answer costs the host a second per wait
# at exit. Runs tests/programs/hostile/spawner, which starts /bin/true 5
# times with fork+exec and 5 times with posix_spawn (10 short processes),
# and tests/programs/hostile/userns (skipped when unshare fails bare).
# Checks, for every trace: it ends with `exit 0`, the scan ran (`scan:
# done`) and took less than 500 ms (`scan_ns`).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"
hb_setup "$1"
spawner=$(hb_prog "$2")
userns=$(hb_prog "$3")

check_traces() {
	local t
	for t in "$1"/*.hbt; do
		hb_dump "$t"
		assert_eq "$(basename "$t") end" "exit 0" "$(hb_total end)"
		assert_eq "$(basename "$t") scan" "done" "$(hb_total scan)"
		local ns
		ns=$(hb_total scan_ns)
		if [[ $ns =~ ^[0-9]+$ ]] && ((ns < 500000000)); then
			assert_eq "$(basename "$t") scan under 500 ms" ok ok
		else
			assert_eq "$(basename "$t") scan_ns (under 500 ms)" "< 500000000" "$ns"
		fi
	done
}

hb_run_bounded "$HB_WORK/spawn" -- "$spawner" /bin/true 5
assert_status "spawner exit status" 0 "$HB_RUN_STATUS"
check_traces "$HB_WORK/spawn"

hb_bare_bounded "$userns"
if [[ $HB_BARE_STATUS == 0 ]]; then
	hb_run_bounded "$HB_WORK/userns" -- "$userns"
	assert_status "userns exit status" 0 "$HB_RUN_STATUS"
	check_traces "$HB_WORK/userns"
else
	echo "(userns part skipped: unshare(CLONE_NEWUSER) fails bare)"
fi
hb_finish
