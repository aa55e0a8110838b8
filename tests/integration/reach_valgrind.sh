#!/usr/bin/env bash
# reach_valgrind.sh - the exit-time reachability scan against valgrind
# memcheck and against the program's own truth.
#
# Usage: reach_valgrind.sh HEAPBLAME PROGRAM [ARGS...]
# PROGRAM is one of tests/programs/reach/ (or "missing:REASON", a skip). It
# prints one TRUTH line: what it leaves outstanding at exit, by class
# (definite, indirect, reachable; see tests/programs/reach/reach.h). The
# driver runs it twice:
#   1. under `valgrind --leak-check=full --show-leak-kinds=all
#      --errors-for-leak-kinds=definite` and reads the LEAK SUMMARY:
#      "definitely lost" and "indirectly lost" must equal the truth exactly
#      (blocks and bytes), "possibly lost" must be at least the truth's
#      possible_*, and "still reachable" + "possibly lost" at least its
#      reachable_* (the C library and the loader keep blocks of their own:
#      each live thread's TLS vector is "possibly lost", a dlopen'ed
#      module's link map "still reachable");
#   2. under `heapblame run`, then `heapblame dump`: the totals must say
#      `scan: done` with a scan_ns, definite_* and indirect_* must equal the
#      truth and valgrind's figures, reachable_* must be at least the
#      truth's, nothing may be unclassified, and the four classes must add
#      up to live_blocks / live_bytes.
# Both runs must print the same TRUTH line and exit 0.
#
# Cycles: in an unreached cycle memcheck makes one block definite, and the
# truth follows it; LeakSanitizer calls the whole cycle indirect. With
# REACH_CYCLES=lsan the expected heapblame figures move the truth's
# cycle_leader_* from definite to indirect (valgrind is still held to
# memcheck's rule). Default: REACH_CYCLES=memcheck.
#
# Without valgrind on the PATH the valgrind half is left out, said so
# loudly, and heapblame is compared with the truth alone. Each of the two
# runs is killed after REACH_TIMEOUT seconds (default 240; exit status 124).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/valgrind_lib.sh"
[[ ${2:-} == missing:* ]] && hb_skip "${2#missing:}"
hb_setup "$1"
prog=$(hb_prog "${2:?usage: reach_valgrind.sh HEAPBLAME PROGRAM [ARGS...]}")
shift 2
args=("$@")
name=$(basename "$prog")
cycles=${REACH_CYCLES:-memcheck}
[[ $cycles == memcheck || $cycles == lsan ]] || hb_error "REACH_CYCLES must be memcheck or lsan, not '$cycles'"
limit=${REACH_TIMEOUT:-240}

truth_vg=""
if command -v valgrind >/dev/null; then
	echo "== valgrind memcheck: $name ${args[*]}"
	vglog=$HB_WORK/valgrind.log
	HB_RUN_OUT=$HB_WORK/valgrind.out
	set +e
	timeout -k 10 "$limit" valgrind --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=definite \
		--log-file="$vglog" -- "$prog" "${args[@]}" >"$HB_RUN_OUT" 2>"$HB_WORK/valgrind.err"
	st=$?
	set -e
	sed 's/^/   stdout| /' "$HB_RUN_OUT"
	sed 's/^/   stderr| /' "$HB_WORK/valgrind.err"
	sed -n '/LEAK SUMMARY:/,/suppressed:/p' "$vglog" | sed 's/^==[0-9]*==/   valgrind|/'
	assert_eq "valgrind run exit status" 0 "$st"
	truth_vg=$(hb_truth_line "program=$name")
	vg_suppressed_blocks=0 vg_suppressed_bytes=0 # set, with the others, by the loop below
	for k in definite:"definitely lost" indirect:"indirectly lost" possible:"possibly lost" \
		reachable:"still reachable" suppressed:suppressed; do
		read -r bytes blocks < <(vg_summary "$vglog" "${k#*:}")
		[[ $bytes != MISSING ]] || hb_error "no LEAK SUMMARY in valgrind's log ($vglog): $(tail -5 "$vglog")"
		printf -v "vg_${k%%:*}_bytes" %s "$bytes"
		printf -v "vg_${k%%:*}_blocks" %s "$blocks"
	done
	for c in definite indirect; do
		for u in blocks bytes; do
			v=vg_${c}_$u
			assert_eq "valgrind ${c}_$u = truth" "$(hb_kv "$truth_vg" "${c}_$u")" "${!v}"
		done
	done
	for u in blocks bytes; do
		p=vg_possible_$u r=vg_reachable_$u
		assert_ge "valgrind possibly lost $u >= truth possible_$u" "$(hb_kv "$truth_vg" "possible_$u")" "${!p}"
		assert_ge "valgrind still reachable + possibly lost $u >= truth reachable_$u" \
			"$(hb_kv "$truth_vg" "reachable_$u")" "$((${!r} + ${!p}))"
	done
	[[ $vg_suppressed_blocks == 0 ]] || echo "note: valgrind suppressed $vg_suppressed_blocks blocks ($vg_suppressed_bytes bytes)"
