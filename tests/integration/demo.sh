#!/usr/bin/env bash
# demo.sh - `heapblame demo` tells its story with commands that work.
#
# Usage: demo.sh HEAPBLAME
# Runs `heapblame demo` as the README says (its ten seconds; TMPDIR in the
# work directory): it exits 0; its report shows libmta.so growing, at the
# rate its leak has (one retry record of 88 bytes every 50 messages of
# 20,000 over 10 s), and libcache.so as a
# plateau; its closing sentence leads with the growth and blames libmta.so
# entered through mta_submit(); the `heapblame report` command it prints
# names a trace that still exists when the demo is over, so running that
# command again gives the same report; it writes the report as an HTML page
# beside the trace and says where; the last line says where the trace is
# kept.
source "$(dirname "${BASH_SOURCE[0]}")/checklib.sh"
hb_setup "$1"
export TMPDIR=$HB_WORK
hb_step demo "$HB" demo
assert_eq "demo: exit status" 0 "$HB_STEP_STATUS"
assert_eq "demo: libmta.so is growing" 1 "$(hb_count demo.out '^libmta\.so  .* growing [0-9.]+ MiB/h since 0:00:0[0-3](\.[0-9])?$')"
assert_eq "demo: libcache.so is a plateau" 1 "$(hb_count demo.out '^libcache\.so  .* plateau$')"
# the leak's truth: 400 retry records of 88 B (calloc'd), evenly over the
# 10 s: 3,520 B/s, 12.1 MiB/h. The rate is the last half's slope: within 25%.
rate=$(sed -nE 's/^libmta\.so  .* growing ([0-9.]+) MiB\/h since.*/\1/p' "$HB_WORK/demo.out")
assert_eq "demo: libmta.so's rate is its leak's, within 25% of 12.1 MiB/h ($rate)" 1 \
	"$(awk -v r="${rate:-0}" 'BEGIN { print (r >= 9.1 && r <= 15.1) ? 1 : 0 }')"
assert_eq "demo: the closing sentence leads with the growth" 1 \
	"$(hb_count demo.out '^Growing: libmta\.so [0-9.]+ MiB/h since 0:00:0[0-3](\.[0-9])?\. Leaked at exit')"
trace=$(sed -nE 's|^\$ heapblame report (/[^ ]*)$|\1|p' "$HB_WORK/demo.out")
assert_eq "demo: the report command names a trace that is kept" 1 "$([[ -f $trace ]] && echo 1 || echo 0)"
assert_eq "demo: the trace is in the scratch directory under TMPDIR" "$HB_WORK" "$(dirname "$(dirname "$trace")")"
assert_eq "demo: the closing sentence blames libmta.so" 1 \
	"$(hb_count demo.out "\. Leaked at exit .* allocated by libmta\.so's own code, entered through its exported function mta_submit\(\) from store's deliver_message\(\)")"
assert_eq "demo: the last line says where the trace is" \
	"The trace is kept in $(dirname "$trace")/ (try 'heapblame check $trace'; remove the directory when done)." \
	"$(hb_last_line demo)"
page=$(dirname "$trace")/report.html
assert_eq "demo: it wrote the HTML page and said where" 1 \
	"$(hb_count demo.out "^The same report as one page, with the timeline and a flame graph: open $page in a browser\.$")"
assert_eq "demo: the page holds libmta.so, growing" 1 \
	"$([[ -s $page ]] && grep -q 'libmta\.so' "$page" && grep -q 'growing' "$page" && echo 1 || echo 0)"
hb_step again "$HB" report "$trace"
assert_eq "the printed report command works after the demo" 0 "$HB_STEP_STATUS"
assert_eq "and gives the demo's report" "$(sed -n '/^\$ heapblame report \//,/^\$ heapblame report --format html/p' "$HB_WORK/demo.out" | sed '1d;$d' | sed '$d')" \
	"$(cat "$HB_WORK/again.out")"
hb_finish
