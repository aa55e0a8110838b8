#!/usr/bin/env bash
# hostile_truncated.sh - the exit scan reads a loaded library whose file was
# truncated, and the host does not notice.
#
# Usage: hostile_truncated.sh HEAPBLAME TRUNCSO LIBHBTRUNCPLUG.so [learn]
# tests/programs/hostile/truncso loads a copy of the library, truncates the
# copy's file to 0 bytes, leaks 5 blocks of 100 bytes and returns. The
# library's untouched data pages then raise SIGBUS when read; the scan read
# them as a root and killed the host (exit status 135). With learn the shim
# knows the library before (a block allocated through it, reachable), and
# the scan reads its data segment as module data; without, the shim meets
# it at exit, and its module map read the lost program headers. Now both
# copy such memory with process_vm_readv, which skips what cannot be read.
# Each run gets a fresh copy. Asserts: exit status 0 bare and under the shim, the
# same stdout, no stderr line but heapblame's, a clean trace, `scan: done`,
# and the program's 5 leaked blocks (500 bytes) definite, exactly.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")
lib=${3:?the library}
learn=(${4:+"$4"})

cp "$lib" "$HB_WORK/bare.so"
hb_bare_bounded "$prog" "$HB_WORK/bare.so" "${learn[@]}"
assert_status "bare exit status" 0 "$HB_BARE_STATUS"
assert_eq "bare: the library's file was truncated" 0 "$(stat -c %s "$HB_WORK/bare.so")"
for r in 1 2 3; do
	cp "$lib" "$HB_WORK/run.so"
	out=$HB_WORK/traces.$r
	hb_run_bounded "$out" -- "$prog" "$HB_WORK/run.so" "${learn[@]}"
	assert_status "round $r: run exit status (135: SIGBUS)" 0 "$HB_RUN_STATUS"
	assert_eq "round $r: stdout as bare" "$(cat "$HB_BARE_OUT")" "$(cat "$HB_RUN_OUT")"
	assert_eq "round $r: stderr lines not from heapblame" "" \
		"$(grep -v '^heapblame: ' "$HB_RUN_ERR" | grep -vxFf "$HB_BARE_ERR" || true)"
	[[ $HB_RUN_STATUS == 0 ]] || continue
	trace=$(find "$out" -name '*.hbt')
	assert_eq "round $r: trace files" 1 "$(wc -l <<<"$trace")"
	hb_dump "$trace"
	assert_dump_clean
	assert_eq "round $r: scan" "done" "$(hb_total scan)"
	assert_eq "round $r: definite blocks (the program's leaks)" 5 "$(hb_total definite_blocks)"
	assert_eq "round $r: definite bytes" 500 "$(hb_total definite_bytes)"
	[[ -z ${learn[*]} ]] || assert_eq "round $r: the block allocated through the library is reachable" \
		"reachable=1" "$(hb_reach_of_size 4000)"
done
hb_finish