else
	echo "NOTE: valgrind is not on the PATH: heapblame is compared with the program's truth only"
fi

echo "== heapblame run: $name ${args[*]}"
out=$HB_WORK/traces
mkdir -p "$out"
HB_RUN_OUT=$HB_WORK/hb.out
HB_RUN_ERR=$HB_WORK/hb.err
set +e
timeout -k 10 "$limit" "$HB" run -o "$out" -- "$prog" "${args[@]}" >"$HB_RUN_OUT" 2>"$HB_RUN_ERR"
HB_RUN_STATUS=$?
set -e
sed 's/^/   stdout| /' "$HB_RUN_OUT"
sed 's/^/   stderr| /' "$HB_RUN_ERR"
assert_eq "heapblame run exit status (124: timed out)" 0 "$HB_RUN_STATUS"
truth=$(hb_truth_line "program=$name")
[[ -z $truth_vg ]] || assert_eq "same TRUTH line bare under valgrind and under heapblame" "$truth_vg" "$truth"
if [[ $name == reach_arena ]] && ! grep -qx 'ARENA top=1 unsorted=1 fastbin=1' "$HB_RUN_OUT"; then
	echo "NOTE: under heapblame the heap was not laid out as reach_arena arranges it, so glibc's arena did" \
		"not point into the leaked blocks and this run does not test that case"
fi

mapfile -t traces < <(find "$out" -maxdepth 1 -name '*.hbt' | sort)
[[ ${#traces[@]} -eq 1 ]] || hb_error "expected one trace in $out, found ${#traces[@]}: ${traces[*]}"
hb_dump "${traces[0]}"

scan=$(hb_total scan)

assert_eq "scan (none: the shim wrote no SCAN record)" "done" "$scan"
scan_ns=$(hb_total scan_ns)
assert_ge "scan_ns" 1 "$scan_ns"
if [[ $scan == "done" && $scan_ns =~ ^[0-9]+$ ]]; then
	echo "info: the scan took $((scan_ns / 1000)) us"
fi

declare -A want
for u in blocks bytes; do
	lead=$(hb_kv "$truth" "cycle_leader_$u")
	want[definite_$u]=$(hb_kv "$truth" "definite_$u")
	want[indirect_$u]=$(hb_kv "$truth" "indirect_$u")
	if [[ $cycles == lsan ]]; then
		want[definite_$u]=$((${want[definite_$u]} - lead))
		want[indirect_$u]=$((${want[indirect_$u]} + lead))
	fi
done
[[ $cycles == lsan ]] && echo "info: REACH_CYCLES=lsan: cycle leaders ($(hb_kv "$truth" cycle_leader_blocks) blocks) expected indirect"
for c in definite indirect; do
	for u in blocks bytes; do
		assert_eq "heapblame ${c}_$u = truth" "${want[${c}_$u]}" "$(hb_total "${c}_$u")"
		if [[ -n $truth_vg && $cycles == memcheck ]]; then
			v=vg_${c}_$u
			assert_eq "heapblame ${c}_$u = valgrind" "${!v}" "$(hb_total "${c}_$u")"
		fi
	done
done
for u in blocks bytes; do
	assert_ge "heapblame reachable_$u >= truth" "$(hb_kv "$truth" "reachable_$u")" "$(hb_total "reachable_$u")"
	assert_eq "heapblame unclassified_$u" 0 "$(hb_total "unclassified_$u")"
	sum=0
	for c in definite indirect reachable unclassified; do
		v=$(hb_total "${c}_$u")
		[[ $v =~ ^[0-9]+$ ]] && sum=$((sum + v))
	done
	assert_eq "definite + indirect + reachable + unclassified $u = live_$u" "$(hb_total "live_$u")" "$sum"
done
assert_eq "lost_events" 0 "$(hb_total lost_events)"
hb_finish
