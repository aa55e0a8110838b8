#!/usr/bin/env bash
# report-clang.sh: `heapblame report` against `heaptrack_print --print-leaks 1`
# on traces of `clang -cc1` compiling 8 files (issue 8, item 4: symbolizing
# must scale with the frames shown, not with libLLVM's size).
#
# Records once, untimed: heapblame and heaptrack each trace one `clang -cc1`
# given the 8 generated files. Then ROUNDS rounds, each timing both
# analysers (order alternating) with /usr/bin/time, output to /dev/null.
# Prints the median seconds and max RSS of each, and the median of the
# per-round ratios: on a shared 2-core VM only ratios taken within a round
# hold. OLD=PATH times another heapblame as a third tool (the one before a
# change), its ratio taken against heaptrack_print too.
#
#   bench/report-clang.sh                  8 generated C files, 5 rounds
#   INPUT=cxx bench/report-clang.sh        8 generated C++ files using the STL
#   PROCS=8 bench/report-clang.sh          one cc1 per file: 8 heapblame
#                                          traces in one report, 8
#                                          heaptrack_print runs in a row
#
# Knobs [defaults]: HEAPBLAME [build/analyzer/heapblame], ROUNDS [5],
# INPUT [c], PROCS [1], FUNCS [250] (functions per C file), OLD [unset],
# OUT [build/bench-results/clang-<UTC stamp>]. Needs clang, heaptrack,
# heaptrack_print and GNU time. HEAPBLAME_SYM_STATS=1 is set for one untimed
# run, to log what the symbolizer looked up.
set -u
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HEAPBLAME=${HEAPBLAME:-$root/build/analyzer/heapblame}
ROUNDS=${ROUNDS:-5}
INPUT=${INPUT:-c}
PROCS=${PROCS:-1}
FUNCS=${FUNCS:-250}
OLD=${OLD:-}
OUT=${OUT:-$root/build/bench-results/clang-$(date -u +%Y%m%dT%H%M%SZ)}
die() { echo "report-clang.sh: $*" >&2; exit 2; }
for t in clang heaptrack heaptrack_print /usr/bin/time; do
	command -v "$t" >/dev/null || die "$t not found"
done
[[ -x $HEAPBLAME ]] || die "no heapblame at $HEAPBLAME (build first)"
mkdir -p "$OUT/src" || die "cannot create $OUT"
OUT=$(cd "$OUT" && pwd)
cd "$OUT/src" || exit 2

# the input: 8 files that take clang a second or two together
for i in 1 2 3 4 5 6 7 8; do
	if [[ $INPUT == cxx ]]; then
		f=f$i.cpp
		printf '#include <map>\n#include <string>\n#include <vector>\n#include <sstream>\n#include <algorithm>\n' >"$f"
		printf 'namespace n%d { template <class T> struct Box { std::vector<T> v; std::map<std::string, T> m; };\n' $i >>"$f"
		printf 'int run(int n) { Box<int> b; for (int k = 0; k < n * %d; k++) { b.v.push_back(k); b.m[std::to_string(k)] = k; }\n' $i >>"$f"
		printf '  std::ostringstream os; os << b.v.size(); std::sort(b.v.begin(), b.v.end()); return (int)os.str().size(); } }\n' >>"$f"
	else
		f=f$i.c
		{
			printf '#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n'
			printf 'struct s%d { int a; double b; char name[32]; };\n' $i
			for j in $(seq 1 "$FUNCS"); do
				printf 'static int f%d_%d(struct s%d *p, int n) { int acc = %d; for (int k = 0; k < n; k++) { acc += p->a * k + (int)p->b; if (acc %% 7 == %d) acc ^= k << 2; } snprintf(p->name, sizeof p->name, "%%d", acc); return acc + (int)strlen(p->name); }\n' $i $j $i $j $((j % 7))
			done
			printf 'int run%d(int n) { struct s%d *p = calloc(1, sizeof *p); int r = 0;\n' $i $i
			for j in $(seq 1 "$FUNCS"); do printf '  r += f%d_%d(p, n);\n' $i $j; done
			printf '  free(p); return r; }\n'
		} >"$f"
	fi
