#!/usr/bin/env bash
# forker.sh - fork without exec: one trace per process, inherited blocks.
#
# Usage: forker.sh HEAPBLAME FORKER
# Runs tests/programs/forker (a parent and two children; child 1 ends with
# exit(0), child 2 with _exit(0)) under `heapblame run -o PATTERN`, where
# PATTERN uses %e and %p, and expects exactly three traces named by that
# pattern. For each process: the executable's module line equals the
# process's TRUTH ledger, events.malloc and events.free equal its own calls
# (the program uses nothing else), and the end is recorded. For each child:
# inherited_blocks equals the parent's live blocks at the fork, and the
# child's module line counts the blocks it inherited and still holds as live,
# and the inherited blocks it freed as frees, but not the inherited blocks as
# allocs (dump's events exclude inherited blocks).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")

out=$HB_WORK/traces
hb_run "$out/fork-%e-%p.hbt" -- "$prog"
assert_eq "run exit status" 0 "$HB_RUN_STATUS"
parent=$(hb_truth_line role=parent)
child1=$(hb_truth_line role=child end=exit)
child2=$(hb_truth_line role=child end=_exit)
assert_eq "children succeeded" 1 "$(hb_kv "$parent" children_ok)"
ppid_=$(hb_kv "$parent" pid)
c1=$(hb_kv "$child1" pid)
c2=$(hb_kv "$child2" pid)
hb_expect_traces "$out" "fork-forker-$ppid_.hbt" "fork-forker-$c1.hbt" "fork-forker-$c2.hbt"

hb_dump "$out/fork-forker-$ppid_.hbt"
assert_module parent "$prog" "$parent"
assert_eq "parent events.malloc" "$(hb_kv "$parent" allocs)" "$(hb_total events.malloc)"
assert_eq "parent events.free" "$(hb_kv "$parent" frees)" "$(hb_total events.free)"
assert_eq "parent inherited_blocks" 0 "$(hb_total inherited_blocks)"
assert_eq "parent lost_events" 0 "$(hb_total lost_events)"
assert_eq "parent end" "exit 0" "$(hb_total end)"

for c in 1 2; do
	if [[ $c == 1 ]]; then truth=$child1 pid=$c1 end="exit 0"; else truth=$child2 pid=$c2 end="_exit 0"; fi
	hb_dump "$out/fork-forker-$pid.hbt"
	assert_eq "child$c inherited_blocks" "$(hb_kv "$truth" inherited_blocks)" "$(hb_total inherited_blocks)"
	assert_module "child$c" "$prog" "$truth"
	assert_eq "child$c events.malloc (own allocations only)" "$(hb_kv "$truth" own_allocs)" \
		"$(hb_total events.malloc)"
	assert_eq "child$c events.free (own and inherited blocks)" "$(hb_kv "$truth" frees)" "$(hb_total events.free)"
	assert_eq "child$c live_blocks (whole process)" "$(hb_kv "$truth" live_blocks)" "$(hb_total live_blocks)"
	assert_eq "child$c live_bytes (whole process)" "$(hb_kv "$truth" live_bytes)" "$(hb_total live_bytes)"
	assert_eq "child$c lost_events" 0 "$(hb_total lost_events)"
	assert_eq "child$c end" "$end" "$(hb_total end)"
done
hb_finish
