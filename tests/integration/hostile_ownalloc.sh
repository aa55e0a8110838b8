#!/usr/bin/env bash
# hostile_ownalloc.sh - an executable exporting its own malloc: the shim says
# on stderr that the program's allocator bypasses it, and changes nothing.
#
# Usage: hostile_ownalloc.sh HEAPBLAME OWNALLOC CONTROL [CONTROL-ARGS...]
# tests/programs/hostile/ownalloc is linked -rdynamic with its own malloc,
# free, calloc, realloc and aligned functions (a bump allocator): the loader
# binds every caller to them, before the preloaded shim. Agreed message: a
# line on stderr starting "heapblame: " that contains the word "allocator".
# Checks: traced, the status and stdout are the bare run's; the warning is
# there; the trace still decodes. CONTROL, an ordinary program (which exits
# 0 with CONTROL-ARGS), must get no such warning.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")
control=$(hb_prog "$3")
shift 3

hb_bare_bounded "$prog"
[[ $HB_BARE_STATUS == 0 ]] || hb_error "ownalloc fails without the shim (status $HB_BARE_STATUS)"
out=$HB_WORK/traces
hb_run_bounded "$out" -- "$prog"
assert_status "run exit status" 0 "$HB_RUN_STATUS"
assert_eq "output as bare" "$(cat "$HB_BARE_OUT")" "$(cat "$HB_RUN_OUT")"
assert_ge "stderr lines 'heapblame: ...allocator...'" 1 "$(grep -c '^heapblame: .*allocator' "$HB_RUN_ERR" || true)"
trace=$(find "$out" -name '*.hbt')
assert_eq "trace files" 1 "$(wc -l <<<"$trace")"
[[ -n $trace ]] && hb_dump "$trace"

hb_run_bounded "$HB_WORK/control" -- "$control" "$@"
assert_status "control run exit status" 0 "$HB_RUN_STATUS"
assert_eq "control: stderr lines 'heapblame: ...allocator...'" 0 \
	"$(grep -c '^heapblame: .*allocator' "$HB_RUN_ERR" || true)"
hb_finish
