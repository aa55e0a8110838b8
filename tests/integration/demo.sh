#!/usr/bin/env bash
# demo.sh - `heapblame demo` tells its story with commands that work.
#
# Usage: demo.sh HEAPBLAME
# Runs `heapblame demo 200` (TMPDIR in the work directory): it exits 0,
# its closing sentence blames libmta.so, and the `heapblame report` command
# it prints names a trace that still exists when the demo is over, so
# running that command again gives the same report; the last line says
# where the trace is kept.
source "$(dirname "${BASH_SOURCE[0]}")/checklib.sh"
hb_setup "$1"
export TMPDIR=$HB_WORK
hb_step demo "$HB" demo 200
assert_eq "demo: exit status" 0 "$HB_STEP_STATUS"
trace=$(sed -n 's/^\$ heapblame report //p' "$HB_WORK/demo.out")
assert_eq "demo: the report command names a trace that is kept" 1 "$([[ -f $trace ]] && echo 1 || echo 0)"
assert_eq "demo: the trace is in the scratch directory under TMPDIR" "$HB_WORK" "$(dirname "$(dirname "$trace")")"
assert_eq "demo: the closing sentence blames libmta.so" 1 \
	"$(hb_count demo.out "^Leaked at exit .* allocated by libmta\.so's own code, entered through its exported function mta_submit\(\) from store's deliver_message\(\)")"
assert_eq "demo: the last line says where the trace is" \
	"The trace is kept in $(dirname "$trace")/ (try 'heapblame check $trace'; remove the directory when done)." \
	"$(hb_last_line demo)"
hb_step again "$HB" report "$trace"
assert_eq "the printed report command works after the demo" 0 "$HB_STEP_STATUS"
assert_eq "and gives the demo's report" "$(sed -n '/^\$ heapblame report /,$p' "$HB_WORK/demo.out" | sed '1d;$d' | sed '$d')" \
	"$(cat "$HB_WORK/again.out")"
hb_finish
