#!/usr/bin/env bash
# cxx.sh - C++ allocation through libstdc++, blamed on the program.
#
# Usage: cxx.sh HEAPBLAME CXX
# CXX is tests/programs/cxx, or "missing:REASON" when meson found no C++
# compiler (then the test is skipped, exit 77). Runs it under `heapblame run`
# and checks the executable's module line against its TRUTH ledger: operator
# new and std::string live in libstdc++, an allocator wrapper, so every block
# must be blamed on the executable. libstdc++'s own start-up allocation is
# made from the loader's initialiser and is not the program's.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[[ ${2:-} == missing:* ]] && hb_skip "${2#missing:}"
hb_setup "$1"
prog=$(hb_prog "$2")

out=$HB_WORK/traces
hb_run "$out" -- "$prog"
assert_eq "run exit status" 0 "$HB_RUN_STATUS"
truth=$(hb_truth_line)
pid=$(hb_kv "$truth" pid)
hb_expect_traces "$out" "heapblame.cxx.$pid.hbt"
hb_dump "$out/heapblame.cxx.$pid.hbt"
assert_module cxx "$prog" "$truth"
assert_eq "lost_events" 0 "$(hb_total lost_events)"
assert_eq "end" "exit 0" "$(hb_total end)"
hb_finish
