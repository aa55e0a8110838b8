#!/usr/bin/env bash
# jemalloc.sh - tracing a program whose malloc is jemalloc's.
#
# Usage: jemalloc.sh HEAPBLAME JEMALLOC_PROG
# JEMALLOC_PROG is tests/programs/jemalloc_prog, or "missing:REASON" when
# meson found no jemalloc (then the test is skipped, exit 77). Runs it bare
# first (it must report jemalloc_serving=1, or the build is wrong), then under
# `heapblame run`: the shim must forward to jemalloc (jemalloc_serving=1
# again: jemalloc's own counter saw the program's block) and the executable's
# module line must equal the TRUTH ledger.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[[ ${2:-} == missing:* ]] && hb_skip "${2#missing:}"
hb_setup "$1"
prog=$(hb_prog "$2")

bare=$("$prog") || hb_error "jemalloc_prog failed bare"
echo "bare: $bare"
[[ " $bare " == *" jemalloc_serving=1 "* ]] || hb_error "jemalloc_prog is not served by jemalloc even bare"

out=$HB_WORK/traces
hb_run "$out" -- "$prog"
assert_eq "run exit status" 0 "$HB_RUN_STATUS"
truth=$(hb_truth_line)
pid=$(hb_kv "$truth" pid)
assert_eq "jemalloc serves the program's blocks under the shim" 1 "$(hb_kv "$truth" jemalloc_serving)"
hb_expect_traces "$out" "heapblame.jemalloc_prog.$pid.hbt"
hb_dump "$out/heapblame.jemalloc_prog.$pid.hbt"
assert_module jemalloc_prog "$prog" "$truth"
assert_eq "lost_events" 0 "$(hb_total lost_events)"
assert_eq "end" "exit 0" "$(hb_total end)"
hb_finish
