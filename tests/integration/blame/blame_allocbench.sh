#!/usr/bin/env bash
# blame_allocbench.sh - the shared kit's allocbench leaks, blamed exactly on
# libbeta.so.
#
# Usage: blame_allocbench.sh HEAPBLAME KIT_DIR
# KIT_DIR is the shared benchmark kit (shared/bench beside the project); when
# it is missing the test is skipped (exit 77). Builds allocbench, libalpha.so
# and libbeta.so as ../allocbench.sh does (the kit Makefile's flags: -O2 -g
# -fomit-frame-pointer), runs a W1-shaped workload, smaller (-t 1 -n 200000
# -d 8 -l 2000 -k 0.001), and checks the report against its RESULT line:
#   - libbeta.so is the first module, with exactly beta_leaked_blocks and
#     beta_leaked_bytes; libalpha.so, which frees everything, has no entry;
#   - one entry point: beta_alloc, exported, called from allocbench's
#     worker_main;
#   - every site (all listed, --top 0) starts at frame 0 inside libbeta.so
#     and climbs D + 1 frames there: beta_leaf_alloc, D - 1 levels of
#     beta_rec_alloc, beta_alloc (rec_alloc(0) tail-calls the leaf, so its
#     frame is not on the stack), or, for calloc's blocks, whose leaf
#     tail-calls calloc, the same run without the leaf;
#   - with --module 'libbeta*' the totals are the leak exactly;
#   - the text report names libbeta.so first.
source "$(dirname "${BASH_SOURCE[0]}")/blamelib.sh"
kit=${2:-}
[[ -n $kit && -f $kit/src/allocbench.c ]] ||
	hb_skip "benchmark kit not found at '$kit' (expected src/allocbench.c there)"
hb_setup "$1"
hb_allocbench "$kit"
ab=$(dirname "$AB")

D=8
out=$HB_WORK/traces
hb_run "$out" -- "$ab/allocbench" -t 1 -n 200000 -d $D -l 2000 -k 0.001
assert_eq "run exit status" 0 "$HB_RUN_STATUS"
result=$(sed -n 's/^RESULT //p' "$HB_RUN_OUT")
[[ -n $result ]] || hb_error "allocbench printed no RESULT line"
traces=("$out"/heapblame.allocbench.*.hbt)
[[ -f ${traces[0]} ]] || hb_error "no trace heapblame.allocbench.<pid>.hbt in $out"
hb_expect_traces "$out" "$(basename "${traces[0]}")"
trace=${traces[0]}
blocks=$(hb_kv "$result" beta_leaked_blocks)
bytes=$(hb_kv "$result" beta_leaked_bytes)
assert_ge "allocbench leaked something from libbeta.so" 1 "$blocks"

hb_report "$HB_WORK/r.json" --format json --top 0 -- "$trace"
hb_json_check "$HB_WORK/r.json" blocks="$blocks" bytes="$bytes" beta="$ab/libbeta.so" depth=$D <<'PY'
invariants()
blocks, bytes, D = A.int("blocks"), A.int("bytes"), A.int("depth")
check("first module", "libbeta.so", R["modules"][0]["name"])
m = module("libbeta.so")
check("libbeta.so path", os.path.realpath(A["beta"]), os.path.realpath(m["path"]))
check("libbeta.so build_id", elf_build_id(A["beta"]), m["build_id"])
check("libbeta.so outstanding_blocks == RESULT beta_leaked_blocks", blocks, m["outstanding_blocks"])
check("libbeta.so outstanding_bytes == RESULT beta_leaked_bytes", bytes, m["outstanding_bytes"])
check("libalpha.so has no module entry", None, module("libalpha.so"))
check("libbeta.so entry points", [("beta_alloc", True, "allocbench", "worker_main", bytes, blocks)],
      [(e["function"], e["exported"], e["caller_module"], e["caller_function"], e["bytes"], e["blocks"])
       for e in m["entry_points"]])
check("libbeta.so: every site listed with --top 0", m["sites_total"], len(m["sites"]))
# The frames gcc -O2 leaves: rec_alloc(0) tail-calls the leaf (its frame is
# gone), and the leaf tail-calls calloc (for calloc's blocks the leaf's frame
# is gone too).
full = ["beta_leaf_alloc"] + ["beta_rec_alloc"] * (D - 1) + ["beta_alloc"]
no_leaf = full[1:]
shapes = {repr(full): 0, repr(no_leaf): 0}
for s in m["sites"]:
    run = []
    for f in s["frames"]:
        if f["module"] != "libbeta.so":
            break
        run.append(f["function"])
    shapes[repr(run)] = shapes.get(repr(run), 0) + s["blocks"]
check("libbeta.so: every site's run of frames inside it has one of the two shapes",
      [repr(full), repr(no_leaf)], sorted(shapes, key=len, reverse=True))
check("libbeta.so: blocks with the full run (not calloc) and without the leaf (calloc), all of them", blocks,
      shapes[repr(full)] + shapes[repr(no_leaf)])
check("libbeta.so: some blocks have the full run", True, shapes[repr(full)] > 0)
PY

hb_report "$HB_WORK/beta.json" --format json --module 'libbeta*' -- "$trace"
hb_json_check "$HB_WORK/beta.json" blocks="$blocks" bytes="$bytes" <<'PY'
invariants()
check("--module libbeta*: module names", ["libbeta.so"], names())
check("--module libbeta*: totals are the leak", (A.int("bytes"), A.int("blocks")),
      (R["totals"]["outstanding_bytes"], R["totals"]["outstanding_blocks"]))
PY

hb_report "$HB_WORK/r.txt" -- "$trace"
assert_text_first_module "$HB_WORK/r.txt" libbeta.so
hb_finish
