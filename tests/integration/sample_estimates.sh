#!/usr/bin/env bash
# sample_estimates.sh - `heapblame run --sample`: estimates without bias, a
# deterministic seed, and a sampled trace through every command.
#
# Usage: sample_estimates.sh HEAPBLAME SAMPLED LIBHBSAMPLED
# tests/programs/sampled (4 threads; its fork child too) prints per process
# the outstanding blocks and bytes of its executable's module and of
# libhbsampled.so (whose one site allocates 1-byte and 16 MiB blocks), and
# the sum of 1 / size over them. Checks:
#   - a full trace holds that truth exactly (the program's own ledger is
#     right, so the tolerances below measure the estimator alone);
#   - 5 runs at `--sample 16KiB`, seeds 1..5 (HEAPBLAME_SAMPLE_SEED): every
#     trace says sample_bytes=16384; in each process and module, each
#     estimate is within 4.5 standard errors of the truth, the error bound
#     being README's (bytes: Var <= SIZE x bytes; blocks: Var <= SIZE x sum
#     of 1/size), and the mean of the 5 runs within 3 standard errors of
#     the mean: an estimator off by a constant factor fails (a factor 1.1
#     on the executable's bytes is 7 of those errors);
#   - the same seed gives the same samples (one thread, and addresses
#     not randomized, `setarch -R`, since a sampled block's whole count is
#     rounded by a hash of its address: the same dump totals twice),
#     another seed other ones;
#   - one sampled trace through every command: report (text says
#     "estimated" and gives "+-" intervals, the same for a module when a
#     full trace is merged in; json traces[].sample_bytes;
#     folded, pprof, svg, html: exit 0 and not empty; folded's bytes sum to
#     the JSON's outstanding bytes), check on the child's trace (a budget
#     above its estimated leak passes, one below it fails with 1), top -b 1
#     (says the trace is sampled), dump.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")
lib=$(hb_prog "$3")
N=16384

