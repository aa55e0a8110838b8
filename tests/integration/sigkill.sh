#!/usr/bin/env bash
# sigkill.sh - a process killed with SIGKILL leaves a trace readable up to its
# last periodic flush.
#
# Usage: sigkill.sh HEAPBLAME SLEEPER
# Runs tests/programs/sleeper under `heapblame run --interval 100`; sleeper
# leaks, prints its truth, waits more than three flush periods, prints READY
# and sleeps. The driver then SIGKILLs the sleeper (by the pid in its TRUTH
# line, not heapblame) and checks: `heapblame run` exits 137 (128 + 9); the
# trace decodes (dump exits 0; a warning about a torn tail is allowed) with
# the executable's module line equal to the truth, and `end: none`, since a
# killed process writes no end record.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")

out=$HB_WORK/traces
HB_RUN_OUT=$HB_WORK/run.out
HB_RUN_ERR=$HB_WORK/run.err
mkdir -p "$out"
"$HB" run -o "$out" --interval 100 -- "$prog" >"$HB_RUN_OUT" 2>"$HB_RUN_ERR" &
runner=$!

# Wait (up to 30 s) for READY.
for ((i = 0; i < 300; i++)); do
	grep -q '^READY$' "$HB_RUN_OUT" && break
	kill -0 "$runner" 2>/dev/null || break
	sleep 0.1
done
if ! grep -q '^READY$' "$HB_RUN_OUT"; then
	kill -KILL "$runner" 2>/dev/null || true
	cat "$HB_RUN_OUT" "$HB_RUN_ERR"
	hb_error "sleeper did not print READY within 30 s"
fi
truth=$(hb_truth_line)
pid=$(hb_kv "$truth" pid)
assert_eq "interval seen by the program (HEAPBLAME_INTERVAL_MS)" 100 "$(hb_kv "$truth" interval_ms)"
kill -KILL "$pid"
set +e
wait "$runner"
HB_RUN_STATUS=$?
set -e
echo "== heapblame run --interval 100 -- $prog (exit status $HB_RUN_STATUS)"
sed 's/^/   stdout| /' "$HB_RUN_OUT"
sed 's/^/   stderr| /' "$HB_RUN_ERR"
assert_eq "run exit status (128 + SIGKILL)" 137 "$HB_RUN_STATUS"
hb_expect_traces "$out" "heapblame.sleeper.$pid.hbt"
hb_dump "$out/heapblame.sleeper.$pid.hbt"
assert_module sleeper "$prog" "$truth"
assert_eq "end" "none" "$(hb_total end)"
hb_finish
