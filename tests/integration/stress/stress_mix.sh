#!/usr/bin/env bash
# stress_mix.sh - 16 threads on every allocator entry point, with fork, exec
# and dlopen churn, for a minute under the shim: every process's report is
# its truth, exactly.
#
# Usage: stress_mix.sh HEAPBLAME STRESS PLUGIN1 PLUGIN2 EXEC_TARGET [SECONDS]
# Runs tests/programs/stress/stress for SECONDS (default 60) under
# `heapblame run -o DIR`, bounded by timeout(1) at SECONDS + 120 s. The
# program prints a TRUTH line per process: the parent's, every fork child's
# (role=child; a third of them end by _exit) and every exec'd exec_target's
# (role=target; its fork child execs before any allocator call, so it
# leaves no trace of its own unless it lived 50 ms before the exec, on a
# loaded machine: then its trace must end with that exec). Checks:
#   - run exits 0, all children exited 0, at least one fork child every 3 s
#     and one exec child every 6 s ran, and the output directory holds
#     exactly one trace per TRUTH line, named after its program and pid;
#   - every trace is complete: dump reads it (exit 0), it ends as the
#     process did (`exit 0`, or `_exit 0`), and nothing was lost
#     (lost_events 0: a stress that overflows the shim's buffers fails here
#     rather than being compared with a truth it cannot match);
#   - in every trace, the calls only the program makes are counted exactly
#     (events.reallocarray, posix_memalign, aligned_alloc, memalign, valloc,
#     pvalloc, cfree) and those libc and the loader make too at least as
#     often as the program made them (malloc counting strdup, strndup and
#     asprintf, calloc, realloc, free);
#   - `heapblame report --format json` of each trace alone: each process
#     (processes[], by pid and program) holds exactly its TRUTH line's
#     outstanding blocks and bytes in the executable's module and in each
#     plugin's (the blocks the plugins leaked before their dlclose, and a
#     fork child's inherited ones too), and an exec_target exactly its
#     ledger's live blocks and bytes; one report of all the traces together
#     holds all of that less what fork children left to their parents
#     (a block from before a fork counts once, in the parent's trace).
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")
p1=$(hb_prog "$3")
p2=$(hb_prog "$4")
target=$(hb_prog "$5")
seconds=${6:-60}

out=$HB_WORK/traces
HB_RUN_WRAP=(timeout -k 5 $((seconds + 120)))
hb_run "$out" -- "$prog" "$seconds" "$p1" "$p2" "$target"
HB_RUN_WRAP=()
assert_eq "run exit status" 0 "$HB_RUN_STATUS"
parent=$(hb_truth_line role=parent)
assert_eq "every child exited 0" 1 "$(hb_kv "$parent" children_ok)"
ppid_=$(hb_kv "$parent" pid)
name=$(basename "$prog")
tname=$(basename "$target")

# every process: its trace's name, and how it ended
declare -A trace_of end_of
trace_of[$ppid_]=heapblame.$name.$ppid_.hbt
end_of[$ppid_]="exit 0"
while read -r pid end; do
	trace_of[$pid]=heapblame.$name.$pid.hbt
	end_of[$pid]="$end 0"
done < <(sed -n 's/^TRUTH pid=\([0-9]*\) role=child end=\([_a-z]*\) .*/\1 \2/p' "$HB_RUN_OUT")
while read -r pid; do
	trace_of[$pid]=heapblame.$tname.$pid.hbt
	end_of[$pid]="exit 0"
done < <(sed -n 's/^TRUTH pid=\([0-9]*\) role=target .*/\1/p' "$HB_RUN_OUT")
forks=$(($(hb_kv "$parent" children_exit) + $(hb_kv "$parent" children__exit)))
execs=$(hb_kv "$parent" children_exec)
echo "info: $forks fork children, $execs exec children, $(hb_kv "$parent" plugin_rounds) plugin rounds"
# a child every second or so, a third of them exec children
assert_ge "fork children" $((seconds / 3)) "$forks"
assert_ge "exec children" $((seconds / 6)) "$execs"
assert_eq "TRUTH lines: the parent, each fork child, each exec'd target" $((1 + forks + execs)) "${#trace_of[@]}"
# a fork child that lived 50 ms before its exec (a loaded machine) writes
# a trace of its own before it, as README says, ended by that exec
pre_exec=()
for pid in "${!trace_of[@]}"; do
	[[ ${trace_of[$pid]} == heapblame.$tname.* && -e $out/heapblame.$name.$pid.hbt ]] &&
		pre_exec+=("heapblame.$name.$pid.hbt")
