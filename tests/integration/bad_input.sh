#!/usr/bin/env bash
# bad_input.sh - wrong options, unusable files and a full disk get a clear
# message and a documented exit code; the traced program loses nothing.
#
# Usage: bad_input.sh HEAPBLAME ALLFUNCS
# allfuncs (tests/programs) is deterministic: its TRUTH line, less its pid,
# is the same in every run, so "the host behaves exactly as without" is
# checked by comparing it, and its exit status, with a bare run.
#   - trace file cannot be created (a directory that is not writable): one
#     line on stderr from the shim, program output and status as bare;
#   - the file-size limit is hit mid-trace (RLIMIT_FSIZE, the same failure
#     path as a full disk): one line, same output and status, and the torn
#     trace still decodes (exit 0, warning);
#   - a symlink planted at the trace's path is not followed: its target is
#     untouched and the trace goes to the next free name, mode 0600;
#   - dump of a missing, empty, non-trace, or directory argument: exit 2;
#   - run with bad options (an -o DIR/ that cannot be made): exit 2; a
#     command that does not exist: 127.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")

strip_pid() { sed -E 's/pid=[0-9]+ //' "$1"; }

"$prog" >"$HB_WORK/bare.out"
bare_status=$?
strip_pid "$HB_WORK/bare.out" >"$HB_WORK/bare.truth"

# 1. The trace cannot be created: /proc is no place for files, even for root.
set +e
"$HB" run -o /proc/heapblame-test-%p.hbt -- "$prog" >"$HB_WORK/1.out" 2>"$HB_WORK/1.err"
st=$?
set -e
cat "$HB_WORK/1.err"
assert_eq "uncreatable: exit status as bare" "$bare_status" "$st"
assert_eq "uncreatable: output as bare" "$(cat "$HB_WORK/bare.truth")" "$(strip_pid "$HB_WORK/1.out")"
assert_eq "uncreatable: the shim says why, once" 1 "$(grep -c '^heapblame: cannot create the trace file /proc/heapblame-test-' "$HB_WORK/1.err")"
assert_eq "uncreatable: run says no trace was written" 1 "$(grep -c 'no trace was written' "$HB_WORK/1.err")"

# 2. RLIMIT_FSIZE of 1 KiB: the header and first block fit, the rest fails.
mkdir -p "$HB_WORK/t2"
set +e
(ulimit -f 1 && exec "$HB" run -o "$HB_WORK/t2" -- "$prog") >"$HB_WORK/2.out" 2>"$HB_WORK/2.err"
st=$?
set -e
cat "$HB_WORK/2.err"
assert_eq "file limit: exit status as bare" "$bare_status" "$st"
assert_eq "file limit: output as bare" "$(cat "$HB_WORK/bare.truth")" "$(strip_pid "$HB_WORK/2.out")"
assert_eq "file limit: the shim says why, once" 1 "$(grep -c '^heapblame: cannot write the trace, tracing stopped: File too large' "$HB_WORK/2.err")"
trace=$(ls "$HB_WORK"/t2/*.hbt)
set +e
"$HB" dump --totals-only "$trace" >"$HB_WORK/2.dump" 2>"$HB_WORK/2.dumperr"
st=$?
set -e
cat "$HB_WORK/2.dumperr"
assert_eq "file limit: the torn trace decodes" 0 "$st"
assert_eq "file limit: dump warns that the trace was cut short" 1 "$(grep -c 'no END record' "$HB_WORK/2.dumperr")"

# 3. A symlink where the trace would go.
mkdir -p "$HB_WORK/t3"
echo "precious" >"$HB_WORK/victim"
ln -s "$HB_WORK/victim" "$HB_WORK/t3/trace.hbt"
set +e
"$HB" run -o "$HB_WORK/t3/trace.hbt" -- "$prog" >"$HB_WORK/3.out" 2>"$HB_WORK/3.err"
st=$?
set -e
cat "$HB_WORK/3.err"
assert_eq "symlink: exit status as bare" "$bare_status" "$st"
assert_eq "symlink: its target is untouched" "precious" "$(cat "$HB_WORK/victim")"
assert_eq "symlink: the trace went to the next name" "$HB_WORK/t3/trace.1.hbt" \
	"$(sed -n 's/^heapblame: trace written to //p' "$HB_WORK/3.err")"
assert_eq "symlink: trace mode is 0600" 600 "$(stat -c %a "$HB_WORK/t3/trace.1.hbt")"

# 4. dump on what is not a trace.
: >"$HB_WORK/empty"
echo "hello" >"$HB_WORK/text"
for what in "$HB_WORK/missing" "$HB_WORK/empty" "$HB_WORK/text" "$HB_WORK"; do
	set +e
	"$HB" dump "$what" >/dev/null 2>"$HB_WORK/4.err"
	st=$?
	set -e
	assert_eq "dump $(basename "$what"): exit 2" 2 "$st"
	assert_eq "dump $(basename "$what"): one error line naming the file" 1 \
		"$(grep -c "^heapblame: error: $what" "$HB_WORK/4.err")"
done

# 5. run with bad options, and a command that does not exist.
# (-o DIR/ is made when missing: only one that cannot be made is an error)
: >"$HB_WORK/a-file"
for args in "--depth 0 -- true" "--interval x -- true" "--signals KILL -- true" "--bogus -- true" "" \
	"-o $HB_WORK/a-file/nodir/ -- true"; do
	set +e
	# shellcheck disable=SC2086 # word splitting of the option list is the point
	"$HB" run $args >/dev/null 2>"$HB_WORK/5.err"
	st=$?
	set -e
	assert_eq "run $args: exit 2" 2 "$st"
	assert_eq "run $args: says something" 1 "$([[ -s $HB_WORK/5.err ]] && echo 1 || echo 0)"
done
set +e
"$HB" run -- "$HB_WORK/no-such-program" >/dev/null 2>"$HB_WORK/6.err"
st=$?
set -e
assert_eq "run of a missing program: exit 127" 127 "$st"
assert_eq "run of a missing program: says so" 1 "$(grep -c 'cannot run' "$HB_WORK/6.err")"
set +e
"$HB" frobnicate >/dev/null 2>&1
st=$?
set -e
assert_eq "unknown command: exit 2" 2 "$st"

hb_finish
