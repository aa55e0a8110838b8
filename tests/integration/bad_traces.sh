#!/usr/bin/env bash
# bad_traces.sh - the hostile traces of issue 10's first fuzz campaign get
# the right answer, bounded memory and time, and no raw control character
# on the terminal.
#
# Usage: bad_traces.sh HEAPBLAME BADTRACE
# badtrace (tests/programs/badtrace.c) writes each trace; its comment says
# what each holds. Every case asserts on the output, which the fix changes:
#   - fifo: a module path that is a FIFO: report and check finish (they blocked
#     in open() for ever);
#   - noframes: a site without frames, in every report format (pprof's
#     memcpy from NULL is caught by a UBSan build);
#   - header: header_size 104, a block hidden in the header's extra bytes:
#     the same verdict from a file and from a pipe (the pipe read it);
#   - garbage: 1 GiB of garbage, through a pipe, is skipped in under 5 s of
#     CPU (one fgetc and a memmove per byte took 13 s), and the block after
#     it is read.
#   - bomb: 200 zstd blocks of 530 bytes that expand to 16 MiB each are
#     skipped as damage, with a warning each (dump wrote 528 MB per block,
#     and 200 never finished);
#   - huge: 2 blocks of 2^63 bytes are not "0 B", and check --max-bytes
#     100 fails (the sum wrapped);
#   - ids: module id 2^26, stack id 4e9; under a 1 GB address-space limit
#     report and dump still find the site's 300 B in 3 blocks (an array up
#     to the id wanted 32 GB: the records were dropped as malformed);
#   - escapes: no ESC, BEL or CR from the trace reaches stdout or stderr of
#     report (also --color always), check or dump; they are shown as \xNN;
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
hb_setup "$1"
BT=$(realpath "$2")
[[ -x $BT ]] || hb_error "badtrace not found: $2"
W=$HB_WORK

# run_hb NAME TIMEOUT ARGS...: heapblame with a time limit; status in st,
# output in $W/NAME.out and $W/NAME.err.
run_hb() {
	local name=$1 limit=$2
	shift 2
	set +e
	timeout -k 5 "$limit" "$HB" "$@" >"$W/$name.out" 2>"$W/$name.err"
	st=$?
	set -e
}

# fifo: a module path that is a FIFO (nothing ever writes to it).
mkfifo "$W/fifo"
"$BT" module "$W/fifo.hbt" "$W/fifo"
run_hb fifo-report 30 report "$W/fifo.hbt"
assert_eq "fifo: report finishes, exit 0" 0 "$st"
assert_eq "fifo: report counts the blocks" 1 "$(grep -c '^heapblame: 300 B in 3 blocks outstanding' "$W/fifo-report.out")"
run_hb fifo-check 30 check "$W/fifo.hbt"
assert_eq "fifo: check finishes, exit 1 (leaks)" 1 "$st"

# noframes: a stack without frames, in every format.
"$BT" noframes "$W/noframes.hbt"
for fmt in text json folded pprof svg html; do
	run_hb "noframes-$fmt" 30 report --format "$fmt" -o "$W/noframes.$fmt" "$W/noframes.hbt"
	assert_eq "noframes: --format $fmt exits 0" 0 "$st"
	assert_eq "noframes: --format $fmt writes something" 1 "$([[ -s $W/noframes.$fmt ]] && echo 1 || echo 0)"
	assert_eq "noframes: --format $fmt, no sanitizer report" 0 "$(grep -c 'runtime error' "$W/noframes-$fmt.err")"
done
assert_eq "noframes: the text report counts the block" 1 \
	"$(grep -c '^heapblame: 64 B in 1 block outstanding' "$W/noframes.text")"

# header: a block hidden in a long file header: file and pipe agree.
"$BT" header "$W/header.hbt"
run_hb header-file 30 report "$W/header.hbt"
assert_eq "header: from a file, exit 0" 0 "$st"
set +e
cat "$W/header.hbt" | timeout -k 5 30 "$HB" report /dev/stdin >"$W/header-pipe.out" 2>"$W/header-pipe.err"
st=$?
set -e
assert_eq "header: from a pipe, exit 0" 0 "$st"
assert_eq "header: the hidden block is not read" 1 \
	"$(grep -c '^heapblame: 300 B in 3 blocks outstanding' "$W/header-file.out")"
assert_eq "header: file and pipe give the same report" "$(cat "$W/header-file.out")" "$(cat "$W/header-pipe.out")"

# garbage: a gigabyte of garbage, through a pipe (never on disk).
TIMEFORMAT=%U
set +e
{ time "$BT" garbage - 1024 | "$HB" dump --totals-only /dev/stdin >"$W/garbage.out" 2>"$W/garbage.err"; } \
	2>"$W/garbage.time"
set -e
cat "$W/garbage.err"
assert_eq "garbage: the garbage is skipped, once" 1 \
	"$(grep -c 'warning: /dev/stdin: 1073741824 damaged bytes at offset 164 skipped' "$W/garbage.err")"
assert_eq "garbage: the block after it is read" "live_bytes: 300" "$(grep '^live_bytes:' "$W/garbage.out")"
assert_eq "garbage: and the END" "end: exit 0" "$(grep '^end:' "$W/garbage.out")"
cpu=$(tail -1 "$W/garbage.time")
echo "garbage: ${cpu}s of user CPU (writer and reader)"
assert_eq "garbage: under 5 s of user CPU" 1 "$(awk -v c="$cpu" 'BEGIN { print (c < 5) ? 1 : 0 }')"

