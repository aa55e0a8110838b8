#!/usr/bin/env bash
# blame_demo.sh - the story of the README: store's memory is libmta.so's.
#
# Usage: blame_demo.sh HEAPBLAME STORE MTA_TRUTH
# STORE is examples/store (it links examples/libmta.so, beside it);
# MTA_TRUTH is tests/programs/blame/blame_mta_truth, which compiles
# examples/mta.c into itself and prints the size of the retry record libmta
# leaks and how many messages make one (TRUTH retry_size=S retry_every=E).
# Runs store for 5049 messages, so libmta leaks floor(5049 / E) records.
# Checks:
#   - the trace is store's (pid from its name, program, `exit 0`);
#   - libmta.so is the first module, at the path beside store, with exactly
#     floor(5049 / E) blocks of S bytes;
#   - one entry point: mta_submit, exported, called from store's
#     deliver_message;
#   - its sites' frame 0 is in libmta.so, function schedule_retry (the
#     function that called calloc), in mta.c;
#   - store itself holds at most one block: it frees all it allocates, but
#     libc allocates stdout's buffer for main's printf (libc is a wrapper, so
#     that block is store's); nothing else is outstanding;
#   - the text report names libmta.so first.
source "$(dirname "${BASH_SOURCE[0]}")/blamelib.sh"
hb_setup "$1"
store=$(hb_prog "$2")
mta_truth=$(hb_prog "$3")
name=$(basename "$store")

messages=5049
out=$HB_WORK/traces
hb_run "$out" -- "$store" $messages
assert_eq "run exit status" 0 "$HB_RUN_STATUS"
traces=("$out"/heapblame.store.*.hbt)
[[ -f ${traces[0]} ]] || hb_error "no trace heapblame.store.<pid>.hbt in $out"
hb_expect_traces "$out" "$(basename "${traces[0]}")"
trace=${traces[0]}
pid=${trace##*/heapblame.store.}
pid=${pid%.hbt}
"$mta_truth" >"$HB_WORK/mta_truth.out"
truth=$(sed -n 's/^TRUTH //p' "$HB_WORK/mta_truth.out")
[[ -n $truth ]] || hb_error "blame_mta_truth printed no TRUTH line"
every=$(hb_kv "$truth" retry_every)
size=$(hb_kv "$truth" retry_size)
blocks=$((messages / every))
echo "info: libmta leaks one $size-byte record every $every messages: $blocks records for $messages messages"

hb_report "$HB_WORK/r.json" --format json -- "$trace"
hb_json_check "$HB_WORK/r.json" store="$store" name="$name" pid="$pid" trace="$trace" \
	blocks="$blocks" bytes="$((blocks * size))" <<'PY'
invariants()
blocks, bytes = A.int("blocks"), A.int("bytes")
check("traces", [(A["trace"], A.int("pid"), A["store"], "exit 0")],
      [(t["path"], t["pid"], t["exe"], t["end"]) for t in R["traces"]])
check("first module", "libmta.so", R["modules"][0]["name"])
m = module("libmta.so")
lib = os.path.join(os.path.dirname(A["store"]), "libmta.so")
check("libmta.so path", os.path.realpath(lib), os.path.realpath(m["path"]))
check("libmta.so build_id", elf_build_id(lib), m["build_id"])
check("libmta.so outstanding_blocks (messages / retry_every)", blocks, m["outstanding_blocks"])
check("libmta.so outstanding_bytes (blocks * retry_size)", bytes, m["outstanding_bytes"])
check("libmta.so entry points", [("mta_submit", True, A["name"], "deliver_message", bytes, blocks)],
      [(e["function"], e["exported"], e["caller_module"], e["caller_function"], e["bytes"], e["blocks"])
       for e in m["entry_points"]])
for s in m["sites"]:
    f = s["frames"][0]
    check("site: frame 0", ("libmta.so", "schedule_retry", "mta.c"),
          (f["module"], f["function"], (f["file"] or "").rsplit("/", 1)[-1]))
check("store holds at most one block (stdout's buffer)", True, mod_blocks(A["name"]) <= 1)
check("nothing outstanding but libmta's and store's",
      (bytes + mod_bytes(A["name"]), blocks + mod_blocks(A["name"])),
      (R["totals"]["outstanding_bytes"], R["totals"]["outstanding_blocks"]))
PY

hb_report "$HB_WORK/r.txt" -- "$trace"
assert_text_first_module "$HB_WORK/r.txt" libmta.so
hb_finish
