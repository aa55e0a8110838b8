#!/usr/bin/env bash
# ctor_dtor.sh - allocations in a constructor, frees in an atexit handler and
# in a destructor after main returned.
#
# Usage: ctor_dtor.sh HEAPBLAME CTOR_DTOR
# Runs tests/programs/ctor_dtor under `heapblame run`. The TRUTH line of main
# gives the ledger as it stands after the atexit handler and the destructor
# have freed their blocks; both print a line when they have, which is checked
# first. The executable's module line must equal that ledger: the
# constructor's blocks are there and live, the late frees are recorded.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")

out=$HB_WORK/traces
hb_run "$out" -- "$prog"
assert_eq "run exit status" 0 "$HB_RUN_STATUS"
truth=$(hb_truth_line role=main)
pid=$(hb_kv "$truth" pid)
hb_truth_line role=atexit >/dev/null
hb_truth_line role=dtor >/dev/null
hb_expect_traces "$out" "heapblame.ctor_dtor.$pid.hbt"
hb_dump "$out/heapblame.ctor_dtor.$pid.hbt"
assert_module ctor_dtor "$prog" "$truth"
assert_eq "events.free (main, atexit handler, destructor)" "$(hb_kv "$truth" frees)" "$(hb_total events.free)"
assert_eq "lost_events" 0 "$(hb_total lost_events)"
assert_eq "end" "exit 0" "$(hb_total end)"
hb_finish
