#!/usr/bin/env bash
# blame_wrapper.sh - `--wrapper NAME` moves the blame from a project's own
# allocation wrapper to the module that called it.
#
# Usage: blame_wrapper.sh HEAPBLAME BLAME_WRAPPER LIBUSER LIBXALLOC
# main -> user_collect (libuser.so) -> user_keep -> xa_malloc (libxalloc.so.1,
# loaded by its soname) -> malloc; libuser leaks the even records. The same
# trace is reported several times:
#   - no --wrapper: libxalloc.so.1 is blamed (its code called malloc),
#     entered via its exported xa_malloc from libuser.so's user_keep;
#   - --wrapper libxalloc.so.1, libxalloc.so, libxalloc (a name matches its
#     versions) and 'libxal*' (a glob): libuser.so is blamed, entered via
#     its exported user_collect from the executable's main; its sites still
#     start at frame 0, xa_malloc in libxalloc.so.1, and their first frame
#     outside the wrappers is user_keep;
#   - --wrapper libxall (not the module's name, nor a glob matching it):
#     libxalloc.so.1 is still blamed;
#   - --wrapper libxalloc --wrapper libuser.so (repeated): the executable is
#     blamed, entered via main (not exported) from libc.so.6.
# Each time the blamed module holds exactly libuser's leaked blocks and
# bytes, which are also the totals (nothing else stays allocated), and the
# text report names it first.
source "$(dirname "${BASH_SOURCE[0]}")/blamelib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")
libuser=$(hb_prog "$3")
libxalloc=$(hb_prog "$4")
name=$(basename "$prog")

out=$HB_WORK/traces
hb_run "$out" -- "$prog" 25
assert_eq "run exit status" 0 "$HB_RUN_STATUS"
truth=$(hb_truth_line n=25)
pid=$(hb_kv "$truth" pid)
hb_expect_traces "$out" "heapblame.$name.$pid.hbt"
trace=$(hb_trace_of "$name" "$pid" "$out")
blocks=$(hb_kv "$truth" live_blocks)
bytes=$(hb_kv "$truth" live_bytes)

# check_blame TAG BLAMED ENTRY EXPORTED CALLER_MODULE CALLER_FUNCTION [--wrapper W]...
check_blame() {
	local tag=$1 blamed=$2 entry=$3 exported=$4 cmod=$5 cfun=$6
	shift 6
	local wrappers=() a
	for a in "$@"; do
		[[ $a == --wrapper ]] || wrappers+=("$a")
	done
	echo "== blamed on $blamed with: ${*:-no --wrapper}"
	hb_report "$HB_WORK/$tag.json" --format json "$@" -- "$trace"
	hb_json_check "$HB_WORK/$tag.json" blamed="$blamed" entry="$entry" exported="$exported" cmod="$cmod" \
		cfun="$cfun" blocks="$blocks" bytes="$bytes" name="$name" exe="$prog" libuser="$libuser" \
		libxalloc="$libxalloc" wrappers="$(
			IFS=,
			echo "${wrappers[*]}"
		)" <<'PY'
W = [w for w in A["wrappers"].split(",") if w]
invariants(W)
b, blocks, bytes = A["blamed"], A.int("blocks"), A.int("bytes")
check("module names", [b], names())
m = module(b)
if m:
    files = {A["name"]: A["exe"], "libuser.so": A["libuser"], "libxalloc.so.1": A["libxalloc"]}
    check("module path", os.path.realpath(files[b]), os.path.realpath(m["path"]))
    check("module outstanding (bytes, blocks)", (bytes, blocks), (m["outstanding_bytes"], m["outstanding_blocks"]))
    # caller_function "?": not checked (a function of libc.so.6, named only where libc has symbols)
    check("entry points", [(A["entry"], A["exported"] == "true", A["cmod"], A["cfun"], bytes, blocks)],
          [(e["function"], e["exported"], e["caller_module"], "?" if A["cfun"] == "?" else e["caller_function"],
            e["bytes"], e["blocks"]) for e in m["entry_points"]])
    for s in m["sites"]:
        f = s["frames"]
        check("site: frame 0", ("libxalloc.so.1", "xa_malloc"), (f[0]["module"], f[0]["function"]))
        i = blamed_index(f, W)
        want = {"libxalloc.so.1": "xa_malloc", "libuser.so": "user_keep", A["name"]: "main"}[b]
        check("site: first frame outside the wrappers", (b, want), (f[i]["module"], f[i]["function"]))
check("totals", (bytes, blocks), (R["totals"]["outstanding_bytes"], R["totals"]["outstanding_blocks"]))
PY
	hb_report "$HB_WORK/$tag.txt" "$@" -- "$trace"
	assert_text_first_module "$HB_WORK/$tag.txt" "$blamed"
}

check_blame none libxalloc.so.1 xa_malloc true libuser.so user_keep
check_blame exact libuser.so user_collect true "$name" main --wrapper libxalloc.so.1
check_blame unversioned libuser.so user_collect true "$name" main --wrapper libxalloc.so
check_blame bare libuser.so user_collect true "$name" main --wrapper libxalloc
check_blame glob libuser.so user_collect true "$name" main --wrapper 'libxal*'
check_blame prefix libxalloc.so.1 xa_malloc true libuser.so user_keep --wrapper libxall
check_blame two "$name" main false libc.so.6 "?" --wrapper libxalloc --wrapper libuser.so
hb_finish