done
lang=c ext=c
[[ $INPUT == cxx ]] && lang=c++ ext=cpp
# clang's own cc1 command line for the first file, without its output and input
eval "set -- $(clang -### -c f1.$ext 2>&1 | tail -n 1)"
cc1=("$@")
cc1=("${cc1[@]:0:${#cc1[@]}-5}") # -o f1.o -x LANG f1.EXT
files=(f?.$ext)

echo "recording: ${#files[@]} files, PROCS=$PROCS, clang $(clang --version | head -n 1)" >&2
rm -rf "$OUT/hb" "$OUT/ht"
mkdir -p "$OUT/ht"
if [[ $PROCS == 1 ]]; then
	"$HEAPBLAME" run -q -o "$OUT/hb/" -- "${cc1[@]}" -x $lang "${files[@]}" >/dev/null || die "heapblame run failed"
	heaptrack -o "$OUT/ht/all" "${cc1[@]}" -x $lang "${files[@]}" >/dev/null 2>&1 || die "heaptrack failed"
else
	q=$(printf '%q ' "${cc1[@]}")
	"$HEAPBLAME" run -q -o "$OUT/hb/" -- sh -c "for f in ${files[*]}; do $q -x $lang \$f -o \$f.o || exit 1; done" ||
		die "heapblame run failed"
	for f in "${files[@]}"; do
		heaptrack -o "$OUT/ht/$f" "${cc1[@]}" -x $lang "$f" -o "$f.o" >/dev/null 2>&1 || die "heaptrack failed"
	done
fi
echo "traces: heapblame $(cat "$OUT"/hb/* | wc -c) bytes in $(ls "$OUT/hb" | wc -l) files;" \
	"heaptrack $(cat "$OUT"/ht/*.zst | wc -c) bytes in $(ls "$OUT/ht" | wc -l) files" >&2

timed() { # TOOL ROUND: one timed run, "TOOL ROUND seconds maxrss_kib" appended to runs.tsv
	local cmd
	case $1 in
	heapblame) cmd=("$HEAPBLAME" report "$OUT"/hb/*.hbt) ;;
	old) cmd=("$OLD" report "$OUT"/hb/*.hbt) ;;
	heaptrack_print) cmd=(sh -c 'for f; do heaptrack_print --print-leaks 1 "$f" || exit 1; done' sh "$OUT"/ht/*.zst) ;;
	esac
	/usr/bin/time -f '%e %M' -o "$OUT/time.txt" "${cmd[@]}" >/dev/null 2>&1 || die "$1 failed (round $2)"
	echo "$1 $2 $(tail -n 1 "$OUT/time.txt")" >>"$OUT/runs.tsv"
}
tools=(heapblame heaptrack_print)
[[ -n $OLD ]] && tools+=(old)
: >"$OUT/runs.tsv"
for t in "${tools[@]}"; do timed "$t" 0; done # warm-up, not counted
HEAPBLAME_SYM_STATS=1 "$HEAPBLAME" report "$OUT"/hb/*.hbt 2>&1 >/dev/null | grep symbolizer >&2
for ((r = 1; r <= ROUNDS; r++)); do
	if ((r % 2)); then order=("${tools[@]}"); else order=(); for ((i = ${#tools[@]} - 1; i >= 0; i--)); do order+=("${tools[i]}"); done; fi
	for t in "${order[@]}"; do timed "$t" "$r"; done
done
awk -v rounds="$ROUNDS" '
function median(a, n,   i, j, t) {
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
	return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
}
$2 > 0 { s[$1, $2] = $3; m[$1, $2] = $4; seen[$1] = 1 }
END {
	printf "%-16s %10s %12s %22s\n", "tool", "median s", "max RSS MiB", "ratio to heaptrack_print"
	for (t in seen) {
		n = 0; for (r = 1; r <= rounds; r++) { n++; x[n] = s[t, r]; y[n] = m[t, r] / 1024; z[n] = s[t, r] / s["heaptrack_print", r] }
		printf "%-16s %10.3f %12.1f %22.2f\n", t, median(x, n), median(y, n), median(z, n)
	}
}' "$OUT/runs.tsv" | tee "$OUT/summary.txt"
