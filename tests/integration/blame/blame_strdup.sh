#!/usr/bin/env bash
# blame_strdup.sh - a leak through libc's strdup is blamed on its caller.
#
# Usage: blame_strdup.sh HEAPBLAME BLAME_STRDUP
# Runs tests/programs/blame/blame_strdup (remember_name() leaks N strdup
# copies; scratch_name()'s copies are freed) and checks the JSON report
# against its TRUTH line:
#   - the only module is the executable (libc, an allocator wrapper, is
#     never blamed), with exactly the leaked blocks and bytes (strlen + 1
#     each), which are also the process's and the report's totals;
#   - one entry point: main (not exported: an executable's main is not in
#     its .dynsym), called from libc.so.6;
#   - each site starts at frame 0, inside libc (strdup called malloc), and
#     its first frame outside libc is remember_name in strdup_leak.c, then
#     process_names, then main;
#   - the trace and the process are named by pid and program, `exit 0`;
#   - the text report names the executable first.
source "$(dirname "${BASH_SOURCE[0]}")/blamelib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")
name=$(basename "$prog")

out=$HB_WORK/traces
hb_run "$out" -- "$prog" 17
assert_eq "run exit status" 0 "$HB_RUN_STATUS"
truth=$(hb_truth_line n=17)
pid=$(hb_kv "$truth" pid)
hb_expect_traces "$out" "heapblame.$name.$pid.hbt"
trace=$(hb_trace_of "$name" "$pid" "$out")

hb_report "$HB_WORK/r.json" --format json -- "$trace"
hb_json_check "$HB_WORK/r.json" exe="$prog" name="$name" pid="$pid" trace="$trace" \
	blocks="$(hb_kv "$truth" leaked_blocks)" bytes="$(hb_kv "$truth" leaked_bytes)" <<'PY'
invariants()
n, blocks, bytes = A["name"], A.int("blocks"), A.int("bytes")
check("module names", [n], names())
m = module(n)
check("module path", A["exe"], m["path"])
check("module build_id", elf_build_id(A["exe"]), m["build_id"])
check("module outstanding_blocks", blocks, m["outstanding_blocks"])
check("module outstanding_bytes", bytes, m["outstanding_bytes"])
check("totals", (bytes, blocks), (R["totals"]["outstanding_bytes"], R["totals"]["outstanding_blocks"]))
check("entry points", [("main", False, "libc.so.6", bytes, blocks)],
      [(e["function"], e["exported"], e["caller_module"], e["bytes"], e["blocks"]) for e in m["entry_points"]])
print("info: main's caller_function is %r" % m["entry_points"][0]["caller_function"])
for s in m["sites"]:
    f = s["frames"]
    i = blamed_index(f)
    check("site: frame 0 is strdup's, in libc", "libc.so.6", f[0]["module"])
    check("site: first frame outside libc", (n, "remember_name", "strdup_leak.c"),
          (f[i]["module"], f[i]["function"], (f[i]["file"] or "").rsplit("/", 1)[-1]))
    check("site: its line is known", int, type(f[i]["line"]))
    check("site: the frames after it", ["process_names", "main"], [x["function"] for x in f[i + 1:i + 3]])
check("traces", [(A["trace"], A.int("pid"), A["exe"], "exit 0")],
      [(t["path"], t["pid"], t["exe"], t["end"]) for t in R["traces"]])
p = R["processes"][0]
check("process", (A.int("pid"), A["exe"], A["trace"], bytes, blocks),
      (p["pid"], p["exe"], p["trace"], p["outstanding_bytes"], p["outstanding_blocks"]))
check("process modules", [(n, A["exe"], bytes, blocks)],
      [(x["name"], x["path"], x["outstanding_bytes"], x["outstanding_blocks"]) for x in p["modules"]])
PY

hb_report "$HB_WORK/r.txt" -- "$trace"
assert_text_first_module "$HB_WORK/r.txt" "$name"
hb_finish
