#!/usr/bin/env bash
# program_name.sh - a traced process keeps the name it was started by
# (issue 8, item 7).
#
# Usage: program_name.sh HEAPBLAME PROGNAME
# Starts tests/programs/progname through a symlink named hbalias (as Debian
# starts redis-server, a symlink to redis-check-rdb). progname writes a
# title over its argv[0], then forks a child whose trace is created after
# that (see progname.c). Checks, for the parent and the child:
#   - the trace files are heapblame.hbalias.PID.hbt (the default name is
#     built from argv[0]'s base name at start, not from the title);
#   - `report --format json`: traces[].program and processes[].program are
#     hbalias, and traces[].exe and processes[].exe the executable's
#     resolved path;
#   - the text report's first line names the processes hbalias;
#   - the module blamed, the executable's file, is shown by the name it was
#     started by too (hbalias: redis-server, not redis-check-rdb), with its
#     resolved path beside it; and `report -m` and `module:` suppressions
#     find it by either name.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")
mkdir -p "$HB_WORK/bin"
ln -s "$prog" "$HB_WORK/bin/hbalias"

out=$HB_WORK/traces
hb_run "$out" -- "$HB_WORK/bin/hbalias"
assert_eq "run exit status" 0 "$HB_RUN_STATUS"
parent=$(hb_truth_line role=parent)
child=$(hb_truth_line role=child)
ppid=$(hb_kv "$parent" pid)
cpid=$(hb_kv "$child" pid)
assert_eq "the child succeeded" 1 "$(hb_kv "$parent" children_ok)"
# item 7: the default trace file name carries the name it was started by
hb_expect_traces "$out" "heapblame.hbalias.$ppid.hbt" "heapblame.hbalias.$cpid.hbt"
ptrace=$out/heapblame.hbalias.$ppid.hbt
ctrace=$out/heapblame.hbalias.$cpid.hbt
[[ -f $ptrace && -f $ctrace ]] || hb_finish

"$HB" report --format json "$ptrace" "$ctrace" >"$HB_WORK/r.json"
python3 - "$HB_WORK/r.json" >"$HB_WORK/json.check" <<'PY' || true
import json, sys
r = json.load(open(sys.argv[1]))
for t in r["traces"]:
    print("trace", t["pid"], t.get("program"), t.get("exe", "(none)"))
for p in r["processes"]:
    print("process", p["pid"], p.get("program"), p.get("exe", "(none)"))
for m in r["modules"]:
    print("module", m["name"], m["path"])
PY
sed 's/^/   | /' "$HB_WORK/json.check"
field() { awk -v k="$1" -v pid="$2" -v n="$3" '$1 == k && $2 == pid { print $n }' "$HB_WORK/json.check"; }
for pid in "$ppid" "$cpid"; do
	assert_eq "json: traces[] of $pid: program" hbalias "$(field trace "$pid" 3)"
	assert_eq "json: traces[] of $pid: exe" "$prog" "$(field trace "$pid" 4)"
	assert_eq "json: processes[] of $pid: program" hbalias "$(field process "$pid" 3)"
	assert_eq "json: processes[] of $pid: exe" "$prog" "$(field process "$pid" 4)"
done
assert_eq "json: the module blamed (the executable's file, by the name it was started by)" "hbalias $prog" \
	"$(awk '$1 == "module" { print $2, $3; exit }' "$HB_WORK/json.check")"

"$HB" report "$ptrace" "$ctrace" >"$HB_WORK/r.txt"
head -n 1 "$HB_WORK/r.txt" | sed 's/^/   | /'
assert_eq "text: the first line names the processes by the name they were started by" \
	"hbalias pid $ppid (exit 0), hbalias pid $cpid (exit 0)" \
	"$(head -n 1 "$HB_WORK/r.txt" | sed -n 's/^.* traces\{0,1\}: //p')"
# the executable's module goes by both names: -m, and module: suppressions
for name in hbalias progname; do
	"$HB" report --format json -m "$name" "$ptrace" >"$HB_WORK/m.json"
	assert_eq "report -m $name keeps the executable's module" "$prog" \
		"$(python3 -c 'import json,sys; print(" ".join(m["path"] for m in json.load(open(sys.argv[1]))["modules"]))' "$HB_WORK/m.json")"
	printf 'module:%s\n' "$name" >"$HB_WORK/$name.supp"
	set +e
	"$HB" check --suppressions "$HB_WORK/$name.supp" "$ptrace" >"$HB_WORK/c.txt" 2>&1
	st=$?
	set -e
	assert_eq "check: module:$name hides the executable's leak" 0 "$st"
done
hb_finish
