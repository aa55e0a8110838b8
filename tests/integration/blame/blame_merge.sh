#!/usr/bin/env bash
# blame_merge.sh - several traces reported together: totals summed, modules
# merged by path, one processes[] entry per trace.
#
# Usage: blame_merge.sh HEAPBLAME BLAME_STRDUP BLAME_CALLBACK
# Runs blame_strdup twice (7 and 19 leaked names: two processes of the same
# program) and blame_callback once, each alone leaving exactly its TRUTH
# leak outstanding, then checks:
#   - `report A B`: traces[] is A then B (path, pid, program, end); totals
#     are the sums; one module, blame_strdup, holding the sum, entered via
#     main with the sum; processes[] is A then B, each with its pid, program,
#     trace and its own outstanding bytes and blocks, on blame_strdup only;
#   - `report A B C`: blame_strdup still holds A + B, blame_callback C, the
#     totals are A + B + C, processes[] has the three in order;
#   - the text report of A B C names the module with the most bytes first
#     (by the truth: blame_callback, unless the sizes change).
source "$(dirname "${BASH_SOURCE[0]}")/blamelib.sh"
hb_setup "$1"
strdup=$(hb_prog "$2")
callback=$(hb_prog "$3")

out=$HB_WORK/traces
hb_run "$out" -- "$strdup" 7
assert_eq "run A exit status" 0 "$HB_RUN_STATUS"
ta=$(hb_truth_line n=7)
hb_run "$out" -- "$strdup" 19
assert_eq "run B exit status" 0 "$HB_RUN_STATUS"
tb=$(hb_truth_line n=19)
hb_run "$out" -- "$callback" 24
assert_eq "run C exit status" 0 "$HB_RUN_STATUS"
tc=$(hb_truth_line calls=24)
a=$(hb_trace_of blame_strdup "$(hb_kv "$ta" pid)" "$out")
b=$(hb_trace_of blame_strdup "$(hb_kv "$tb" pid)" "$out")
c=$(hb_trace_of blame_callback "$(hb_kv "$tc" pid)" "$out")

args=(strdup="$strdup" callback="$callback" a="$a" b="$b" c="$c"
	pa="$(hb_kv "$ta" pid)" pb="$(hb_kv "$tb" pid)" pc="$(hb_kv "$tc" pid)"
	bytes_a="$(hb_kv "$ta" leaked_bytes)" blocks_a="$(hb_kv "$ta" leaked_blocks)"
	bytes_b="$(hb_kv "$tb" leaked_bytes)" blocks_b="$(hb_kv "$tb" leaked_blocks)"
	bytes_c="$(hb_kv "$tc" leaked_bytes)" blocks_c="$(hb_kv "$tc" leaked_blocks)")

hb_report "$HB_WORK/ab.json" --format json -- "$a" "$b"
hb_json_check "$HB_WORK/ab.json" "${args[@]}" <<'PY'
invariants()
ba, na, bb, nb = A.int("bytes_a"), A.int("blocks_a"), A.int("bytes_b"), A.int("blocks_b")
exe = A["strdup"]
check("traces", [(A["a"], A.int("pa"), exe, "exit 0"), (A["b"], A.int("pb"), exe, "exit 0")],
      [(t["path"], t["pid"], t["exe"], t["end"]) for t in R["traces"]])
check("totals", (ba + bb, na + nb), (R["totals"]["outstanding_bytes"], R["totals"]["outstanding_blocks"]))
check("module names", ["blame_strdup"], names())
m = module("blame_strdup")
check("blame_strdup: path", exe, m["path"])
check("blame_strdup: merged bytes and blocks", (ba + bb, na + nb), (m["outstanding_bytes"], m["outstanding_blocks"]))
check("blame_strdup: entry points", [("main", ba + bb, na + nb)],
      [(e["function"], e["bytes"], e["blocks"]) for e in m["entry_points"]])
check("processes", [(A.int("pa"), exe, A["a"], ba, na), (A.int("pb"), exe, A["b"], bb, nb)],
      [(p["pid"], p["exe"], p["trace"], p["outstanding_bytes"], p["outstanding_blocks"]) for p in R["processes"]])
check("processes' modules", [[("blame_strdup", exe, ba, na)], [("blame_strdup", exe, bb, nb)]],
      [[(x["name"], x["path"], x["outstanding_bytes"], x["outstanding_blocks"]) for x in p["modules"]]
       for p in R["processes"]])
PY

hb_report "$HB_WORK/abc.json" --format json -- "$a" "$b" "$c"
hb_json_check "$HB_WORK/abc.json" "${args[@]}" <<'PY'
invariants()
ba, na, bb, nb = A.int("bytes_a"), A.int("blocks_a"), A.int("bytes_b"), A.int("blocks_b")
bc, nc = A.int("bytes_c"), A.int("blocks_c")
check("totals", (ba + bb + bc, na + nb + nc), (R["totals"]["outstanding_bytes"], R["totals"]["outstanding_blocks"]))
check("module names", sorted(["blame_strdup", "blame_callback"]), sorted(names()))
check("blame_strdup: merged", (ba + bb, na + nb), (mod_bytes("blame_strdup"), mod_blocks("blame_strdup")))
check("blame_callback", (bc, nc), (mod_bytes("blame_callback"), mod_blocks("blame_callback")))
check("processes", [(A.int("pa"), ba, na), (A.int("pb"), bb, nb), (A.int("pc"), bc, nc)],
      [(p["pid"], p["outstanding_bytes"], p["outstanding_blocks"]) for p in R["processes"]])
check("process C's modules", [("blame_callback", A["callback"], bc, nc)],
      [(x["name"], x["path"], x["outstanding_bytes"], x["outstanding_blocks"]) for x in R["processes"][2]["modules"]])
PY
first=blame_strdup
(($(hb_kv "$tc" leaked_bytes) > $(hb_kv "$ta" leaked_bytes) + $(hb_kv "$tb" leaked_bytes))) && first=blame_callback
hb_report "$HB_WORK/abc.txt" -- "$a" "$b" "$c"
assert_text_first_module "$HB_WORK/abc.txt" "$first"
hb_finish
