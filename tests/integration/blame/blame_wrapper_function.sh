#!/usr/bin/env bash
# blame_wrapper_function.sh - allocator wrapper functions: a frame inside
# xmalloc (built in) or a --wrapper-function is the allocator's, and the
# blame goes to its caller, whatever module the wrapper lives in.
#
# Usage: blame_wrapper_function.sh HEAPBLAME BLAME_XUTIL LIBXUTIL
# libxutil.so exports xmalloc and xu_dup (tests/programs/blame/xutil_main.c
# has the call chains) and leaks through its own xmalloc too. One trace,
# reported:
#   - with no option: the program holds its config leak (xmalloc's caller
#     keep_config, via xmalloc in libxutil.so); libxutil.so holds its own
#     table (entered via xu_table_grow from main, xu_table_add the blamed
#     frame) and the names xu_dup made (xmalloc's caller is xu_dup);
#   - with --wrapper-function xu_dup (or 'xu_d?p', and with
#     HEAPBLAME_WRAPPER_FUNCTIONS instead): the names go to the program too
#     (keep_name, via xu_dup); libxutil.so keeps exactly its table;
#   - `check --wrapper-function xu_dup` and `run --check --wrapper-function
#     xu_dup` gate the same split (their JSON's modules); run refuses the
#     option without --check (the shim has no use for it).
# The text report names the wrapper on the sites' lines ("via xmalloc() in
# libxutil.so"). Then, if binutils' `as` is installed and linked with libbfd
# (which exports libiberty's xmalloc family), `as` assembles a file under
# the shim and what it leaks through libbfd's xmalloc/xcalloc/xstrdup is
# blamed on `as`, never on libbfd; a machine without it says so and skips
# that part only.
source "$(dirname "${BASH_SOURCE[0]}")/blamelib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")
libxutil=$(hb_prog "$3")
name=$(basename "$prog")

out=$HB_WORK/traces
hb_run "$out" -- "$prog" 12
assert_eq "run exit status" 0 "$HB_RUN_STATUS"
truth=$(hb_truth_line n=12)
pid=$(hb_kv "$truth" pid)
trace=$(hb_trace_of "$name" "$pid" "$out")

# check_split TAG NAMES_TO [REPORT OPTIONS...]: the report's modules hold
# config (+ names when NAMES_TO is the program) and table (+ names).
check_split() {
	local tag=$1 names_to=$2
	shift 2
	hb_report "$HB_WORK/$tag.json" --format json --top 0 "$@" -- "$trace"
	check_json "$HB_WORK/$tag.json" "$names_to"
	hb_report "$HB_WORK/$tag.txt" --top 0 "$@" -- "$trace"
	echo "   site lines: $(grep -c ' via ' "$HB_WORK/$tag.txt")"
	assert_eq "$tag: text names xmalloc on the program's config sites" yes \
		"$(grep -q "  via xmalloc() in libxutil.so" "$HB_WORK/$tag.txt" && echo yes || echo no)"
}

# check_json JSON NAMES_TO: the split, from a report or a check.
check_json() {
	hb_json_check "$1" names_to="$2" name="$name" libxutil="$libxutil" \
		config_blocks="$(hb_kv "$truth" config_blocks)" config_bytes="$(hb_kv "$truth" config_bytes)" \
		name_blocks="$(hb_kv "$truth" name_blocks)" name_bytes="$(hb_kv "$truth" name_bytes)" \
		table_blocks="$(hb_kv "$truth" table_blocks)" table_bytes="$(hb_kv "$truth" table_bytes)" <<'PY'
F = ["xmalloc"] + (["xu_dup"] if A["names_to"] == "prog" else [])
if "heapblame_report" in R:
    invariants((), F)
mods = {m["name"]: m for m in R["modules"]}  # a report's, or a check's (outstanding_* in both)
prog, lib = A["name"], "libxutil.so"
cfg = (A.int("config_bytes"), A.int("config_blocks"))
nam = (A.int("name_bytes"), A.int("name_blocks"))
tab = (A.int("table_bytes"), A.int("table_blocks"))
add = lambda a, b: (a[0] + b[0], a[1] + b[1])
want_prog = add(cfg, nam) if A["names_to"] == "prog" else cfg
want_lib = tab if A["names_to"] == "prog" else add(tab, nam)
check("module names", sorted([prog, lib]), sorted(mods))
check("the program holds (bytes, blocks)", want_prog, (mods[prog]["outstanding_bytes"], mods[prog]["outstanding_blocks"]))
check("libxutil.so holds (bytes, blocks)", want_lib, (mods[lib]["outstanding_bytes"], mods[lib]["outstanding_blocks"]))
if "heapblame_report" in R:
    for m in (mods[prog], mods[lib]):
        for s in m["sites"]:
            f, i = s["frames"], s["blamed_frame"]
            blamed_fn = f[i]["function"]
            if m["name"] == prog:
                want = {"keep_config": "xmalloc", "keep_name": "xu_dup"}
                check("program site: blamed in keep_config or keep_name", True, blamed_fn in want)
                check("program site %s: via its wrapper" % blamed_fn, (want.get(blamed_fn), lib),
                      (s["wrapper"], s["wrapper_module"]))
            else:
                check("libxutil site: blamed in xu_table_add or xu_dup", True, blamed_fn in ("xu_table_add", "xu_dup"))
                check("libxutil site %s: via xmalloc" % blamed_fn, ("xmalloc", lib), (s["wrapper"], s["wrapper_module"]))
    ent = sorted((e["function"], e["caller_module"], e["caller_function"], e["blocks"]) for e in mods[lib]["entry_points"])
    want_ent = [("xu_table_grow", prog, "main", A.int("table_blocks"))]
    if A["names_to"] != "prog":
        want_ent.append(("xu_dup", prog, "keep_name", A.int("name_blocks")))
    check("libxutil.so's entry points", sorted(want_ent), ent)
PY
}

