#!/usr/bin/env bash
# fork_merge.sh - a merged report counts a block from before a fork once,
# in the parent's trace (analyzer/replay/fork_merge.h).
#
# Usage: fork_merge.sh HEAPBLAME FORKER FORKSERVER
# 1. forker (a parent and two children that inherit its blocks, free two of
#    them and leak their own): `report` of the three traces holds the
#    parent's live blocks and each child's own, not the children's copies of
#    the parent's (20 inherited and still held: 40 blocks before the rule,
#    23 with it); each child's JSON entry says what it left to its parent;
#    `check` counts the same leaks as the merged report's definite and
#    indirect blocks. The children's traces without the parent's keep their
#    inherited blocks: no other trace counts them.
# 2. forkserver (workers that allocate at the very site the parent filled
#    before the fork, one site in every trace): the merged site holds the
#    parent's 7 blocks and the workers' 3 each (13, not 25), and its kinds
#    are the parent's verdicts plus those the workers' scans gave their own
#    blocks (dump's REACH records with inherited=0), not a share of the
#    site's mix.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
hb_setup "$1"
forker=$(hb_prog "$2")
forkserver=$(hb_prog "$3")

# report_json OUT TRACE...: heapblame report --format json, asserted to succeed
report_json() {
	local out=$1 st
	shift
	set +e
	"$HB" report --format json "$@" >"$out" 2>"$out.err"
	st=$?
	set -e
	assert_eq "report --format json $(basename "$1")... exit status" 0 "$st"
}

# reach_sum KIND INHERITED: the counts of $HB_DUMP's REACH records of KIND
# (inherited=INHERITED; "" for records without the field)
reach_sum() {
	awk -v kind="$1" -v inh="$2" '
		/^REACH / {
			k = ""; c = 0; i = ""
			for (f = 2; f <= NF; f++) {
				if ($f ~ /^kind=/) k = substr($f, 6)
				if ($f ~ /^count=/) c = substr($f, 7)
				if ($f ~ /^inherited=/) i = substr($f, 11)
			}
			if (k == kind && i == inh) total += c
		}
		END { print total + 0 }' "$HB_DUMP"
}

# --- 1. forker -------------------------------------------------------------
out=$HB_WORK/forker
hb_run "$out/fork-%p.hbt" -- "$forker"
assert_eq "forker exit status" 0 "$HB_RUN_STATUS"
parent=$(hb_truth_line role=parent)
child1=$(hb_truth_line role=child end=exit)
child2=$(hb_truth_line role=child end=_exit)
p=$(hb_kv "$parent" pid) c1=$(hb_kv "$child1" pid) c2=$(hb_kv "$child2" pid)
hb_expect_traces "$out" "fork-$p.hbt" "fork-$c1.hbt" "fork-$c2.hbt"

json=$HB_WORK/merged.json
report_json "$json" "$out/fork-$p.hbt" "$out/fork-$c1.hbt" "$out/fork-$c2.hbt"
want_blocks=$(($(hb_kv "$parent" live_blocks) + $(hb_kv "$child1" own_live_blocks) + $(hb_kv "$child2" own_live_blocks)))
want_bytes=$(($(hb_kv "$parent" live_bytes) + $(hb_kv "$child1" own_live_bytes) + $(hb_kv "$child2" own_live_bytes)))
assert_eq "merged outstanding blocks (parent's live + children's own)" "$want_blocks" \
	"$(jq '.totals.outstanding_blocks' "$json")"
assert_eq "merged outstanding bytes" "$want_bytes" "$(jq '.totals.outstanding_bytes' "$json")"
assert_eq "parent's entry: its live blocks" "$(hb_kv "$parent" live_blocks)" \
	"$(jq ".processes[] | select(.pid == $p) | .outstanding_blocks" "$json")"
assert_eq "parent's entry: nothing to leave to a parent" "null" \
	"$(jq ".processes[] | select(.pid == $p) | .inherited_counted_in_parent" "$json")"
for c in 1 2; do
	if [[ $c == 1 ]]; then truth=$child1 pid=$c1; else truth=$child2 pid=$c2; fi
	assert_eq "child$c entry: its own live blocks" "$(hb_kv "$truth" own_live_blocks)" \
		"$(jq ".processes[] | select(.pid == $pid) | .outstanding_blocks" "$json")"
	assert_eq "child$c entry: its own live bytes" "$(hb_kv "$truth" own_live_bytes)" \
		"$(jq ".processes[] | select(.pid == $pid) | .outstanding_bytes" "$json")"
	assert_eq "child$c entry: inherited blocks still held, counted in the parent" \
		"$(($(hb_kv "$truth" live_blocks) - $(hb_kv "$truth" own_live_blocks)))" \
		"$(jq ".processes[] | select(.pid == $pid) | .inherited_counted_in_parent.blocks" "$json")"
	assert_eq "child$c entry: its parent" "$p" \
		"$(jq ".processes[] | select(.pid == $pid) | .inherited_counted_in_parent.parent_pid" "$json")"
