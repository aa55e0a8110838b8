#!/usr/bin/env bash
# watch-speed.sh - the issue Watch's speed targets, on an hour of flushes.
#
# A soak trace an hour long would take an hour to make; the shim's flush
# period makes the same number of flushes quickly: `soak -d 36` under
# HEAPBLAME_INTERVAL_MS=10 is 3,600 flushes (50,000 allocations a second
# from 2,048 stacks into a live set of 500,000). On it:
#   - `heapblame report` (text, so the timeline and every module's growth
#     are computed) and `report --format json` (which writes the timeline),
#     ROUNDS rounds each, median wall time, against 1 s;
#   - `heapblame top`, while a second such soak is running and writing
#     (started SOAK_S before, by PID): the "refreshed in N ms" of every
#     refresh after the first read (reading what was appended, blaming,
#     drawing), median and maximum, against 100 ms.
#
#   bench/watch-speed.sh                 ROUNDS=5 SOAK_S=36 REFRESHES=10
# Prints a table; the figures go to bench/RESULTS.md by hand.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD:-$root/build}
hb=$build/analyzer/heapblame
shim=$build/shim/libheapblame.so
soak=$build/bench/soak
ROUNDS=${ROUNDS:-5}
SOAK_S=${SOAK_S:-36}
REFRESHES=${REFRESHES:-10}
for f in "$hb" "$shim" "$soak"; do
	[[ -x $f || -f $f ]] || { echo "watch-speed: $f missing (ninja -C $build)" >&2; exit 2; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/hb-watch-speed.XXXXXX")
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

echo "making the trace: soak -d $SOAK_S, HEAPBLAME_INTERVAL_MS=10" >&2
HEAPBLAME_INTERVAL_MS=10 HEAPBLAME_OUTPUT=$work/hour.hbt LD_PRELOAD=$shim "$soak" -d "$SOAK_S" >/dev/null
flushes=$("$hb" dump --totals-only "$work/hour.hbt" | sed -n 's/^flushes: //p')
size=$(stat -c %s "$work/hour.hbt")

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
time_of() { # seconds of one run of the command
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >/dev/null
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc
}
text=() json=()
for _ in $(seq "$ROUNDS"); do
	text+=("$(time_of "$hb" report "$work/hour.hbt")")
	json+=("$(time_of "$hb" report --format json "$work/hour.hbt")")
done
text_med=$(printf '%s\n' "${text[@]}" | median)
json_med=$(printf '%s\n' "${json[@]}" | median)

echo "top on a running soak (by PID, after ${SOAK_S}s)" >&2
HEAPBLAME_INTERVAL_MS=10 HEAPBLAME_OUTPUT=$work/live.hbt LD_PRELOAD=$shim "$soak" -d $((SOAK_S + REFRESHES * 2 + 30)) \
	>/dev/null &
sleep "$SOAK_S"
pid=$(pgrep -n -f "$soak -d")
"$hb" top --batch $((REFRESHES + 1)) -d 1 "$pid" >"$work/top.txt"
mapfile -t ms < <(sed -n 's/.*refreshed in \([0-9]*\) ms.*/\1/p' "$work/top.txt")
first=${ms[0]}
rest=$(printf '%s\n' "${ms[@]:1}")
top_med=$(echo "$rest" | median)
top_max=$(echo "$rest" | sort -n | tail -n 1)

verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v <= t) ? "PASS" : "MISS" }'; }
cat <<TABLE
| measure (trace: $flushes flushes, $((size / 1024)) KiB) | figure | target | verdict |
|---|---|---|---|
| \`heapblame report\` (text: timeline and growth), median of $ROUNDS | ${text_med} s | <= 1 s | $(verdict "$text_med" 1) |
| \`heapblame report --format json\` (timeline written), median of $ROUNDS | ${json_med} s | <= 1 s | $(verdict "$json_med" 1) |
| \`heapblame top PID\`: first read | ${first} ms | | |
| \`heapblame top PID\`: each refresh after it, median (max) of $REFRESHES | ${top_med} ms (${top_max} ms) | <= 100 ms | $(verdict "$top_max" 100) |
TABLE
