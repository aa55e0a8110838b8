#!/usr/bin/env bash
# hostile_proctitle.sh - a program writes its title over its argv and
# environment strings, then forks: every child's trace lands where
# HEAPBLAME_OUTPUT said, under the program's real name.
#
# Usage: hostile_proctitle.sh HEAPBLAME PROCTITLE
# tests/programs/hostile/proctitle copies its environment to the heap,
# overwrites the contiguous argv/environ area with "proctitle: master
# process " padded with 'x' (setproctitle as nginx does it), then forks 3
# children that allocate; a child's trace file is created after the
# overwrite. Runs with `--output DIR/pt-%e-%p.hbt` from an empty working
# directory. Checks: status 0; DIR holds exactly pt-proctitle-PID.hbt for the
# parent and each child (%e is the program's name at start, not the title);
# nothing was created in the working directory; every trace decodes without
# a warning and carries its ledger (children: their own allocations, and as
# live the environment copies they inherited), and ends with `exit 0`.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")

out=$HB_WORK/traces
cwd=$HB_WORK/cwd
mkdir -p "$cwd"
cd "$cwd"
hb_run_bounded "$out/pt-%e-%p.hbt" -- "$prog" 3
cd "$HB_WORK"
assert_status "run exit status" 0 "$HB_RUN_STATUS"
[[ $HB_RUN_STATUS == 0 ]] || hb_finish
parent=$(hb_truth_line role=parent)
assert_eq "children succeeded" 1 "$(hb_kv "$parent" children_ok)"
names=("pt-proctitle-$(hb_kv "$parent" pid).hbt")
children=()
while IFS= read -r line; do
	children+=("$line")
	names+=("pt-proctitle-$(hb_kv "$line" pid).hbt")
done < <(sed -n 's/^TRUTH \(.*role=child.*\)$/\1/p' "$HB_RUN_OUT")
assert_eq "children that reported" 3 "${#children[@]}"
hb_expect_traces "$out" "${names[@]}"
assert_eq "files created in the working directory" "" "$(find "$cwd" -mindepth 1 -printf '%P ' | head -c 300)"

hb_dump "$out/${names[0]}"
assert_dump_clean
assert_module parent "$prog" "$parent"
assert_eq "parent end" "exit 0" "$(hb_total end)"
for c in "${children[@]}"; do
	pid=$(hb_kv "$c" pid)
	[[ -f $out/pt-proctitle-$pid.hbt ]] || continue
	hb_dump "$out/pt-proctitle-$pid.hbt"
	assert_dump_clean
	assert_module "child $pid" "$prog" "$c"
	assert_eq "child $pid inherited_blocks" "$(hb_kv "$c" inherited_blocks)" "$(hb_total inherited_blocks)"
	assert_eq "child $pid end" "exit 0" "$(hb_total end)"
done
hb_finish
