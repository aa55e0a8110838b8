#!/usr/bin/env bash
# check_incomplete.sh - `heapblame check` on traces without an END record
# says so in every format.
#
# Usage: check_incomplete.sh HEAPBLAME SLEEPER GATE_PROG
# sleeper (tests/programs/sleeper) leaks 10 blocks, prints its truth, waits
# three flush periods, prints READY and sleeps until killed; gate_prog
# (tests/programs/gate) leaks 536 B in 8 blocks and exits. Three traces
# that did not end:
#   - sleeper SIGKILLed before its first flush (--interval 3600000): the
#     trace holds no allocation. check's verdict is PASS (nothing counted:
#     a note never changes the verdict, docs/check.md), and the note saying
#     that the trace has no END record and its leaks could not be checked
#     is in the text output (stdout), the JSON notes, the JUnit suite's
#     system-out, the SARIF run's toolExecutionNotifications, and on stderr
#     when the result goes to a file;
#   - sleeper SIGKILLed after its flushes: its 10 blocks are unclassified
#     and count (FAIL), and the note says how many;
#   - gate_prog's trace cut short by its last byte: the note says the END
#     record is missing.
# `heapblame report` warns about such a trace on stderr.
source "$(dirname "${BASH_SOURCE[0]}")/checklib.sh"
command -v xmllint >/dev/null || hb_error "xmllint not found (Debian: libxml2-utils; scripts/bootstrap installs it)"
hb_setup "$1"
sleeper=$(hb_prog "$2")
gate=$(hb_prog "$3")
cd "$HB_WORK"

# killed_sleeper DIR INTERVAL WAIT_FOR: runs sleeper under `heapblame run`
# into DIR, waits (up to 30 s) for a stdout line starting with WAIT_FOR,
# SIGKILLs sleeper and sets $pid.
killed_sleeper() {
	local dir=$1 runner i
	mkdir -p "$dir"
	"$HB" run -o "$dir" --interval "$2" -- "$sleeper" >"$dir.out" 2>"$dir.err" &
	runner=$!
	for ((i = 0; i < 300; i++)); do
		grep -q "^$3" "$dir.out" && break
		sleep 0.1
	done
	grep -q "^$3" "$dir.out" || hb_error "sleeper did not print $3 within 30 s"
	pid=$(sed -n 's/^TRUTH pid=\([0-9]*\) .*/\1/p' "$dir.out")
	kill -KILL "$pid"
	wait "$runner" || true
}

# ---- killed before its first flush --------------------------------------
killed_sleeper early 3600000 TRUTH
early=$(hb_gate_trace early)
note="$early has no END record: the process was killed or is still running, and nothing was outstanding at its last flush"
hb_step early_text "$HB" check "$early"
assert_eq "no flush: exit status (a note does not change the verdict)" 0 "$HB_STEP_STATUS"
assert_eq "no flush: text, the note on stdout" 1 "$(hb_count early_text.out "^$note .*: its leaks could not be checked$")"
hb_step early_json "$HB" check --format json "$early"
assert_eq "no flush: json, the note" True \
	"$(python3 -c 'import json,sys; n=json.load(open(sys.argv[1]))["notes"]; print(len(n) == 1 and n[0].startswith(sys.argv[2]))' \
		early_json.out "$note" 2>&1)"
hb_step early_junit "$HB" check --format junit -o early.xml "$early"
xmllint --noout early.xml
assert_eq "no flush: junit well-formed" 0 "$?"
assert_eq "no flush: junit, the note in the suite's system-out" 1 \
	"$(xmllint --xpath "count(/testsuites/testsuite/system-out[contains(., '$note')])" early.xml 2>/dev/null || echo fail)"
assert_eq "no flush: junit, the note on stderr too" 1 "$(hb_count early_junit.err "^heapblame: warning: $note")"
hb_step early_sarif "$HB" check --format sarif -o early.sarif "$early"
assert_eq "no flush: sarif, a warning notification" True \
	"$(python3 -c '
import json, sys
n = json.load(open(sys.argv[1]))["runs"][0]["invocations"][0]["toolExecutionNotifications"]
print(any(x["level"] == "warning" and x["message"]["text"].startswith(sys.argv[2]) for x in n))' early.sarif "$note" 2>&1)"
hb_step early_report "$HB" report "$early"
assert_eq "no flush: report warns" 1 "$(hb_count early_report.err "^heapblame: warning: $early: the trace has no END record")"

# ---- killed after its flushes -------------------------------------------
killed_sleeper late 100 READY
late=$(hb_gate_trace late)
hb_step late_text "$HB" check "$late"
assert_eq "killed: exit status (its unclassified blocks count)" 1 "$HB_STEP_STATUS"
assert_eq "killed: the note counts the blocks" 1 \
	"$(hb_count late_text.out "^$late has no END record: the process was killed or is still running; outstanding memory is as of its last flush, and 10 blocks \([0-9.]+ KiB\) could not be classified: they count$")"

# ---- a trace cut short --------------------------------------------------
mkdir -p whole
"$HB" run -q -o whole -- "$gate" leak second >/dev/null
whole=$(hb_gate_trace whole)
head -c "$(($(stat -c %s "$whole") - 1))" "$whole" >cut.hbt
hb_step cut_json "$HB" check --format json cut.hbt
assert_eq "cut short: the note" True \
	"$(python3 -c 'import json,sys; n=json.load(open(sys.argv[1]))["notes"]; print(len(n) == 1 and n[0].startswith("cut.hbt has no END record"))' \
		cut_json.out 2>&1)"
hb_step whole_json "$HB" check --format json "$whole"
assert_eq "the whole trace: no note" "[]" \
	"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["notes"])' whole_json.out 2>&1)"
hb_finish