done
kinds_sum=$(jq '.totals | .definite_blocks + .indirect_blocks + .reachable_blocks + .unclassified_blocks' "$json")
assert_eq "merged kinds add up to the merged blocks" "$want_blocks" "$kinds_sum"

set +e
"$HB" report "$out/fork-$p.hbt" "$out/fork-$c1.hbt" "$out/fork-$c2.hbt" >"$HB_WORK/merged.txt" 2>&1
set -e
held=$(($(hb_kv "$child1" live_blocks) - $(hb_kv "$child1" own_live_blocks) + $(hb_kv "$child2" live_blocks) -
	$(hb_kv "$child2" own_live_blocks)))
assert_eq "text report says what it counted once" 1 \
	"$(grep -c "^(counted once, in their parents' traces: .* in $held blocks that 2 fork children inherited and still held)$" \
		"$HB_WORK/merged.txt")"

check=$HB_WORK/check.json
set +e
"$HB" check --format json "$out/fork-$p.hbt" "$out/fork-$c1.hbt" "$out/fork-$c2.hbt" >"$check" 2>"$check.err"
st=$?
set -e
assert_eq "check exit status (the program leaks)" 1 "$st"
assert_eq "check counts the merged report's definite and indirect blocks" \
	"$(jq '.totals | .definite_blocks + .indirect_blocks' "$json")" "$(jq '.counted.blocks' "$check")"

kids=$HB_WORK/children.json
report_json "$kids" "$out/fork-$c1.hbt" "$out/fork-$c2.hbt"
assert_eq "children without their parent keep their inherited blocks" \
	"$(($(hb_kv "$child1" live_blocks) + $(hb_kv "$child2" live_blocks)))" "$(jq '.totals.outstanding_blocks' "$kids")"
assert_eq "children without their parent: bytes" \
	"$(($(hb_kv "$child1" live_bytes) + $(hb_kv "$child2" live_bytes)))" "$(jq '.totals.outstanding_bytes' "$kids")"
assert_eq "children without their parent: nothing left to a parent" 0 \
	"$(jq '[.processes[] | select(.inherited_counted_in_parent != null)] | length' "$kids")"

# --- 2. forkserver: one site, inherited and own blocks in it -------------
out=$HB_WORK/server
hb_run "$out/srv-%p.hbt" -- "$forkserver"
assert_eq "forkserver exit status" 0 "$HB_RUN_STATUS"
parent=$(hb_truth_line role=parent)
assert_eq "workers succeeded" 1 "$(hb_kv "$parent" workers_ok)"
p=$(hb_kv "$parent" pid)
mapfile -t workers < <(sed -n 's/^TRUTH pid=\([0-9]*\) role=worker.*/\1/p' "$HB_RUN_OUT")
assert_eq "workers" 2 "${#workers[@]}"
traces=("$out/srv-$p.hbt")
want_blocks=$(hb_kv "$parent" site_blocks) want_bytes=$(hb_kv "$parent" site_bytes)
hb_dump "$out/srv-$p.hbt"
want_def=$(reach_sum definite "") want_reach=$(reach_sum reachable "")
for w in "${workers[@]}"; do
	truth=$(hb_truth_line "pid=$w")
	traces+=("$out/srv-$w.hbt")
	want_blocks=$((want_blocks + $(hb_kv "$truth" own_blocks)))
	want_bytes=$((want_bytes + $(hb_kv "$truth" own_bytes)))
	hb_dump "$out/srv-$w.hbt"
	assert_eq "worker $w inherited_blocks" "$(hb_kv "$truth" inherited_blocks)" "$(hb_total inherited_blocks)"
	assert_eq "worker $w live blocks (whole process)" "$(hb_kv "$truth" site_blocks)" "$(hb_total live_blocks)"
	assert_eq "worker $w REACH says which blocks were inherited" \
		"$(($(hb_kv "$truth" site_blocks) - $(hb_kv "$truth" own_blocks)))" \
		"$(($(reach_sum definite 1) + $(reach_sum indirect 1) + $(reach_sum reachable 1)))"
	want_def=$((want_def + $(reach_sum definite 0)))
	want_reach=$((want_reach + $(reach_sum reachable 0)))
done
json=$HB_WORK/server.json
report_json "$json" "${traces[@]}"
assert_eq "one site in the merged report" 1 "$(jq '[.modules[].sites[]] | length' "$json")"
assert_eq "the site's blocks: the parent's and the workers' own" "$want_blocks" \
	"$(jq '.modules[0].sites[0].blocks' "$json")"
assert_eq "the site's bytes" "$want_bytes" "$(jq '.modules[0].sites[0].bytes' "$json")"
assert_eq "the site's definite blocks: the parent's verdicts and the workers' own" "$want_def" \
	"$(jq '.modules[0].sites[0].definite_blocks' "$json")"
assert_eq "the site's reachable blocks" "$want_reach" "$(jq '.modules[0].sites[0].reachable_blocks' "$json")"
hb_finish
