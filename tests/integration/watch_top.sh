#!/usr/bin/env bash
# watch_top.sh - `heapblame top` on a program while it runs, as a person
# would use it: by PID and by trace, in batch mode and on a terminal.
#
# Usage: watch_top.sh HEAPBLAME STORE
# Runs the demo's store for 12 s (libmta.so leaks, libcache.so fills and
# holds) under `heapblame run` in the background, and while it runs:
#   - `top --batch 2 -d 1 PID` prints two snapshots of the running process,
#     the second later than the first, each with a row for libmta.so and
#     libcache.so, and one header line per snapshot saying "running";
#   - `report --format json TRACE` and `check` read the trace mid-run, up to
#     its last flush: end "none", both libraries outstanding, a timeline,
#     and the warning that says so;
#   - `top --batch 1 TRACE` (the trace file, still being written) gives the
#     same rows;
#   - `top --batch 1 PID` of a program whose stdin is a terminal (a second
#     store, started in tmux) finds its trace without reading that
#     terminal;
#   - under tmux (a real terminal: a pseudo-terminal of 160 x 40), `top -d 1
#     PID` draws its table in place, says "q quits", redraws (its clock
#     moves), and quits on the key q (send-keys), restoring the terminal;
# and after it ended: `top --batch 1 TRACE` shows libmta.so growing and
# libcache.so a plateau, the end "exit 0"; `top` of the dead PID says there
# is no such process (exit 2); and the obvious mistakes (no argument, two,
# a bad --interval or --batch, a file that is not a trace, a process
# without a trace) each give a one-line error and exit 2.
source "$(dirname "${BASH_SOURCE[0]}")/checklib.sh"
hb_setup "$1"
store=$(hb_prog "$2")
command -v tmux >/dev/null || hb_error "tmux missing (scripts/bootstrap installs it)"

