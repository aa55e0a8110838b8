#!/usr/bin/env bash
# hostile_fnptralloc.sh - a non-PIE executable that takes malloc's address
# is traced, with no warning that it has an allocator of its own.
#
# Usage: hostile_fnptralloc.sh HEAPBLAME FNPTRALLOC
# tests/programs/hostile/fnptralloc is linked -no-pie and passes malloc and
# free as callbacks: its dynamic symbol table then lists malloc undefined,
# with the address of a PLT stub in the executable, which is what
# dlsym(RTLD_DEFAULT, "malloc") returns. That is no definition (the stub
# calls the shim), but the shim took it for one and warned (the warning of
# hostile_ownalloc.sh: a line "heapblame: ...allocator..." on stderr).
# Skipped (77) if the toolchain did not make the stub (the program says
# whether malloc's address is in its image). Checks: status 0 and the
# bare run's output, no such warning, one trace that decodes without a
# warning and holds the program's ledger (what went through the callbacks).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")

hb_bare_bounded "$prog"
[[ $HB_BARE_STATUS == 0 ]] || hb_error "fnptralloc fails without the shim (status $HB_BARE_STATUS)"
grep -q '^TRUTH malloc_in_executable=1 ' "$HB_BARE_OUT" ||
	hb_skip "malloc's address is not a PLT stub of the executable (not linked -no-pie?): $(head -1 "$HB_BARE_OUT")"
out=$HB_WORK/traces
hb_run_bounded "$out" -- "$prog"
assert_status "run exit status" 0 "$HB_RUN_STATUS"
assert_as_bare fnptralloc
assert_eq "stderr lines 'heapblame: ...allocator...'" 0 "$(grep -c '^heapblame: .*allocator' "$HB_RUN_ERR" || true)"
trace=$(find "$out" -name '*.hbt')
assert_eq "trace files" 1 "$(wc -l <<<"$trace")"
[[ -n $trace ]] || hb_finish
hb_dump "$trace"
assert_dump_clean
assert_module fnptralloc "$prog" "$(hb_truth_line)"
assert_eq "end" "exit 0" "$(hb_total end)"
hb_finish
