#!/usr/bin/env bash
# allocbench.sh - the shared benchmark kit's allocbench, checked against the
# truth it prints.
#
# Usage: allocbench.sh HEAPBLAME KIT_DIR
# KIT_DIR is the shared benchmark kit (shared/bench beside the project); when
# it is missing the test is skipped (exit 77). Builds allocbench, libalpha.so
# and libbeta.so from KIT_DIR/src into a temporary directory with the kit
# Makefile's flags (-O2 -g -fomit-frame-pointer; the libraries -fPIC -shared
# with their sonames; allocbench with rpath $ORIGIN), runs a small workload
# under `heapblame run`, and compares the trace with allocbench's per-module
# table and its `RESULT ...` line:
#   - events.realloc == RESULT realloc_calls, events.posix_memalign == the
#     TOTAL memalign column (nothing else in the process makes those calls);
#   - events.free == RESULT free_calls + T + 1, and events == RESULT events
#     + 2 (T + 1) + 1 + R, where T + 1 callocs and T + 1 frees are
#     allocbench's own bookkeeping (one worker array, one slot array per
#     thread), 1 is the stdout buffer libc allocates at the first printf
#     (blamed on allocbench: libc is an allocator wrapper), and R is the
#     allocs + frees of every module other than allocbench, libalpha.so and
#     libbeta.so (the loader's per-thread TLS vectors), read from the trace;
#   - libalpha.so and libbeta.so: allocs == their malloc + calloc + memalign
#     + realloc columns; libalpha.so has nothing live; libbeta.so's live
#     blocks and bytes == RESULT beta_leaked_blocks / beta_leaked_bytes;
#   - allocbench's own module: allocs == its columns + T + 1 + 1.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
kit=${2:-}
[[ -n $kit && -f $kit/src/allocbench.c ]] ||
	hb_skip "benchmark kit not found at '$kit' (expected src/allocbench.c there)"
hb_setup "$1"
hb_allocbench "$kit"
ab=$(dirname "$AB")

T=2
out=$HB_WORK/traces
hb_run "$out" -- "$ab/allocbench" -t $T -n 200000 -d 8 -l 2000 -k 0.001
assert_eq "run exit status" 0 "$HB_RUN_STATUS"
result=$(sed -n 's/^RESULT //p' "$HB_RUN_OUT")
[[ -n $result ]] || hb_error "allocbench printed no RESULT line"
traces=("$out"/heapblame.allocbench.*.hbt)
[[ -f ${traces[0]} ]] || hb_error "no trace heapblame.allocbench.<pid>.hbt in $out"
hb_expect_traces "$out" "$(basename "${traces[0]}")"
hb_dump "${traces[0]}"

# table row of a module: malloc calloc memalign realloc free ...
row() { awk -v m="$1" '$1 == m { print $2, $3, $4, $5, $6; exit }' "$HB_RUN_OUT"; }
allocs_of() { local r; read -ra r <<<"$(row "$1")"; echo $((r[0] + r[1] + r[2] + r[3])); }

exe_path=$ab/allocbench
alpha_path=$ab/libalpha.so
beta_path=$ab/libbeta.so
# events of every other module (the runtime's own allocations)
others=$(awk -v a="$exe_path" -v b="$alpha_path" -v c="$beta_path" '
	f && substr($0, 1, 7) == "module " {
		rest = substr($0, 8); i = index(rest, ": "); p = substr(rest, 1, i - 1)
		if (p == a || p == b || p == c) next
		n = split(substr(rest, i + 2), kv, " ")
		for (j = 1; j <= n; j++) {
			eq = index(kv[j], "="); k = substr(kv[j], 1, eq - 1)
			if (k == "allocs" || k == "frees") s += substr(kv[j], eq + 1)
		}
	}
	$0 == "== totals ==" { f = 1 }
	END { printf "%d\n", s }' "$HB_DUMP")
read -ra total_row <<<"$(row TOTAL)"
echo "info: RESULT events=$(hb_kv "$result" events); bookkeeping $((2 * (T + 1))); stdout buffer 1;" \
	"other modules' events $others"

assert_eq "events.realloc" "$(hb_kv "$result" realloc_calls)" "$(hb_total events.realloc)"
assert_eq "events.posix_memalign" "${total_row[2]}" "$(hb_total events.posix_memalign)"
assert_eq "events.free" "$(($(hb_kv "$result" free_calls) + T + 1))" "$(hb_total events.free)"
assert_eq "events" "$(($(hb_kv "$result" events) + 2 * (T + 1) + 1 + others))" "$(hb_total events)"
assert_eq "libalpha.so allocs" "$(allocs_of libalpha.so)" "$(hb_module allocs "$alpha_path")"
assert_eq "libalpha.so live_blocks" 0 "$(hb_module live_blocks "$alpha_path")"
assert_eq "libalpha.so live_bytes" 0 "$(hb_module live_bytes "$alpha_path")"
assert_eq "libbeta.so allocs" "$(allocs_of libbeta.so)" "$(hb_module allocs "$beta_path")"
assert_eq "libbeta.so live_blocks" "$(hb_kv "$result" beta_leaked_blocks)" "$(hb_module live_blocks "$beta_path")"
assert_eq "libbeta.so live_bytes" "$(hb_kv "$result" beta_leaked_bytes)" "$(hb_module live_bytes "$beta_path")"
assert_eq "allocbench allocs" "$(($(allocs_of exe) + T + 1 + 1))" "$(hb_module allocs "$exe_path")"
assert_eq "lost_events" 0 "$(hb_total lost_events)"
assert_eq "end" "exit 0" "$(hb_total end)"
hb_finish
