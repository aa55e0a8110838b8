#!/usr/bin/env bash
# setuid.sh - a set-user-ID program under the shim runs exactly as without,
# and leaves no trace.
#
# Usage: setuid.sh HEAPBLAME ALLFUNCS
# Needs root (to make a set-user-ID copy and run it as nobody); skipped
# (exit 77) otherwise. Copies allfuncs into a scratch directory as a
# set-user-ID root program, runs it as nobody with the shim preloaded (the
# way `heapblame run` would), and checks that its output and exit status are
# those of a bare run, and that no trace file appeared: in a
# secure-execution process the loader refuses the preload, and the shim
# itself stays inert when AT_SECURE is set.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[[ $(id -u) -eq 0 ]] || hb_skip "needs root to create a set-user-ID program"
command -v setpriv >/dev/null || hb_skip "needs setpriv (util-linux)"
hb_setup "$1"
prog=$(hb_prog "$2")
shim=$(realpath "$(dirname "$HB")/../shim/libheapblame.so")
[[ -r $shim ]] || hb_error "shim not found next to $HB"

chmod 755 "$HB_WORK"
cp "$prog" "$HB_WORK/suid-allfuncs"
chmod 4755 "$HB_WORK/suid-allfuncs"
mkdir -m 777 "$HB_WORK/out"
strip_pid() { sed -E 's/pid=[0-9]+ //'; }

bare=$(cd "$HB_WORK/out" && setpriv --reuid=nobody --regid=nogroup --clear-groups "$HB_WORK/suid-allfuncs" | strip_pid)
set +e
traced=$(cd "$HB_WORK/out" && setpriv --reuid=nobody --regid=nogroup --clear-groups \
	env LD_PRELOAD="$shim" HEAPBLAME_OUTPUT="$HB_WORK/out" "$HB_WORK/suid-allfuncs" 2>"$HB_WORK/err" | strip_pid)
st=${PIPESTATUS[0]}
set -e
cat "$HB_WORK/err"
assert_eq "exit status as bare" 0 "$st"
assert_eq "output as bare" "$bare" "$traced"
assert_eq "no trace file" 0 "$(find "$HB_WORK/out" -name '*.hbt' | wc -l)"
assert_eq "nothing from heapblame on stderr" 0 "$(grep -c heapblame "$HB_WORK/err" || true)"
hb_finish
