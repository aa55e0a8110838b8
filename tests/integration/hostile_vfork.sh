#!/usr/bin/env bash
# hostile_vfork.sh - fork, then vfork + execve in the child before it has
# allocated: three valid traces, the host's file untouched.
#
# Usage: hostile_vfork.sh HEAPBLAME VFORKEXEC
# tests/programs/hostile/vforkexec: the parent forks; the child (no
# allocation yet, so its tracing is not set up) vforks, and the vfork child
# execs the same program as "target", sharing the child's memory until
# then; afterwards the child allocates. All three write lines to one host
# file. Checks: status 0; the host file holds exactly the four lines the
# processes wrote; exactly three traces, parent, child and target (named
# after their pids); each decodes without a warning, carries its process's
# ledger (none inherits a block of the executable), lost nothing and ends
# with `exit 0`.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")

out=$HB_WORK/traces
hostfile=$HB_WORK/host.txt
hb_run_bounded "$out" -- "$prog" "$hostfile"
assert_status "run exit status" 0 "$HB_RUN_STATUS"
[[ $HB_RUN_STATUS == 0 ]] || hb_finish
parent=$(hb_truth_line role=parent)
child=$(hb_truth_line role=child)
target=$(hb_truth_line role=target)
assert_eq "the child succeeded" 1 "$(hb_kv "$parent" child_ok)"
assert_eq "the target ran in the vfork child" "$(hb_kv "$child" target_pid)" "$(hb_kv "$target" pid)"

printf '%s\n' "parent before fork" "target ran" "child after vfork" "parent after wait" >"$HB_WORK/expected"
if cmp -s "$HB_WORK/expected" "$hostfile"; then
	assert_eq "host file holds exactly the processes' lines" same same
else
	assert_eq "host file holds exactly the processes' lines ($(wc -c <"$hostfile") bytes, want $(wc -c <"$HB_WORK/expected"))" \
		same differs
	head -c 128 "$hostfile" | od -c | sed 's/^/   | /'
fi

pp=$(hb_kv "$parent" pid) cp=$(hb_kv "$child" pid) tp=$(hb_kv "$target" pid)
hb_expect_traces "$out" "heapblame.vforkexec.$pp.hbt" "heapblame.vforkexec.$cp.hbt" "heapblame.vforkexec.$tp.hbt"
for role in parent child target; do
	case $role in
	parent) truth=$parent pid=$pp ;;
	child) truth=$child pid=$cp ;;
	target) truth=$target pid=$tp ;;
	esac
	hb_dump "$(hb_trace_of "$out" vforkexec "$pid")"
	assert_dump_clean
	assert_module "$role" "$prog" "$truth"
	assert_eq "$role inherited_blocks" 0 "$(hb_total inherited_blocks)"
	assert_eq "$role lost_events" 0 "$(hb_total lost_events)"
	assert_eq "$role end" "exit 0" "$(hb_total end)"
done
hb_finish
