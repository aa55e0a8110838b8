#!/usr/bin/env bash
# unwind_verify.sh - the shim's fast unwinder gives exactly libunwind's stacks.
#
# Usage: unwind_verify.sh HEAPBLAME PROGRAM [ARGS...]
# Runs PROGRAM under the shim with HEAPBLAME_UNWIND=verify: every allocation
# is unwound twice, by the cached CFI walk (shim/unwind.c) and by libunwind's
# unw_backtrace, and the shim counts the stacks that differ. At exit it
# prints "unwind check: N stacks compared with libunwind, M differ, K fell
# back" for each traced process. Asserts that every process compared at
# least one stack and that none differs. (Stacks the walk refuses, such as
# those through a signal frame, fall back to libunwind and are not compared.)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[[ ${2:-} == missing:* ]] && hb_skip "${2#missing:}"
hb_setup "$1"
shift
prog=$(hb_prog "$1")
shift

mkdir -p "$HB_WORK/traces"
set +e
HEAPBLAME_UNWIND=verify "$HB" run -o "$HB_WORK/traces" -- "$prog" "$@" >"$HB_WORK/out" 2>"$HB_WORK/err"
st=$?
set -e
grep '^heapblame: unwind check' "$HB_WORK/err" || true
assert_eq "program exit status" 0 "$st"
checks=$(grep -c '^heapblame: unwind check:' "$HB_WORK/err" || true)
assert_ge "processes that reported a check" 1 "$checks"
while read -r compared differ; do
	assert_ge "stacks compared" 1 "$compared"
	assert_eq "stacks that differ from libunwind's" 0 "$differ"
done < <(sed -n 's/^heapblame: unwind check: \([0-9]*\) stacks compared with libunwind, \([0-9]*\) differ.*/\1 \2/p' "$HB_WORK/err")
hb_finish