done
echo "info: ${#pre_exec[@]} exec children lived 50 ms before their exec"
hb_expect_traces "$out" "${trace_of[@]}" "${pre_exec[@]}"
for t in "${pre_exec[@]}"; do
	hb_dump "$out/$t" >"$HB_WORK/dump.log"
	assert_eq "$t: ended by its exec" "exec $target" "$(hb_total end)"
done

for pid in "${!trace_of[@]}"; do
	truth=$(hb_truth_line "pid=$pid")
	hb_dump "$out/${trace_of[$pid]}" >"$HB_WORK/dump.log"
	grep -v '^ok ' "$HB_WORK/dump.log" | grep -v '^   ' || true
	assert_eq "$pid end" "${end_of[$pid]}" "$(hb_total end)"
	assert_eq "$pid lost_events" 0 "$(hb_total lost_events)"
	[[ $truth == *role=target* ]] && continue
	for k in reallocarray posix_memalign aligned_alloc memalign valloc pvalloc cfree; do
		assert_eq "$pid events.$k" "$(hb_kv "$truth" "$k")" "$(hb_total "events.$k")"
	done
	mallocs=$(($(hb_kv "$truth" malloc) + $(hb_kv "$truth" strdup) + $(hb_kv "$truth" strndup) + $(hb_kv "$truth" asprintf)))
	assert_ge "$pid events.malloc (malloc, strdup, strndup, asprintf)" "$mallocs" "$(hb_total events.malloc)"
	for k in calloc realloc free; do
		assert_ge "$pid events.$k" "$(hb_kv "$truth" "$k")" "$(hb_total "events.$k")"
	done
done

# One report of every trace: it must read them all, and count a block from
# before a fork once, in the parent (fork_merge.h): its total is every
# process's whole heap less what fork children left to their parents.
traces=()
for pid in "${!trace_of[@]}"; do
	traces+=("$out/${trace_of[$pid]}")
done
set +e
"$HB" report --format json "${traces[@]}" >"$HB_WORK/r.json" 2>"$HB_WORK/r.err"
st=$?
set -e
assert_eq "report exit status" 0 "$st"
sed 's/^/   report stderr| /' "$HB_WORK/r.err" | head -5
# Each process's whole heap: a report of its trace alone (a fork child's
# inherited blocks included, as its TRUTH line counts them).
: >"$HB_WORK/held"
whole=0
for pid in "${!trace_of[@]}"; do
	set +e
	"$HB" report --format json "$out/${trace_of[$pid]}" >"$HB_WORK/one.json" 2>>"$HB_WORK/one.err"
	st=$?
	set -e
	assert_eq "report of $pid alone: exit status" 0 "$st"
	python3 - "$HB_WORK/one.json" "$prog" "$p1" "$p2" "$target" >>"$HB_WORK/held" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
paths = {"exe": sys.argv[2], "p1": sys.argv[3], "p2": sys.argv[4], "target": sys.argv[5]}
for p in r["processes"]:
    for label, path in paths.items():
        mods = [m for m in p["modules"] if m["path"] == path]
        print(p["pid"], p["program"], label, sum(m["outstanding_blocks"] for m in mods),
              sum(m["outstanding_bytes"] for m in mods))
PY
	whole=$((whole + $(jq '[.processes[].outstanding_blocks] | add // 0' "$HB_WORK/one.json")))
done
assert_eq "merged report: every heap less what children left to their parents" \
	"$((whole - $(jq '[.processes[].inherited_counted_in_parent.blocks // 0] | add // 0' "$HB_WORK/r.json")))" \
	"$(jq '[.processes[].outstanding_blocks] | add // 0' "$HB_WORK/r.json")"
held() { awk -v pid="$1" -v prog="$2" -v l="$3" '$1 == pid && $2 == prog && $3 == l { print $4 " " $5 }' "$HB_WORK/held"; }
for pid in "${!trace_of[@]}"; do
	truth=$(hb_truth_line "pid=$pid")
	if [[ $truth == *role=target* ]]; then
		assert_eq "report: $pid $tname blocks bytes" "$(hb_kv "$truth" live_blocks) $(hb_kv "$truth" live_bytes)" \
			"$(held "$pid" "$tname" target)"
		continue
	fi
	for l in exe p1 p2; do
		assert_eq "report: $pid $l blocks bytes" "$(hb_kv "$truth" "${l}_live_blocks") $(hb_kv "$truth" "${l}_live_bytes")" \
			"$(held "$pid" "$name" "$l")"
	done
done
hb_finish
