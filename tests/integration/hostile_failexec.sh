#!/usr/bin/env bash
# hostile_failexec.sh - execvp fails, the program goes on: its trace and
# report count its heap, and do not read as if the image had been replaced.
#
# Usage: hostile_failexec.sh HEAPBLAME FAILEXEC exit|kill
# tests/programs/hostile/failexec leaks, fails to execvp a program that does
# not exist (ENOENT), leaks more, prints its truth, then returns 0 (exit) or
# waits three flush periods (`--interval 100`), prints READY and is killed
# here with SIGKILL (kill). Checks: one trace only; it decodes (a killed
# process may leave a torn tail, so warnings are allowed in kill mode only);
# `end` is `exit 0` (exit) or `none` (kill), never `exec ...`; the module
# line, live_blocks and live_bytes equal the truth; `heapblame report
# --format json` counts the same outstanding bytes and blocks, none of them
# as replaced by an exec, and gives the same end.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")
mode=${3:?mode exit or kill}
out=$HB_WORK/traces
mkdir -p "$out"

case $mode in
exit)
	hb_run_bounded "$out" -- "$prog" exit
	assert_status "run exit status" 0 "$HB_RUN_STATUS"
	want_end="exit 0"
	;;
kill)
	HB_RUN_OUT=$HB_WORK/run.out
	HB_RUN_ERR=$HB_WORK/run.err
	timeout -k 2 "$HB_RUN_TIMEOUT" "$HB" run -o "$out" --interval 100 -- "$prog" kill \
		>"$HB_RUN_OUT" 2>"$HB_RUN_ERR" &
	runner=$!
	for ((i = 0; i < 100; i++)); do
		grep -q '^READY$' "$HB_RUN_OUT" && break
		kill -0 "$runner" 2>/dev/null || break
		sleep 0.1
	done
	grep -q '^READY$' "$HB_RUN_OUT" || {
		kill -KILL "$runner" 2>/dev/null || true
		cat "$HB_RUN_OUT" "$HB_RUN_ERR"
		hb_error "failexec did not print READY within 10 s"
	}
	kill -KILL "$(hb_kv "$(hb_truth_line)" pid)"
	set +e
	wait "$runner"
	HB_RUN_STATUS=$?
	set -e
	echo "== heapblame run --interval 100 -- $prog kill (exit status $HB_RUN_STATUS)"
	sed 's/^/   stdout| /' "$HB_RUN_OUT"
	sed 's/^/   stderr| /' "$HB_RUN_ERR"
	assert_status "run exit status (128 + SIGKILL)" 137 "$HB_RUN_STATUS"
	want_end="none"
	;;
*) hb_error "mode must be exit or kill, not $mode" ;;
esac

truth=$(hb_truth_line)
pid=$(hb_kv "$truth" pid)
assert_eq "execvp failed with ENOENT" 2 "$(hb_kv "$truth" exec_errno)"
hb_expect_traces "$out" "heapblame.failexec.$pid.hbt"
trace=$(hb_trace_of "$out" failexec "$pid")
hb_dump "$trace"
[[ $mode == exit ]] && assert_dump_clean
assert_eq "end (not exec: the exec failed)" "$want_end" "$(hb_total end)"
assert_module failexec "$prog" "$truth"
assert_eq "live_blocks" "$(hb_kv "$truth" live_blocks)" "$(hb_total live_blocks)"
assert_eq "live_bytes" "$(hb_kv "$truth" live_bytes)" "$(hb_total live_bytes)"

set +e
"$HB" report --format json "$trace" >"$HB_WORK/report.json" 2>"$HB_WORK/report.err"
st=$?
set -e
assert_eq "report exit status" 0 "$st"
sed 's/^/   report stderr| /' "$HB_WORK/report.err"
read -r rbytes rblocks rexec rend < <(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
t = d["totals"]
print(t["outstanding_bytes"], t["outstanding_blocks"],
      t.get("replaced_by_exec_bytes", 0) + t.get("replaced_by_exec_blocks", 0),
      d["traces"][0]["end"].replace(" ", "_"))' "$HB_WORK/report.json") || true
assert_eq "report outstanding_bytes" "$(hb_kv "$truth" live_bytes)" "$rbytes"
assert_eq "report outstanding_blocks" "$(hb_kv "$truth" live_blocks)" "$rblocks"
assert_eq "report replaced_by_exec bytes + blocks" 0 "$rexec"
assert_eq "report end" "${want_end// /_}" "$rend"
hb_finish
