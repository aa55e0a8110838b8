#!/usr/bin/env bash
# execer.sh - exec: the new image traces itself under the same pid, or, with
# --no-follow, is not traced at all.
#
# Usage: execer.sh HEAPBLAME EXECER EXEC_TARGET follow|no-follow
# Runs tests/programs/execer, which leaks, prints its truth and execs
# exec_target (which leaks its own blocks and exits with status 3).
# follow: two traces under one pid, heapblame.execer.<pid>.hbt ending with
#   `end: exec <target path>` and carrying the execer's ledger, and
#   heapblame.exec_target.<pid>.hbt ending with `end: exit 3` and carrying
#   the target's ledger and nothing of the execer's.
# no-follow (`heapblame run --no-follow`): only the execer's trace; the target
#   still runs.
# Both: `heapblame run` exits with the target's status, 3.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
hb_setup "$1"
execer=$(hb_prog "$2")
target=$(hb_prog "$3")
mode=${4:-follow}
case $mode in
follow) opts=() ;;
no-follow) opts=(--no-follow) ;;
*) hb_error "mode must be follow or no-follow, not $mode" ;;
esac

out=$HB_WORK/traces
hb_run "$out" "${opts[@]}" -- "$execer" "$target" 3
assert_eq "run exit status (the target's)" 3 "$HB_RUN_STATUS"
t_exec=$(hb_truth_line role=execer)
t_target=$(hb_truth_line role=target)
pid=$(hb_kv "$t_exec" pid)
assert_eq "exec keeps the pid" "$pid" "$(hb_kv "$t_target" pid)"

if [[ $mode == follow ]]; then
	hb_expect_traces "$out" "heapblame.execer.$pid.hbt" "heapblame.exec_target.$pid.hbt"
else
	hb_expect_traces "$out" "heapblame.execer.$pid.hbt"
fi

hb_dump "$out/heapblame.execer.$pid.hbt"
assert_module execer "$execer" "$t_exec"
assert_eq "execer events.malloc" "$(hb_kv "$t_exec" allocs)" "$(hb_total events.malloc)"
assert_eq "execer events.free" "$(hb_kv "$t_exec" frees)" "$(hb_total events.free)"
assert_eq "execer end" "exec $target" "$(hb_total end)"
assert_eq "execer lost_events" 0 "$(hb_total lost_events)"
assert_module "execer trace, target" "$target" "allocs=0 frees=0 live_blocks=0 live_bytes=0"

if [[ $mode == follow ]]; then
	hb_dump "$out/heapblame.exec_target.$pid.hbt"
	assert_module target "$target" "$t_target"
	assert_eq "target events.calloc" "$(hb_kv "$t_target" allocs)" "$(hb_total events.calloc)"
	assert_eq "target events.malloc" 0 "$(hb_total events.malloc)"
	assert_eq "target events.free" "$(hb_kv "$t_target" frees)" "$(hb_total events.free)"
	assert_eq "target end" "exit 3" "$(hb_total end)"
	assert_eq "target inherited_blocks" 0 "$(hb_total inherited_blocks)"
	assert_eq "target lost_events" 0 "$(hb_total lost_events)"
	assert_module "target trace, execer" "$execer" "allocs=0 frees=0 live_blocks=0 live_bytes=0"
fi
hb_finish
