#!/usr/bin/env bash
# blame_depth.sh - a stack cut at --depth is said to be cut, and its entry
# point, which the trace cannot know, is not named.
#
# Usage: blame_depth.sh HEAPBLAME BLAME_DEEP
# blame_deep 40 leaks 5 blocks at the bottom of 40 levels of descend()
# (about 44 frames) and 3 blocks at a shallow stack (deep_main.c).
#   - recorded with --depth 16: the deep stack's STACK record says it was
#     cut (dump: flags=cut); the report's deep site is truncated, its entry
#     point unknown (function and caller null, truncated true; text "entry
#     point unknown (the stack was cut at 16 frames ... --depth"), and the
#     closing sentence names no function descend or main for it (html:
#     the entry point is tagged "stack cut at 16 frames"); the
#     shallow site keeps its entry point, main from libc.so.6;
#   - recorded with --depth 128: nothing is truncated, and both leaks are
#     entered via main from libc.so.6.
source "$(dirname "${BASH_SOURCE[0]}")/blamelib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")
name=$(basename "$prog")

# check_depth DEPTH CUT: run at --depth DEPTH and check the report; CUT is
# yes when the deep stack must come out cut.
check_depth() {
	local depth=$1 cut=$2 out=$HB_WORK/d$1
	hb_run "$out" --depth "$depth" -- "$prog" 40
	assert_eq "depth $depth: run exit status" 0 "$HB_RUN_STATUS"
	local truth pid trace
	truth=$(hb_truth_line levels=40)
	pid=$(hb_kv "$truth" pid)
	trace=$(hb_trace_of "$name" "$pid" "$out")
	"$HB" dump "$trace" >"$HB_WORK/d$depth.dump"
	assert_eq "depth $depth: STACK records marked cut" "$([[ $cut == yes ]] && echo 1 || echo 0)" \
		"$(grep -c '^STACK .* flags=cut$' "$HB_WORK/d$depth.dump" || true)"
	hb_report "$HB_WORK/d$depth.json" --format json -- "$trace"
	hb_json_check "$HB_WORK/d$depth.json" cut="$cut" depth="$depth" name="$name" \
		deep_blocks="$(hb_kv "$truth" deep_blocks)" deep_bytes="$(hb_kv "$truth" deep_bytes)" \
		shallow_blocks="$(hb_kv "$truth" shallow_blocks)" shallow_bytes="$(hb_kv "$truth" shallow_bytes)" <<'PY'
invariants()
m = module(A["name"])
deep = (A.int("deep_bytes"), A.int("deep_blocks"))
shallow = (A.int("shallow_bytes"), A.int("shallow_blocks"))
sites = {(s["bytes"], s["blocks"]): s for s in m["sites"]}
check("sites", sorted([deep, shallow]), sorted(sites))
cut = A["cut"] == "yes"
check("deep site: truncated", cut, sites[deep]["truncated"])
check("deep site: frames kept", A.int("depth") if cut else None,
      len(sites[deep]["frames"]) if cut else None)
check("shallow site: not truncated", False, sites[shallow]["truncated"])
ent = sorted(((e["function"], e["caller_module"], e["caller_function"], e["truncated"], e["bytes"], e["blocks"])
              for e in m["entry_points"]), key=repr)
main = ("main", "libc.so.6", "__libc_start_call_main", False)
if cut:
    want = sorted([main + shallow, (None, None, None, True) + deep], key=repr)
else:
    want = [main + (deep[0] + shallow[0], deep[1] + shallow[1])]
check("entry points", want, ent)
PY
	hb_report "$HB_WORK/d$depth.html" --format html -- "$trace"
	assert_eq "depth $depth: html tags the unknown entry point" "$([[ $cut == yes ]] && echo yes || echo no)" \
		"$(grep -q "stack cut at $depth frames</span>" "$HB_WORK/d$depth.html" && echo yes || echo no)"
	hb_report "$HB_WORK/d$depth.txt" -- "$trace"
	local unknown closing
	unknown=$(grep -c 'entry point unknown (the stack was cut at '"$depth"' frames, the --depth' "$HB_WORK/d$depth.txt" || true)
	assert_eq "depth $depth: text says the entry point is unknown" "$([[ $cut == yes ]] && echo 1 || echo 0)" "$unknown"
	closing=$(tail -1 "$HB_WORK/d$depth.txt")
	echo "   closing: $closing"
	if [[ $cut == yes ]]; then
		assert_eq "depth $depth: closing sentence names no entry function" no \
			"$(grep -qE 'entered through (its exported function )?[a-z_]+\(\)' <<<"$closing" && echo yes || echo no)"
		assert_eq "depth $depth: closing sentence says how to see it" yes \
			"$(grep -q 'beyond the frames recorded (the stack was cut at '"$depth"' frames' <<<"$closing" && echo yes || echo no)"
	else
		assert_eq "depth $depth: closing sentence names main" yes \
			"$(grep -q "entered through main() from libc.so.6's __libc_start_call_main()" <<<"$closing" && echo yes || echo no)"
	fi
}

check_depth 16 yes
check_depth 128 no
hb_finish
