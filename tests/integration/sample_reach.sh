#!/usr/bin/env bash
# sample_reach.sh - a sampled trace's exit scan gives its blocks the kinds
# the full scan gives them, though it sees one block in thousands.
#
# Usage: sample_reach.sh HEAPBLAME SAMPLED_REACH
# tests/programs/sampled_reach builds, in the main arena and in a thread's
# arena, a kept list (head in a global: reachable), a lost list (one
# definite head, the rest indirect) and blocks of 256 KiB (mmapped chunks,
# half kept, half lost), with stale pointers to both lists in the heap's
# free space. Unless the scan follows pointers through the unsampled
# blocks, a sampled node of the kept list has no root (a false leak) and
# one of the lost list is held by unsampled nodes that look like roots (a
# missed leak). Checks:
#   - a full trace: the program's module holds exactly its truth by kind;
#   - 5 runs at `--sample 16KiB` (seeds 1..5): the scan is done, walked
#     every glibc heap (SCAN's heaps_failed 0, heaps_walked at least 2,
#     and followed the lists' 300,000 nodes less the sampled ones), and each
#     kind's estimated bytes (reachable, definite + indirect) are within
#     4.5 standard errors of the truth (Var <= SIZE x bytes), and their
#     mean over the runs within 3; the indirect share of the leak within
#     4.5 errors of its truth too (a scan that took the lost list's
#     unsampled nodes for roots reports about none indirect);
#   - `sampled_reach chunks` (the lost list of 200 mmapped chunks alone) at
#     `--sample 1MiB`, seeds 1..3: its leaked bytes within 4.5 standard
#     errors. There the shim maps its live table's shards among the chunks,
#     the kernel merges them into one mapping, and a walk that stopped at
#     the first page that is no chunk left the rest as a root: nothing
#     leaked in 5 runs of 6.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")
N=16384

# kinds TRACE: "reachable definite indirect" bytes of the program's module
kinds() {
	"$HB" report -f json "$1" | python3 -c '
import json, sys
for m in json.load(sys.stdin)["modules"]:
    if m["name"] == sys.argv[1] or m.get("path") == sys.argv[1]:
        print(m["reachable_bytes"], m["definite_bytes"], m["indirect_bytes"])
        break
else:
    print("0 0 0")' "$prog"
}

# z_ok LABEL TRUTH ESTIMATE LIMIT [RUNS]: |estimate - truth| within LIMIT
# standard errors, the error of a mean of RUNS estimates being
# sqrt(SIZE x truth / RUNS)
z_ok() {
	local verdict
	verdict=$(python3 -c '
import math, sys
n, t, e, lim, k = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
z = abs(e - t) / math.sqrt(n * t / k)
print("ok" if z <= lim else "off", "%.0f vs %.0f, z=%.2f" % (e, t, z))' "$N" "$2" "$3" "$4" "${5:-1}")
	assert_eq "$1: within $4 standard errors (${verdict#* })" ok "${verdict%% *}"
}

hb_run "$HB_WORK/full" -- "$prog"
assert_eq "full run exit status" 0 "$HB_RUN_STATUS"
truth=$(hb_truth_line)
t_reach=$(hb_kv "$truth" reachable_bytes)
t_def=$(hb_kv "$truth" definite_bytes)
t_ind=$(hb_kv "$truth" indirect_bytes)
trace=$(ls "$HB_WORK"/full/heapblame.sampled_reach.*.hbt)
read -r reach def ind < <(kinds "$trace")
assert_eq "full: reachable bytes" "$t_reach" "$reach"
assert_eq "full: definite bytes" "$t_def" "$def"
assert_eq "full: indirect bytes" "$t_ind" "$ind"

sum_reach=0 sum_leak=0 sum_ind=0
for seed in 1 2 3 4 5; do
	HEAPBLAME_SAMPLE_SEED=$seed hb_run "$HB_WORK/s$seed" --sample 16KiB -- "$prog"
	assert_eq "seed $seed: run exit status" 0 "$HB_RUN_STATUS"
	trace=$(ls "$HB_WORK"/s$seed/heapblame.sampled_reach.*.hbt)
	hb_dump "$trace"
	assert_eq "seed $seed: the scan is done" done "$(hb_total scan)"
	scan=$(grep '^SCAN ' "$HB_DUMP")
	field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$scan"; }
	assert_eq "seed $seed: no glibc heap left unwalked" 0 "$(field heaps_failed)"
	assert_ge "seed $seed: heaps walked (the brk heap, the thread's arena)" 2 "$(field heaps_walked)"
	assert_ge "seed $seed: unsampled blocks followed" 290000 "$(field unsampled_blocks)"
	read -r reach def ind < <(kinds "$trace")
	z_ok "seed $seed: reachable bytes" "$t_reach" "$reach" 4.5
	z_ok "seed $seed: leaked bytes" "$((t_def + t_ind))" "$((def + ind))" 4.5
	z_ok "seed $seed: indirect bytes" "$t_ind" "$ind" 4.5
	sum_reach=$((sum_reach + reach)) sum_leak=$((sum_leak + def + ind)) sum_ind=$((sum_ind + ind))
done
z_ok "mean of 5 seeds: reachable bytes" "$t_reach" "$((sum_reach / 5))" 3 5
z_ok "mean of 5 seeds: leaked bytes" "$((t_def + t_ind))" "$((sum_leak / 5))" 3 5
z_ok "mean of 5 seeds: indirect bytes" "$t_ind" "$((sum_ind / 5))" 3 5

N=1048576
for seed in 1 2 3; do
	HEAPBLAME_SAMPLE_SEED=$seed hb_run "$HB_WORK/c$seed" --sample 1MiB -- "$prog" chunks
	assert_eq "chunks, seed $seed: run exit status" 0 "$HB_RUN_STATUS"
	truth=$(hb_truth_line)
	trace=$(ls "$HB_WORK"/c$seed/heapblame.sampled_reach.*.hbt)
	read -r reach def ind < <(kinds "$trace")
	z_ok "chunks, seed $seed: leaked bytes" "$(($(hb_kv "$truth" definite_bytes) + $(hb_kv "$truth" indirect_bytes)))" \
		"$((def + ind))" 4.5
done
hb_finish
