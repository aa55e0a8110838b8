#!/usr/bin/env bash
# hostile_fds.sh - a host that closes every descriptor, or dup2()s onto the
# trace's: its log holds only its own lines, and the trace stays complete.
#
# Usage: hostile_fds.sh HEAPBLAME FDHOSTILE closeall|dup2
# tests/programs/hostile/fdhostile allocates, waits three flush periods,
# then (closeall) closes every descriptor >= 3 and opens its log, or (dup2)
# dup2()s its log onto the descriptor the trace is written through; then
# writes 12 lines to the log, allocating and waiting two flush periods
# between them (`--interval 10`). The behaviour chosen for heapblame: the
# shim keeps its descriptor out of the host's way and the trace stays whole
# (not: tracing stops with a message). Checks: the log file is exactly the
# host's 12 lines; in dup2 mode the program did find the trace's descriptor
# (else the case was not exercised); the trace decodes without a warning,
# its module line equals the truth, nothing is lost, and it ends with
# `exit 0`; the shim printed nothing but the trace announcement.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")
mode=${3:?mode closeall or dup2}
[[ $mode == closeall || $mode == dup2 ]] || hb_error "mode must be closeall or dup2, not $mode"

out=$HB_WORK/traces
log=$HB_WORK/host.log
hb_run_bounded "$out" --interval 10 -- "$prog" "$mode" "$log"
assert_status "run exit status" 0 "$HB_RUN_STATUS"
[[ $HB_RUN_STATUS == 0 ]] || hb_finish
truth=$(hb_truth_line mode="$mode")
pid=$(hb_kv "$truth" pid)
lines=$(hb_kv "$truth" lines)
if [[ $mode == dup2 ]]; then
	assert_eq "the program found the trace's descriptor to dup2 onto" 1 "$(hb_kv "$truth" trace_fd_found)"
fi

expected=$HB_WORK/expected.log
for ((k = 0; k < lines; k++)); do echo "host log line $k"; done >"$expected"
if cmp -s "$expected" "$log"; then
	assert_eq "host log holds exactly the host's lines" same same
else
	assert_eq "host log holds exactly the host's lines ($(wc -c <"$log") bytes, want $(wc -c <"$expected"))" \
		same differs
	echo "   host log, first bytes:"
	head -c 128 "$log" | od -c | sed 's/^/   | /'
fi

assert_eq "shim messages on stderr (other than the trace announcement)" 0 \
	"$(grep '^heapblame: ' "$HB_RUN_ERR" | grep -vc '^heapblame: trace written to ' || true)"
hb_expect_traces "$out" "heapblame.fdhostile.$pid.hbt"
hb_dump "$(hb_trace_of "$out" fdhostile "$pid")"
assert_dump_clean
assert_module fdhostile "$prog" "$truth"
assert_eq "events.malloc" "$(hb_kv "$truth" allocs)" "$(hb_total events.malloc)"
assert_eq "events.free" "$(hb_kv "$truth" frees)" "$(hb_total events.free)"
assert_eq "lost_events" 0 "$(hb_total lost_events)"
assert_eq "end" "exit 0" "$(hb_total end)"
hb_finish
