#!/usr/bin/env bash
# reach_foreign.sh - real programs with allocators of their own: heapblame's
# exit scan agrees with valgrind memcheck's, and `run --check` passes.
#
# Usage: reach_foreign.sh HEAPBLAME CASE
# CASE:
#   python-json      python3 -c 'import json'
#   python-decimal   python3 -c 'import decimal'
#   cc1              gcc's cc1 compiling a small preprocessed C file at -O2
# python's pymalloc takes its arenas from mmap, and gcc's garbage collector
# its pages: the only pointers to many malloc'd blocks live there. memcheck
# scans the program's mappings and says nothing is lost; heapblame, which
# did not, called 6 blocks of `import json` definite (46 definite and 20
# indirect for decimal, about 120 for cc1). Runs the case under `valgrind
# --leak-check=full` and under `heapblame run --check`, and asserts: the
# same exit status bare, under valgrind and under heapblame (0), the scan
# done, heapblame's definite and indirect blocks and bytes equal to
# memcheck's "definitely lost" and "indirectly lost", nothing unclassified,
# and, where memcheck finds nothing lost, check's verdict PASS.
# Skipped when the program or valgrind is missing. Each run is bounded by
# REACH_TIMEOUT seconds (default 240).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/valgrind_lib.sh"
hb_setup "$1"
case=${2:?usage: reach_foreign.sh HEAPBLAME CASE}
limit=${REACH_TIMEOUT:-240}
command -v valgrind >/dev/null || hb_skip "valgrind is not on the PATH"

case $case in
python-json | python-decimal)
	py=/usr/bin/python3
	[[ -x $py ]] || py=$(command -v python3 || true)
	[[ -n $py && -x $py ]] || hb_skip "no python3"
	cmd=("$(realpath "$py")" -c "import ${case#python-}")
	;;
cc1)
	command -v gcc >/dev/null || hb_skip "no gcc"
	cc1=$(gcc -print-prog-name=cc1)
	[[ -x $cc1 ]] || hb_skip "gcc's cc1 not found ($cc1)"
	cat >"$HB_WORK/small.c" <<'SRC'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
struct point { int x, y; };
static int cmp(const void *a, const void *b) { return ((const struct point *)a)->x - ((const struct point *)b)->x; }
int main(int argc, char **argv)
{
	struct point *v = calloc((size_t)argc, sizeof(*v));
	for (int i = 0; i < argc; i++)
		v[i].x = (int)strlen(argv[i]);
	qsort(v, (size_t)argc, sizeof(*v), cmp);
	printf("%d\n", v[0].x);
	free(v);
	return 0;
}
SRC
	gcc -E "$HB_WORK/small.c" -o "$HB_WORK/small.i"
	cmd=("$(realpath "$cc1")" -fpreprocessed -quiet -O2 "$HB_WORK/small.i" -o "$HB_WORK/small.s")
	;;
*) hb_error "unknown case '$case'" ;;
esac
echo "== case $case: ${cmd[*]}"

set +e
timeout -k 10 "$limit" "${cmd[@]}" >"$HB_WORK/bare.out" 2>&1
bare=$?
echo "== valgrind memcheck"
timeout -k 10 "$limit" valgrind --leak-check=full --show-leak-kinds=all --log-file="$HB_WORK/vg.log" -- \
	"${cmd[@]}" >"$HB_WORK/vg.out" 2>&1
vg=$?
set -e
sed -n '/LEAK SUMMARY:/,/suppressed:/p' "$HB_WORK/vg.log" | sed 's/^==[0-9]*==/   valgrind|/'
assert_eq "bare exit status" 0 "$bare"
assert_eq "valgrind exit status" 0 "$vg"
for k in definite:"definitely lost" indirect:"indirectly lost"; do
	read -r bytes blocks < <(vg_summary "$HB_WORK/vg.log" "${k#*:}")
	[[ $bytes != MISSING ]] || hb_error "no LEAK SUMMARY in valgrind's log: $(tail -5 "$HB_WORK/vg.log")"
	printf -v "vg_${k%%:*}_bytes" %s "$bytes"
	printf -v "vg_${k%%:*}_blocks" %s "$blocks"
done

out=$HB_WORK/traces
HB_RUN_WRAP=(timeout -k 10 "$limit")
hb_run "$out" --check -- "${cmd[@]}"
if ((vg_definite_blocks + vg_indirect_blocks == 0)); then
	assert_eq "heapblame run --check exit status (memcheck: nothing lost)" 0 "$HB_RUN_STATUS"
	assert_eq "check's verdict" 1 "$(grep -c 'leaked in 0 modules (budget 0): PASS' "$HB_RUN_OUT" || true)"
fi
mapfile -t traces < <(find "$out" -maxdepth 1 -name '*.hbt' | sort)
[[ ${#traces[@]} -eq 1 ]] || hb_error "expected one trace in $out, found ${#traces[@]}: ${traces[*]}"
hb_dump "${traces[0]}"
assert_eq "scan" "done" "$(hb_total scan)"
for c in definite indirect; do
	for u in blocks bytes; do
		v=vg_${c}_$u
		assert_eq "heapblame ${c}_$u = valgrind" "${!v}" "$(hb_total "${c}_$u")"
	done
done
assert_eq "heapblame unclassified_blocks" 0 "$(hb_total unclassified_blocks)"
echo "info: the scan read $(grep -o 'root_bytes=[0-9]*' "$HB_DUMP" | head -1) in $(hb_total scan_ns) ns"
hb_finish