# est_check LABEL TRUTH_BYTES TRUTH_BLOCKS TRUTH_INV EST_BYTES EST_BLOCKS:
# the estimates within 4.5 standard errors
est_check() {
	local verdict
	verdict=$(python3 -c '
import math, sys
n = float(sys.argv[1]); tb, tk, inv, eb, ek = map(float, sys.argv[2:7])
sb, sk = math.sqrt(n * tb), math.sqrt(n * inv)
zb, zk = abs(eb - tb) / sb, abs(ek - tk) / sk
print("ok" if zb <= 4.5 and zk <= 4.5 else "off", "bytes %.0f vs %.0f (z=%.2f), blocks %.0f vs %.0f (z=%.2f)" % (eb, tb, zb, ek, tk, zk))
' "$N" "$2" "$3" "$4" "$5" "$6")
	assert_eq "$1: within 4.5 standard errors (${verdict#* })" ok "${verdict%% *}"
}

# -- a full trace: the truth exactly
out=$HB_WORK/full
hb_run "$out" -- "$prog" 4
assert_eq "full run exit status" 0 "$HB_RUN_STATUS"
for role in parent child; do
	truth=$(hb_truth_line role=$role)
	pid=$(hb_kv "$truth" pid)
	hb_dump "$out/heapblame.sampled.$pid.hbt"
	assert_eq "full $role: sample_bytes" 0 "$(hb_total sample_bytes)"
	assert_eq "full $role: executable's blocks" "$(hb_kv "$truth" exe_blocks)" "$(hb_module live_blocks "$prog")"
	assert_eq "full $role: executable's bytes" "$(hb_kv "$truth" exe_bytes)" "$(hb_module live_bytes "$prog")"
	assert_eq "full $role: library's blocks" "$(hb_kv "$truth" lib_blocks)" "$(hb_module live_blocks "$lib")"
	assert_eq "full $role: library's bytes" "$(hb_kv "$truth" lib_bytes)" "$(hb_module live_bytes "$lib")"
done

# -- five seeds at 16 KiB
sums=$HB_WORK/estimates.txt
: >"$sums"
for seed in 1 2 3 4 5; do
	out=$HB_WORK/s$seed
	HEAPBLAME_SAMPLE_SEED=$seed hb_run "$out" --sample 16KiB -- "$prog" 4
	assert_eq "seed $seed: run exit status" 0 "$HB_RUN_STATUS"
	[[ $seed == 1 ]] && seed1_out=$HB_RUN_OUT
	for role in parent child; do
		truth=$(hb_truth_line role=$role)
		pid=$(hb_kv "$truth" pid)
		hb_dump "$out/heapblame.sampled.$pid.hbt"
		assert_eq "seed $seed $role: sample_bytes" $N "$(hb_total sample_bytes)"
		for m in exe lib; do
			path=$prog
			[[ $m == lib ]] && path=$lib
			eb=$(hb_module live_bytes "$path")
			ek=$(hb_module live_blocks "$path")
			est_check "seed $seed $role $m" "$(hb_kv "$truth" ${m}_bytes)" "$(hb_kv "$truth" ${m}_blocks)" \
				"$(hb_kv "$truth" ${m}_inv)" "$eb" "$ek"
			echo "$role $m $(hb_kv "$truth" ${m}_bytes) $(hb_kv "$truth" ${m}_blocks) $(hb_kv "$truth" ${m}_inv) $eb $ek" >>"$sums"
		done
	done
done
while read -r verdict line; do
	assert_eq "mean of 5 seeds: $line" ok "$verdict"
done < <(python3 -c '
import math, sys
n = float(sys.argv[1]); rows = {}
for l in open(sys.argv[2]):
    r, m, tb, tk, inv, eb, ek = l.split()
    rows.setdefault((r, m), []).append(tuple(map(float, (tb, tk, inv, eb, ek))))
for (r, m), v in sorted(rows.items()):
    tb, tk, inv = v[0][:3]; k = len(v)
    mb = sum(x[3] for x in v) / k; mk = sum(x[4] for x in v) / k
    zb = abs(mb - tb) / (math.sqrt(n * tb / k)); zk = abs(mk - tk) / (math.sqrt(n * inv / k))
    print("ok" if zb <= 3 and zk <= 3 else "off", "%s %s: bytes %.0f vs %.0f (z=%.2f), blocks %.0f vs %.0f (z=%.2f)" % (r, m, mb, tb, zb, mk, tk, zk))
' "$N" "$sums")

# -- the seed decides the samples (one worker thread: the main thread's
# sampler is always first, so each has the same ordinal every run)
for run in a b c; do
	seed=7
	[[ $run == c ]] && seed=8
	HB_RUN_WRAP=(setarch "$(uname -m)" -R)
	HEAPBLAME_SAMPLE_SEED=$seed hb_run "$HB_WORK/d$run" --sample 16KiB -- "$prog" 1
	HB_RUN_WRAP=()
	pid=$(hb_kv "$(hb_truth_line role=parent)" pid)
	hb_dump "$HB_WORK/d$run/heapblame.sampled.$pid.hbt"
	grep '^module ' "$HB_DUMP" | sed 's/^module [^:]*\///' >"$HB_WORK/d$run.totals"
done
assert_eq "seed 7 twice: the same estimates" "$(cat "$HB_WORK/da.totals")" "$(cat "$HB_WORK/db.totals")"
[[ $(cat "$HB_WORK/da.totals") != "$(cat "$HB_WORK/dc.totals")" ]] && differ=yes || differ=no
assert_eq "seed 8: other estimates" yes "$differ"

# -- every command on a sampled trace (seed 1's parent)
pid=$(sed -n 's/^TRUTH pid=\([0-9]*\) role=parent.*/\1/p' "$seed1_out")
trace=$HB_WORK/s1/heapblame.sampled.$pid.hbt
[[ -f $trace ]] || hb_error "no trace $trace"
"$HB" report "$trace" >"$HB_WORK/r.txt"
assert_eq "report text: exit status" 0 $?
grep -q 'estimated from a sampled trace, one sample per 16.0 KiB' "$HB_WORK/r.txt" && said=yes || said=no
assert_eq "report text: says the figures are estimated" yes "$said"
assert_ge "report text: modules with a +- interval" 2 "$(grep -c '^[^ ].* +- .* in [0-9]* block' "$HB_WORK/r.txt")"
"$HB" report -f json "$trace" >"$HB_WORK/r.json"
read -r jsample jbytes < <(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["traces"][0]["sample_bytes"], d["totals"]["outstanding_bytes"])' "$HB_WORK/r.json")
assert_eq "report json: traces[].sample_bytes" $N "$jsample"
for fmt in folded pprof svg html; do
	set +e
	"$HB" report -f "$fmt" -o "$HB_WORK/r.$fmt" "$trace" 2>"$HB_WORK/r.$fmt.err"
	st=$?
	set -e
	assert_eq "report $fmt: exit status" 0 "$st"
	assert_ge "report $fmt: bytes written" 100 "$(stat -c %s "$HB_WORK/r.$fmt")"
done
# a merge with a full trace: each module's interval is the sampled part's
# alone (the variance bound sums N x bytes over the traces, N = 0 for a
# full one), not SIZE x the merged bytes
interval() { sed -n 's/^sampled  .* +- \(.*\) in [0-9]* blocks.*/\1/p' "$1"; }
"$HB" report "$trace" "$(ls "$HB_WORK"/full/heapblame.sampled.*.hbt | head -1)" >"$HB_WORK/r_merged.txt"
[[ -n $(interval "$HB_WORK/r.txt") ]] && has=yes || has=no
assert_eq "report text: the executable's line has an interval" yes "$has"
assert_eq "report of a sampled and a full trace: the sampled part's interval" \
	"$(interval "$HB_WORK/r.txt")" "$(interval "$HB_WORK/r_merged.txt")"
assert_eq "report folded: its bytes sum to the estimate" "$jbytes" \
	"$(awk '{ s += $NF } END { printf "%d\n", s }' "$HB_WORK/r.folded")"
# check on the fork child's trace: the child leaks its own 50,000 blocks
cpid=$(sed -n 's/^TRUTH pid=\([0-9]*\) role=child.*/\1/p' "$seed1_out")
ctrace=$HB_WORK/s1/heapblame.sampled.$cpid.hbt
leaked=$("$HB" report -f json "$ctrace" | python3 -c '
import json, sys
t = json.load(sys.stdin)["totals"]
print(t["definite_bytes"] + t["indirect_bytes"] + t["unclassified_bytes"])')
assert_ge "the child's estimated leak, bytes" 1000000 "$leaked"
set +e
"$HB" check --max-bytes $((leaked + 1)) "$ctrace" >"$HB_WORK/c1.txt" 2>&1
st_above=$?
"$HB" check --max-bytes $((leaked / 2)) "$ctrace" >"$HB_WORK/c2.txt" 2>&1
st_below=$?
"$HB" top -b 1 "$trace" >"$HB_WORK/top.txt" 2>&1
st_top=$?
set -e
sed 's/^/   check| /' "$HB_WORK/c2.txt"
assert_eq "check: a budget above the estimate passes" 0 "$st_above"
assert_eq "check: a budget below it fails" 1 "$st_below"
assert_eq "top -b 1: exit status" 0 "$st_top"
grep -q sampled "$HB_WORK/top.txt" && said=yes || said=no
assert_eq "top: says the trace is sampled" yes "$said"
hb_finish
