#!/usr/bin/env bash
# dlchurn_fork.sh - a fork child inherits the blocks of plugins unloaded
# before the fork: its report still blames them on the plugins.
#
# Usage: dlchurn_fork.sh HEAPBLAME DLCHURN PLUGIN1 PLUGIN2
# Runs tests/programs/dlchurn with `fork`: 5 rounds of loading, calling and
# unloading the two plugins, then a child that inherits what they leaked.
# The child's trace defines again every stack its parent interned, when
# neither plugin is mapped any more; a shim that maps those stacks' frames
# with the child's module map alone writes the plugins' frames as unknown
# addresses, and `report` then blames the plugins' blocks on the first
# known frame out: the executable. Checks, for the parent and the child,
# on `heapblame report --format json` of each trace alone: each plugin's
# outstanding blocks and bytes are its TRUTH ledger, the executable has
# nothing outstanding, and every frame of the plugins' sites inside a plugin's
# code is named after the plugin (the site's first frame outside libc).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")
p1=$(hb_prog "$3")
p2=$(hb_prog "$4")

out=$HB_WORK/traces
hb_run "$out" -- "$prog" "$p1" "$p2" 5 fork
assert_eq "run exit status" 0 "$HB_RUN_STATUS"
parent=$(hb_truth_line role=parent)
child=$(hb_truth_line role=child)
ppid_=$(hb_kv "$parent" pid)
cpid=$(hb_kv "$child" pid)
hb_expect_traces "$out" "heapblame.dlchurn.$ppid_.hbt" "heapblame.dlchurn.$cpid.hbt"

for role in parent child; do
	if [[ $role == parent ]]; then truth=$parent pid=$ppid_; else truth=$child pid=$cpid; fi
	trace=$out/heapblame.dlchurn.$pid.hbt
	hb_dump "$trace"
	assert_eq "$role end" "exit 0" "$(hb_total end)"
	assert_eq "$role lost_events" 0 "$(hb_total lost_events)"
	"$HB" report --format json --top 0 "$trace" >"$HB_WORK/$role.json"
	python3 - "$HB_WORK/$role.json" "$prog" "$p1" "$p2" >"$HB_WORK/$role.check" <<'PY'
import json, sys
r, exe, p1, p2 = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3], sys.argv[4]
mods = {}
for m in r["modules"]:
    b = mods.setdefault(m["path"], [0, 0])
    b[0] += m["outstanding_blocks"]
    b[1] += m["outstanding_bytes"]
for label, path in (("exe", exe), ("p1", p1), ("p2", p2)):
    b = mods.get(path, [0, 0])
    print(label + "_live_blocks", b[0])
    print(label + "_live_bytes", b[1])
# a plugin's site: a frame of it is named after it, and no frame is unknown
bad = 0
for m in r["modules"]:
    if m["path"] in (p1, p2):
        for s in m["sites"]:
            bad += sum(1 for f in s["frames"] if f["module"] is None)
print("plugin_frames_unknown", bad)
PY
	sed 's/^/   | /' "$HB_WORK/$role.check"
	kv() { awk -v k="$1" '$1 == k { print $2 }' "$HB_WORK/$role.check"; }
	for f in live_blocks live_bytes; do
		assert_eq "$role report: plugin1 $f" "$(hb_kv "$truth" "p1_$f")" "$(kv "p1_$f")"
		assert_eq "$role report: plugin2 $f" "$(hb_kv "$truth" "p2_$f")" "$(kv "p2_$f")"
		assert_eq "$role report: executable $f" 0 "$(kv "exe_$f")"
	done
	assert_eq "$role report: frames of the plugins' sites at unknown addresses" 0 "$(kv plugin_frames_unknown)"
done
hb_finish
