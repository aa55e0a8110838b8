#!/usr/bin/env bash
# dlchurn.sh - plugins loaded, used and unloaded in turn at the same address.
#
# Usage: dlchurn.sh HEAPBLAME DLCHURN PLUGIN1 PLUGIN2
# Runs tests/programs/dlchurn with the two plugin builds (libhbplugin.so and
# libhbplugin2.so, passed by absolute path, which is the path they are loaded
# as). Each plugin's module line must carry exactly the ledger the plugin kept
# (allocs, frees, live blocks and bytes), including the blocks leaked through
# libc's strdup, although the plugin is unloaded by the end and the other
# plugin was mapped at its address in between. The executable's own module
# allocates nothing: a tracer that blames the plugins' or the loader's blocks
# on it fails here.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")
p1=$(hb_prog "$3")
p2=$(hb_prog "$4")

out=$HB_WORK/traces
hb_run "$out" -- "$prog" "$p1" "$p2" 5
assert_eq "run exit status" 0 "$HB_RUN_STATUS"
truth=$(hb_truth_line)
pid=$(hb_kv "$truth" pid)
echo "info: plugin 2 was mapped at plugin 1's address in $(hb_kv "$truth" same_base) of 5 rounds"
hb_expect_traces "$out" "heapblame.dlchurn.$pid.hbt"
hb_dump "$out/heapblame.dlchurn.$pid.hbt"

assert_module plugin1 "$p1" "$truth" p1_
assert_module plugin2 "$p2" "$truth" p2_
assert_eq "dlchurn module allocs" "$(hb_kv "$truth" exe_allocs)" "$(hb_module allocs "$prog")"
assert_eq "lost_events" 0 "$(hb_total lost_events)"
assert_eq "end" "exit 0" "$(hb_total end)"
hb_finish