# bomb: decompression bombs.
"$BT" bomb "$W/bomb.hbt" 200
assert_eq "bomb: the trace is small" 1 "$(($(stat -c %s "$W/bomb.hbt") < 200000))"
run_hb bomb-dump 60 dump "$W/bomb.hbt"
assert_eq "bomb: dump finishes, exit 0" 0 "$st"
assert_eq "bomb: each block is skipped, with a warning" 200 \
	"$(grep -c 'would expand 530 bytes to 16777216, more than 256 times: skipped' "$W/bomb-dump.err")"
assert_eq "bomb: the block after them is read" "live_bytes: 300" "$(grep '^live_bytes:' "$W/bomb-dump.out")"
assert_eq "bomb: dump's output stays small" 1 "$(($(stat -c %s "$W/bomb-dump.out") < 100000))"
run_hb bomb-report 60 report "$W/bomb.hbt"
assert_eq "bomb: report finishes, exit 0" 0 "$st"
assert_eq "bomb: report counts the blocks" 1 "$(grep -c '^heapblame: 300 B in 3 blocks outstanding' "$W/bomb-report.out")"

# huge: sizes whose sum does not fit in 64 bits.
"$BT" huge "$W/huge.hbt"
run_hb huge-report 30 report "$W/huge.hbt"
assert_eq "huge: report exits 0" 0 "$st"
assert_eq "huge: not 0 B" 0 "$(grep -c ' 0 B in 2 blocks' "$W/huge-report.out")"
assert_eq "huge: the sum saturates" 1 "$(grep -c '^heapblame: 16777216 TiB in 2 blocks outstanding' "$W/huge-report.out")"
run_hb huge-check 30 check --max-bytes 100 "$W/huge.hbt"
assert_eq "huge: check --max-bytes 100 fails" 1 "$st"
assert_eq "huge: its verdict" 1 "$(grep -c 'in 2 blocks leaked in 1 module (budget 100 B): FAIL' "$W/huge-check.out")"
run_hb huge-dump 30 dump --totals-only "$W/huge.hbt"
assert_eq "huge: dump's live_bytes saturate" "live_bytes: 18446744073709551615" "$(grep '^live_bytes:' "$W/huge-dump.out")"

# ids: huge ids.
"$BT" ids "$W/ids.hbt"
set +e
(ulimit -v 1000000 && exec "$HB" report "$W/ids.hbt") >"$W/ids.out" 2>"$W/ids.err"
st=$?
set -e
cat "$W/ids.err"
assert_eq "ids: report exits 0 within 1 GB" 0 "$st"
assert_eq "ids: report finds the site's blocks" 1 \
	"$(grep -c '^heapblame: 300 B in 3 blocks outstanding' "$W/ids.out")"
assert_eq "ids: no record dropped" 0 "$(grep -c malformed "$W/ids.err")"
set +e
(ulimit -v 1000000 && exec "$HB" dump "$W/ids.hbt") >"$W/ids.dump" 2>"$W/ids.dumperr"
st=$?
set -e
assert_eq "ids: dump exits 0 within 1 GB" 0 "$st"
assert_eq "ids: dump's module line" "module /usr/bin/badprog: allocs=3 frees=0 live_blocks=3 live_bytes=300" \
	"$(grep '^module ' "$W/ids.dump")"
assert_eq "ids: dump's stack record" 1 "$(grep -c '^STACK id=4000000000 module=67108864' "$W/ids.dump")"

# escapes: terminal escapes in names.
"$BT" escapes "$W/esc.hbt"
run_hb esc-report 30 report "$W/esc.hbt"
assert_eq "escapes: report exits 0" 0 "$st"
run_hb esc-color 30 report --color always "$W/esc.hbt"
assert_eq "escapes: report --color always exits 0" 0 "$st"
run_hb esc-check 30 check "$W/esc.hbt"
assert_eq "escapes: check exits 1 (leaks)" 1 "$st"
run_hb esc-dump 30 dump "$W/esc.hbt"
assert_eq "escapes: dump exits 0" 0 "$st"
for f in esc-report.out esc-report.err esc-color.out esc-color.err esc-check.out esc-check.err esc-dump.out \
	esc-dump.err; do
	assert_eq "escapes: no OSC, BEL, CR, clear or colour in $f" 0 \
		"$(LC_ALL=C grep -c -e $'\033]' -e $'\a' -e $'\r' -e $'\033\\[2J' -e $'\033\\[31m' "$W/$f")"
done
assert_eq "escapes: the path is shown escaped" 1 \
	"$(grep -c -F '\x1b]0;pwned\x07lib\x1b[31mred\x1b[0m.so  300 B in 3 blocks' "$W/esc-report.out")"
assert_eq "escapes: the program is shown escaped" 1 \
	"$(grep -c -F 'trace: bad\x1b[2Jprog\x0d pid 4242' "$W/esc-report.out")"
assert_eq "escapes: the warning is escaped" 1 "$(grep -c -F 'warning: /tmp/\x1b]0;pwned\x07lib' "$W/esc-report.err")"
assert_eq "escapes: --color always keeps its bold" 1 "$(($(LC_ALL=C grep -c $'\033\\[1m' "$W/esc-color.out") > 0))"

hb_finish
