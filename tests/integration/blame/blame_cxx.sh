#!/usr/bin/env bash
# blame_cxx.sh - a C++ library leaking through operator new is blamed on the
# library, with demangled names.
#
# Usage: blame_cxx.sh HEAPBLAME BLAME_CXX LIBCXXLEAK
# BLAME_CXX is tests/programs/blame/blame_cxx, or "missing:REASON" when meson
# found no C++ compiler (then the test is skipped, exit 77). The program
# calls libcxxleak.so's exported cache_fill(Cache&, int, int), whose
# Cache::insert(int) leaks N nodes made with `new`; everything else (the
# library's churn, the program's own new/delete) is freed. Checks:
#   - libcxxleak.so is the first module, with exactly the library's live
#     blocks and bytes (TRUTH lib_live_*); libstdc++.so.6 is never blamed;
#     the executable has nothing outstanding. (The only other module with
#     outstanding memory is the loader, holding libstdc++'s start-up
#     emergency pool, 71 KiB, less than the nodes' 106 KiB.)
#   - one entry point: cache_fill(Cache&, int, int), exported, called from
#     the executable's main;
#   - each site starts at frame 0 in libstdc++.so.6 (operator new called
#     malloc); its first frame outside it is Cache::insert(int) in
#     cxxleak.cpp, then cache_fill(Cache&, int, int);
#   - the text report names libcxxleak.so first, and writes the entry point's
#     demangled name as it is (no "()" added after its parameter list).
source "$(dirname "${BASH_SOURCE[0]}")/blamelib.sh"
[[ ${2:-} == missing:* ]] && hb_skip "${2#missing:}"
hb_setup "$1"
prog=$(hb_prog "$2")
lib=$(hb_prog "$3")
name=$(basename "$prog")

out=$HB_WORK/traces
hb_run "$out" -- "$prog" 400
assert_eq "run exit status" 0 "$HB_RUN_STATUS"
truth=$(hb_truth_line n=400)
pid=$(hb_kv "$truth" pid)
hb_expect_traces "$out" "heapblame.$name.$pid.hbt"
trace=$(hb_trace_of "$name" "$pid" "$out")

hb_report "$HB_WORK/r.json" --format json -- "$trace"
hb_json_check "$HB_WORK/r.json" exe="$prog" name="$name" lib="$lib" \
	blocks="$(hb_kv "$truth" lib_live_blocks)" bytes="$(hb_kv "$truth" lib_live_bytes)" <<'PY'
invariants()
blocks, bytes = A.int("blocks"), A.int("bytes")
check("first module", "libcxxleak.so", R["modules"][0]["name"])
check("libstdc++.so.6 is not blamed", None, module("libstdc++.so.6"))
check("the executable has nothing outstanding", (0, 0), (mod_bytes(A["name"]), mod_blocks(A["name"])))
m = module("libcxxleak.so")
check("libcxxleak.so path", os.path.realpath(A["lib"]), os.path.realpath(m["path"]))
check("libcxxleak.so build_id", elf_build_id(A["lib"]), m["build_id"])
check("libcxxleak.so outstanding_blocks", blocks, m["outstanding_blocks"])
check("libcxxleak.so outstanding_bytes", bytes, m["outstanding_bytes"])
check("libcxxleak.so entry points",
      [("cache_fill(Cache&, int, int)", True, A["name"], "main", bytes, blocks)],
      [(e["function"], e["exported"], e["caller_module"], e["caller_function"], e["bytes"], e["blocks"])
       for e in m["entry_points"]])
for s in m["sites"]:
    f = s["frames"]
    i = blamed_index(f)
    check("site: frame 0 is operator new's, in libstdc++", "libstdc++.so.6", f[0]["module"])
    check("site: first frame outside libstdc++", ("libcxxleak.so", "Cache::insert(int)", "cxxleak.cpp"),
          (f[i]["module"], f[i]["function"], (f[i]["file"] or "").rsplit("/", 1)[-1]))
    check("site: the next frame", ("libcxxleak.so", "cache_fill(Cache&, int, int)"),
          (f[i + 1]["module"], f[i + 1]["function"]))
PY

hb_report "$HB_WORK/r.txt" -- "$trace"
assert_text_first_module "$HB_WORK/r.txt" libcxxleak.so
assert_eq "text: the entry point's demangled name is not given a second ()" 0 \
	"$(grep -c 'cache_fill(Cache&, int, int)()' "$HB_WORK/r.txt" || true)"
assert_eq "text: the entry point is named" 1 \
	"$(grep -cF 'entered via cache_fill(Cache&, int, int) [exported] from '"$name"': main()' "$HB_WORK/r.txt" || true)"
hb_finish