check_split plain lib
check_split option prog --wrapper-function xu_dup
check_split glob prog --wrapper-function 'xu_d?p'
HEAPBLAME_WRAPPER_FUNCTIONS='xu_nothing,xu_dup' check_split env prog

echo "== heapblame check --wrapper-function xu_dup --format json"
set +e
"$HB" check --wrapper-function xu_dup --format json -o "$HB_WORK/check.json" "$trace" 2>"$HB_WORK/check.err"
st=$?
set -e
assert_eq "check: exit status (leaks over budget)" 1 "$st"
check_json "$HB_WORK/check.json" prog

echo "== heapblame run --check --wrapper-function xu_dup --format json"
set +e
"$HB" run -q -o "$HB_WORK/runcheck/" --check --wrapper-function xu_dup --format json \
	--check-output "$HB_WORK/runcheck.json" -- "$prog" 12 >"$HB_WORK/runcheck.out" 2>"$HB_WORK/runcheck.err"
st=$?
set -e
assert_eq "run --check: exit status (leaks over budget)" 1 "$st"
truth=$(grep '^TRUTH ' "$HB_WORK/runcheck.out" | tail -1)
check_json "$HB_WORK/runcheck.json" prog
set +e
"$HB" run -q -o "$HB_WORK/runcheck2/" --wrapper-function xu_dup -- "$prog" 1 >/dev/null 2>"$HB_WORK/nocheck.err"
st=$?
set -e
assert_eq "run --wrapper-function without --check: usage error" 2 "$st"

# libbfd's xmalloc family, under binutils' assembler
as_bin=$(command -v as || true)
if [[ -z $as_bin ]] || ! ldd "$as_bin" 2>/dev/null | grep -q 'libbfd'; then
	echo "SKIP the libbfd part: binutils' as (linked with libbfd) is not installed"
else
	printf '.text\n.globl f\nf:\n\tret\n.data\nv:\t.long 1\n' >"$HB_WORK/t.s"
	hb_run "$HB_WORK/as" -- "$as_bin" -o "$HB_WORK/t.o" "$HB_WORK/t.s"
	assert_eq "as: exit status" 0 "$HB_RUN_STATUS"
	astrace=$(ls "$HB_WORK"/as/*.hbt | head -1)
	hb_report "$HB_WORK/as.json" --format json --top 0 -- "$astrace"
	hb_json_check "$HB_WORK/as.json" as="$(readlink -f "$as_bin")" <<'PY'
XFAM = ("xmalloc", "xcalloc", "xrealloc", "xstrdup", "xstrndup", "xmemdup")
bfd = [m for m in R["modules"] if m["name"].startswith("libbfd")]
for m in bfd:
    check("%s: no entry point of the xmalloc family" % m["name"], [],
          [e["function"] for e in m["entry_points"] if e["function"] in XFAM])
    for s in m["sites"]:
        f = s["frames"][s["blamed_frame"]]
        check("%s: a site's blamed frame is libbfd's own code" % m["name"], True,
              f["module"] == m["name"] and f["function"] not in XFAM)
asm = [m for m in R["modules"] if m["path"] == A["as"]]
via = [s for m in asm for s in m["sites"] if s["wrapper"] in XFAM and (s["wrapper_module"] or "").startswith("libbfd")]
check("as: some of its sites went through libbfd's xmalloc family", True, len(via) > 0)
PY
fi
hb_finish
