#!/usr/bin/env bash
# blame_callback.sh - a callback that leaks is blamed on the program that
# holds it, entered through the callback, from the library that called it.
#
# Usage: blame_callback.sh HEAPBLAME BLAME_CALLBACK
# main -> cb_run (libcb.so) -> on_item -> make_record -> malloc: the
# program's callback on_item (static) leaks the records of even items.
# libcb.so allocates nothing. Checks:
#   - the only module is the executable, with exactly the leaked blocks and
#     bytes, which are also the totals (the program makes no other
#     allocation that stays);
#   - one entry point: on_item, not exported, called from libcb.so's
#     cb_run;
#   - each site's frames: make_record, on_item (the executable), cb_run
#     (libcb.so), main (the executable);
#   - the text report names the executable first.
source "$(dirname "${BASH_SOURCE[0]}")/blamelib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")
name=$(basename "$prog")

out=$HB_WORK/traces
hb_run "$out" -- "$prog" 40
assert_eq "run exit status" 0 "$HB_RUN_STATUS"
truth=$(hb_truth_line calls=40)
pid=$(hb_kv "$truth" pid)
hb_expect_traces "$out" "heapblame.$name.$pid.hbt"
trace=$(hb_trace_of "$name" "$pid" "$out")

hb_report "$HB_WORK/r.json" --format json -- "$trace"
hb_json_check "$HB_WORK/r.json" exe="$prog" name="$name" \
	blocks="$(hb_kv "$truth" leaked_blocks)" bytes="$(hb_kv "$truth" leaked_bytes)" <<'PY'
invariants()
n, blocks, bytes = A["name"], A.int("blocks"), A.int("bytes")
check("module names", [n], names())
m = module(n)
check("module path", A["exe"], m["path"])
check("module outstanding_blocks", blocks, m["outstanding_blocks"])
check("module outstanding_bytes", bytes, m["outstanding_bytes"])
check("totals", (bytes, blocks), (R["totals"]["outstanding_bytes"], R["totals"]["outstanding_blocks"]))
check("entry points", [("on_item", False, "libcb.so", "cb_run", bytes, blocks)],
      [(e["function"], e["exported"], e["caller_module"], e["caller_function"], e["bytes"], e["blocks"])
       for e in m["entry_points"]])
for s in m["sites"]:
    check("site: its first four frames",
          [(n, "make_record"), (n, "on_item"), ("libcb.so", "cb_run"), (n, "main")],
          [(f["module"], f["function"]) for f in s["frames"][:4]])
PY

hb_report "$HB_WORK/r.txt" -- "$trace"
assert_text_first_module "$HB_WORK/r.txt" "$name"
hb_finish
