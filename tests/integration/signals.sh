#!/usr/bin/env bash
# signals.sh - the shim's flush-on-signal handlers are invisible to the host,
# and still flush.
#
# Usage: signals.sh HEAPBLAME SIGVIEW
# sigview prints what sigaction()/signal() report for SIGTERM and SIGINT,
# handles a SIGINT it raises itself, then (with "term") leaks 4321 bytes and
# dies of SIGTERM. Bare and under heapblame the output must be the same; the
# traced run must exit 143 and its trace end with "signal 15" and hold the
# leaked block. Then `sigview all` (every signal a program may handle, the
# real-time ones too, by sigaction and by sigset) prints the same bare and
# traced: each one at its default, the program's own handler runs, and a
# query then sees that handler, however it was installed.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")
set +e
bare=$("$prog" term)
bare_st=$?
mkdir -p "$HB_WORK/t"
traced=$("$HB" run -q -o "$HB_WORK/t" -- "$prog" term)
st=$?
set -e
echo "$traced"
assert_eq "output as bare" "$bare" "$traced"
assert_eq "bare exit status (SIGTERM)" 143 "$bare_st"
assert_eq "traced exit status (SIGTERM)" 143 "$st"
assert_eq "the host saw SIGTERM at its default" 1 "$(grep -c '^sigaction TERM default$' <<<"$traced")"
assert_eq "the host's own SIGINT handler ran" 1 "$(grep -c '^own INT handler ran yes$' <<<"$traced")"
set +e
bare_all=$("$prog" all)
bare_all_st=$?
mkdir -p "$HB_WORK/all"
traced_all=$("$HB" run -q -o "$HB_WORK/all" -- "$prog" all)
all_st=$?
set -e
assert_eq "all: output as bare" "$bare_all" "$traced_all"
assert_eq "all: exit status as bare" "$bare_all_st" "$all_st"
assert_ge "all: signals walked" 50 "$(grep -c '^signal [0-9]* was' <<<"$traced_all")"
assert_eq "all: every own handler ran and stayed" 0 "$(grep '^signal [0-9]* was' <<<"$traced_all" |
	grep -vc 'own handler (sig[a-z]*) ran yes; now own$' || true)"
hb_dump "$(ls "$HB_WORK"/t/*.hbt)"
assert_eq "end" "signal 15" "$(hb_total end)"
assert_eq "the leaked block is in the trace" 1 "$(hb_allocs_of_size 4321)"
hb_finish
