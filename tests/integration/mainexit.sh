#!/usr/bin/env bash
# mainexit.sh - a program whose main thread calls pthread_exit ends when its
# last thread does, as without the shim (status 0), and its trace is whole.
#
# Usage: mainexit.sh HEAPBLAME MAINEXIT
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")
mkdir -p "$HB_WORK/t"
set +e
timeout 20 "$HB" run -q -o "$HB_WORK/t" -- "$prog" >"$HB_WORK/out"
st=$?
set -e
assert_eq "exit status (124 would mean it never ended)" 0 "$st"
hb_dump "$(ls "$HB_WORK"/t/*.hbt)"
assert_eq "end" "exit 0" "$(hb_total end)"
assert_eq "the worker's leak is in the trace" 1 "$(hb_allocs_of_size 777)"
hb_finish