mkdir -p "$HB_WORK/t"
"$HB" run -q -o "$HB_WORK/t" -- "$store" 24000 12 6000 >"$HB_WORK/store.out" 2>&1 &
runner=$!
trace=""
for _ in $(seq 100); do
	trace=$(ls "$HB_WORK"/t/*.hbt 2>/dev/null | head -n 1 || true)
	[[ -n $trace ]] && break
	sleep 0.1
done
[[ -n $trace ]] || hb_error "the traced store wrote no trace"
pid=$(basename "$trace" .hbt)
pid=${pid##*.}
sleep 2.5 # a few flushes

hb_step bypid "$HB" top --batch 2 -d 1 "$pid"
assert_eq "top by pid: exit status" 0 "$HB_STEP_STATUS"
assert_eq "top by pid: two snapshots of the running store" 2 \
	"$(hb_count bypid.out "^heapblame top - store pid $pid \(running\) - 0:00:")"
assert_eq "top by pid: a libmta.so row in each" 2 "$(hb_count bypid.out '^libmta\.so +[0-9.]+ [KM]iB ')"
assert_eq "top by pid: a libcache.so row in each" 2 "$(hb_count bypid.out '^libcache\.so +[0-9.]+ [KM]iB ')"
clocks=$(sed -nE 's/^heapblame top - .* - (0:00:[0-9]+), .*/\1/p' "$HB_WORK/bypid.out" | tr '\n' ' ')
assert_eq "top by pid: the second snapshot is later ($clocks)" 1 \
	"$(awk -v c="$clocks" 'BEGIN { split(c, a, " "); split(a[1], x, ":"); split(a[2], y, ":"); print (y[3] > x[3]) ? 1 : 0 }')"

# report and check read a running program's trace up to its last flush
hb_step midreport "$HB" report --format json "$trace"
assert_eq "report mid-run: exit status" 0 "$HB_STEP_STATUS"
assert_eq "report mid-run: the trace's end is none (still running)" none \
	"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["traces"][0]["end"])' "$HB_WORK/midreport.out")"
assert_eq "report mid-run: libmta.so and libcache.so are outstanding, with a timeline" "libcache.so libmta.so yes" \
	"$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join(sorted(m["name"] for m in d["modules"] if m["name"].startswith("lib"))), "yes" if len(d["timeline"]["t_s"]) >= 2 else "no")' "$HB_WORK/midreport.out")"
assert_eq "report mid-run: a warning says outstanding is as of the last flush" 1 \
	"$(hb_count midreport.err 'outstanding means outstanding at its last flush')"
hb_step midcheck "$HB" check --kinds none --max-growth 1GiB/h "$trace"
assert_eq "check mid-run, nothing over 1 GiB/h: exit status 0" 0 "$HB_STEP_STATUS"

hb_step bytrace "$HB" top --batch 1 "$trace"
assert_eq "top by trace: exit status" 0 "$HB_STEP_STATUS"
assert_eq "top by trace: the libmta.so and libcache.so rows" 2 \
	"$(hb_count bytrace.out '^lib(mta|cache)\.so +[0-9.]+ [KM]iB ')"

# a terminal: tmux gives top a pseudo-terminal, as a person's would be
session=hbtop$$
tmux new-session -d -s "$session" -x 160 -y 40 "$HB top -d 1 $pid; echo top-exited-\$?; sleep 30"
sleep 2.5
tmux capture-pane -p -t "$session" >"$HB_WORK/pane1.txt"
sleep 1.5
tmux capture-pane -p -t "$session" >"$HB_WORK/pane2.txt"
sed 's/^/   pane| /' "$HB_WORK/pane2.txt"
assert_eq "tmux: the table is drawn at the top of the screen" 1 \
	"$(head -n 1 "$HB_WORK/pane1.txt" | grep -c "^heapblame top - store pid $pid (running)")"
assert_eq "tmux: it says how to quit" 1 "$(hb_count pane1.txt 'q quits')"
assert_eq "tmux: a libmta.so row with a sparkline" 1 "$(hb_count pane1.txt '^libmta\.so .*[▁▂▃▄▅▆▇█]')"
assert_eq "tmux: one screen, redrawn in place (one header)" 1 "$(hb_count pane2.txt '^heapblame top - ')"
assert_eq "tmux: redrawn (the clock moved)" 1 \
	"$([[ $(head -n 1 "$HB_WORK/pane1.txt") != $(head -n 1 "$HB_WORK/pane2.txt") ]] && echo 1 || echo 0)"
tmux send-keys -t "$session" q
quit=0
for _ in $(seq 30); do
	tmux capture-pane -p -t "$session" >"$HB_WORK/pane3.txt"
	if grep -q '^top-exited-0$' "$HB_WORK/pane3.txt"; then
		quit=1
		break
	fi
	sleep 0.1
done
assert_eq "tmux: q quits top, with exit status 0" 1 "$quit"
tmux kill-session -t "$session" 2>/dev/null || true

# a program whose standard input is a terminal, as most are: looking for
# its trace must not read from that terminal (it would wait for a key, and
# take it from the program)
tty_session=hbtty$$
mkdir -p "$HB_WORK/tty"
tmux new-session -d -s "$tty_session" -x 120 -y 20 "$HB run -q -o $HB_WORK/tty -- $store 3000 6 100"
tty_trace=""
for _ in $(seq 100); do
	tty_trace=$(ls "$HB_WORK"/tty/*.hbt 2>/dev/null | head -n 1 || true)
	[[ -n $tty_trace ]] && break
	sleep 0.1
done
[[ -n $tty_trace ]] || hb_error "the store on a terminal wrote no trace"
tty_pid=$(basename "$tty_trace" .hbt)
tty_pid=${tty_pid##*.}
sleep 1.5
hb_step ttypid timeout 10 "$HB" top --batch 1 "$tty_pid"
assert_eq "top of a program reading a terminal: found its trace without waiting (exit 0)" 0 "$HB_STEP_STATUS"
assert_eq "top of a program reading a terminal: its snapshot" 1 "$(hb_count ttypid.out "^heapblame top - store pid $tty_pid ")"
tmux kill-session -t "$tty_session" 2>/dev/null || true

wait "$runner"
assert_eq "store under heapblame run: exit status" 0 "$?"
hb_step ended "$HB" top --batch 1 "$trace"
assert_eq "after the end: the trace says how it ended" 1 "$(hb_count ended.out "^heapblame top - store pid $pid \(exit 0\)")"
assert_eq "after the end: libmta.so is growing" 1 "$(hb_count ended.out '^libmta\.so +[0-9.]+ [KM]iB  growing ')"
assert_eq "after the end: libcache.so is a plateau" 1 "$(hb_count ended.out '^libcache\.so +[0-9.]+ [KM]iB  plateau ')"
hb_step dead "$HB" top --batch 1 "$pid"
assert_eq "a dead pid: exit status 2" 2 "$HB_STEP_STATUS"
assert_eq "a dead pid: says so" 1 "$(hb_count dead.err "^heapblame: error: no process $pid$")"

# the obvious mistakes
printf 'not a trace\n' >"$HB_WORK/text.txt"
sleep 30 &
sleeper=$!
i=0
for args in "" "$trace $trace" "-d 0 $trace" "-d x $trace" "--batch 0 $trace" "$HB_WORK/text.txt" "$sleeper" \
	"$HB_WORK/missing.hbt"; do
	i=$((i + 1))
	# shellcheck disable=SC2086 # the words of args are the arguments
	hb_step "bad$i" "$HB" top --batch 1 $args
	assert_eq "top $args: exit status 2" 2 "$HB_STEP_STATUS"
	assert_eq "top $args: one error line" 1 "$(hb_count "bad$i.err" '^heapblame: error: ')"
done
assert_eq "a process without a trace: says so" 1 "$(hb_count bad7.err "has no heapblame trace open")"
kill "$sleeper" 2>/dev/null || true
hb_finish
