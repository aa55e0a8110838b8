#!/usr/bin/env bash
# hostile_forkdl.sh - fork while another thread dlopens and dlcloses: every
# child can allocate and exit.
#
# Usage: hostile_forkdl.sh HEAPBLAME FORKDLCLOSE PLUGIN
# tests/programs/hostile/forkdlclose: a thread loads, calls and unloads
# PLUGIN in a loop while main forks 20 children one after another; each
# child allocates from a call site the parent never used (a new stack: the
# shim must learn its modules, from a child whose loader may have been
# mid-dlopen at the fork) and ends with _exit(0). The program gives each
# child 3 s and stops at the first that hangs. Checks: bare, every child
# finishes (else the test is wrong); traced, too (ok=20 hung=0, status 0),
# and the parent's trace decodes and ends with `exit 0`.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/hostile_lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")
plugin=$(realpath "$3")

hb_bare_bounded "$prog" "$plugin"
[[ $HB_BARE_STATUS == 0 ]] || hb_error "forkdlclose fails without the shim (status $HB_BARE_STATUS)"
out=$HB_WORK/traces
hb_run_bounded "$out" -- "$prog" "$plugin"
assert_status "run exit status" 0 "$HB_RUN_STATUS"
truth=$(hb_truth_line)
assert_eq "children hung" 0 "$(hb_kv "$truth" hung)"
assert_eq "children that exited 0" "$(hb_kv "$truth" children)" "$(hb_kv "$truth" ok)"
pid=$(hb_kv "$truth" pid)
hb_dump "$(hb_trace_of "$out" forkdlclose "$pid")"
assert_dump_clean
assert_eq "lost_events" 0 "$(hb_total lost_events)"
assert_eq "end" "exit 0" "$(hb_total end)"
hb_finish
