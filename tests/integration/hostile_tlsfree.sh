#!/usr/bin/env bash
# hostile_tlsfree.sh - threads whose first allocator call is a free in their
# thread-specific-data destructor: exact counts, and no buffer leaked per
# thread.
#
# Usage: hostile_tlsfree.sh HEAPBLAME TLSFREE
# tests/programs/hostile/tlsfree runs 40 rounds of 16 threads; each thread
# stores a block main allocated with pthread_setspecific and returns; the
# key's destructor frees it during the thread's exit: the first time the
# shim meets that thread. The program measures its virtual size after 8
# rounds and at the end (glibc limited to one arena). Checks: bare, it
# succeeds; traced (`--interval 10`): status 0; events.malloc, events.free
# and the module line equal the truth (every block freed); nothing lost;
# `exit 0`; and the virtual size grew by at most 4 MiB more than bare (one
# leaked per-thread buffer is about 80 KiB, 560 threads follow the
# measure's start).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")

HEAPBLAME_INTERVAL_MS=10 hb_bare_bounded "$prog"
[[ $HB_BARE_STATUS == 0 ]] || hb_error "tlsfree fails without the shim (status $HB_BARE_STATUS)"
bare_growth=$(hb_kv "$(sed -n 's/^TRUTH //p' "$HB_BARE_OUT")" vm_growth_kb)

out=$HB_WORK/traces
hb_run_bounded "$out" --interval 10 -- "$prog"
assert_status "run exit status" 0 "$HB_RUN_STATUS"
[[ $HB_RUN_STATUS == 0 ]] || hb_finish
truth=$(hb_truth_line)
pid=$(hb_kv "$truth" pid)
assert_eq "every destructor freed its block" "$(hb_kv "$truth" threads)" "$(hb_kv "$truth" destructor_frees)"
growth=$(hb_kv "$truth" vm_growth_kb)
limit=$((bare_growth + 4096))
if ((growth <= limit)); then
	assert_eq "virtual size growth over 560 threads <= bare + 4096 KiB ($bare_growth + 4096)" ok ok
else
	assert_eq "virtual size growth over 560 threads <= bare + 4096 KiB ($bare_growth + 4096)" \
		"<= $limit KiB" "$growth KiB"
fi
hb_expect_traces "$out" "heapblame.tlsfree.$pid.hbt"
hb_dump "$(hb_trace_of "$out" tlsfree "$pid")"
assert_dump_clean
assert_eq "events.malloc" "$(hb_kv "$truth" malloc)" "$(hb_total events.malloc)"
assert_eq "events.free" "$(hb_kv "$truth" frees)" "$(hb_total events.free)"
assert_module tlsfree "$prog" "$truth"
assert_eq "lost_events" 0 "$(hb_total lost_events)"
assert_eq "end" "exit 0" "$(hb_total end)"
hb_finish
