#!/usr/bin/env bash
# hostile_execrace.sh - a fork child that execs as the shim creates its
# trace file leaves a trace that ends with that exec, or none at all.
#
# Usage: hostile_execrace.sh HEAPBLAME EXECRACE [ROUNDS]
# tests/programs/hostile/execrace forks ROUNDS (default 150) children, each
# of which mallocs once and execs /bin/true 50 ms + d later (d from -1.5 to
# +4.5 ms), around the moment the shim's writer creates a fork child's file.
# Checks: run and every child exit 0; every child's own trace
# (heapblame.execrace.PID.hbt), where there is one, decodes cleanly and
# ends `exec /bin/true` (before the fix, a file created while the exec was
# under way had no END, `none`, or nothing readable at all); and both sides
# of the race were run: some child that exec'd 2 ms or more after 50 ms left
# a trace, some child that exec'd 0.5 ms or more before it left none.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")
rounds=${3:-150}
# 150 children of ~52 ms each: 8 s bare, more on a loaded machine
HB_RUN_TIMEOUT=60
out=$HB_WORK/traces
mkdir -p "$out"

hb_run_bounded "$out" -- "$prog" "$rounds"
assert_status "run exit status" 0 "$HB_RUN_STATUS"
assert_eq "every child exited 0" 1 "$(hb_kv "$(hb_truth_line role=parent)" ok)"

with_trace=0 late_with=0 early_without=0
while read -r pid d_us; do
	t=$out/heapblame.execrace.$pid.hbt
	if [[ ! -e $t ]]; then
		((d_us <= -500)) && early_without=$((early_without + 1))
		continue
	fi
	with_trace=$((with_trace + 1))
	((d_us >= 2000)) && late_with=$((late_with + 1))
	hb_dump "$t"
	assert_dump_clean
	assert_eq "child $pid (exec at 50 ms + $d_us us): its trace ends with its exec" "exec /bin/true" "$(hb_total end)"
done < <(sed -n 's/^TRUTH pid=\([0-9]*\) role=child d_us=\(-*[0-9]*\)$/\1 \2/p' "$HB_RUN_OUT")
echo "info: $with_trace of $rounds children left a trace of their own before the exec"
assert_ge "children that exec'd 2 ms or more after 50 ms and left a trace" 1 "$late_with"
assert_ge "children that exec'd 0.5 ms or more before 50 ms and left none" 1 "$early_without"
hb_finish
