#!/usr/bin/env bash
# watch_growth.sh - Watch: how each module's memory moved over the run, its
# shape named, its timeline, windows of time, and a growth budget.
#
# Usage: watch_growth.sh HEAPBLAME WATCHPROG
# Runs `watchprog -d 10 -t truth.txt` (tests/programs/watch) under
# `heapblame run`: libgrow.so leaks 1 MiB/s for 10 s, libcache.so fills
# 8 MiB over the first 3 s and then holds it, libburst.so allocates 4 MiB in
# a 600 ms burst around 2 s, 5 s and 8 s and frees it whole. The
# truth file has every 100 ms what each library held (`t_ms grow cache
# burst`, t_ms since main's start; truth_at interpolates it), the TRUTH line
# the end's values and the leak rate achieved. Checks:
#   - the program: exit status 0, about 101 truth lines ending with the
#     TRUTH line's values, a cache full at 8 MiB, a rate of 1 MiB/s, and
#     each library's live bytes in `heapblame dump` equal to its own count;
#   - `report --format json`: every modules[] and modules[].sites[] entry
#     has a well-formed `growth` ({class, bytes_per_hour, since_s}); the
#     top-level `timeline` ({t_s, modules[{name, bytes}]}, series as long as
#     t_s, at most 1000 points); libgrow.so "growing" at grow_rate x 3600
#     bytes per hour +-25%, libcache.so "plateau", libburst.so "flat"; the
#     timeline's last point of libgrow.so within 10% of grow_bytes, of
#     libcache.so within 5% of cache_bytes;
#   - `--at 5s`: the state at the last flush at or before 5 s (flushes come
#     about every second, so from 4 s on): libgrow.so's outstanding_bytes in
#     [truth(4000) x 0.95, truth(5000) x 1.05];
#   - `--since -3s`: what the last 3 s left outstanding, counted from the
#     first epoch that began at or after end - 3 s (docs/growth.md: a window
#     never holds blocks from before its start, and may miss up to an epoch
#     of about a second after it), so 2 to 3 s of the leak: libgrow.so's in
#     [(truth(end) - truth(end - 2000)) x 0.95, (truth(end) - truth(end -
#     3000)) x 1.05]; libcache.so absent or 0 (it stopped at about 3 s);
#   - `--at 8s --since 4s`: libgrow.so's is truth(8 s) - truth(4 s) with
#     one second of slack at each end of the window: in [truth(7000) -
#     truth(5000), truth(9000) - truth(3000)];
#   - `check --kinds none --max-growth 100KiB/h` exits 1 and names
#     libgrow.so; with 100GiB/h it exits 0.
# Wall time: about 11 s.
source "$(dirname "${BASH_SOURCE[0]}")/checklib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")
libdir=$(dirname "$prog") # meson puts the libraries beside it (rpath $ORIGIN)
cd "$HB_WORK"
TRUTH_FILE=$HB_WORK/truth.txt

# assert_in NAME LO HI ACTUAL: ACTUAL is a number in [LO, HI] (made with
# assert_eq, so that a failure says what was expected and what was found)
assert_in() {
	local ok
	ok=$(awk -v lo="$2" -v hi="$3" -v x="$4" 'BEGIN {
		print (x ~ /^-?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$/ && x + 0 >= lo + 0 && x + 0 <= hi + 0) ? "yes" : "no" }')
	assert_eq "$1: is $4 in [$2, $3]?" yes "$ok"
}

# truth_at T_MS grow|cache|burst: that library's bytes at T_MS, interpolated
# linearly between the truth file's lines around it (the first or last
# line's value outside them), rounded to a byte
truth_at() {
	local col
	case $2 in
	grow) col=2 ;;
	cache) col=3 ;;
	burst) col=4 ;;
	*) hb_error "truth_at: no column '$2'" ;;
	esac
	awk -v t="$1" -v c="$col" '
		{ ts[NR] = $1; vs[NR] = $c }
		END {
			if (NR == 0) { print "MISSING"; exit }
			if (t <= ts[1]) { printf "%.0f\n", vs[1]; exit }
			for (i = 2; i <= NR; i++)
				if (t <= ts[i]) {
					printf "%.0f\n", vs[i - 1] + (vs[i] - vs[i - 1]) * (t - ts[i - 1]) / (ts[i] - ts[i - 1])
					exit
				}
			printf "%.0f\n", vs[NR]
		}' "$TRUTH_FILE"
}

# scale N FACTOR: N x FACTOR, rounded to an integer
scale() {
	awk -v n="$1" -v f="$2" 'BEGIN { printf "%.0f\n", n * f }'
}

# json_facts REPORT.json > FACTS: what the asserts read from a report, one
# `key<TAB>value` a line, MISSING for what is not there (so that a missing
# field fails its assertion instead of stopping the driver)
json_facts() {
	python3 - "$1" <<'PY'
import json, sys

CLASSES = {"growing", "plateau", "falling", "flat", "unknown"}
LIBS = ("libgrow.so", "libcache.so", "libburst.so")


def num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def growth_ok(g):
    return (isinstance(g, dict) and g.get("class") in CLASSES and num(g.get("bytes_per_hour"))
            and "since_s" in g and (g["since_s"] is None or num(g["since_s"])))


try:
    d = json.load(open(sys.argv[1]))
except Exception as e:  # an empty output (the command failed) included
    print("json\tunreadable (%s)" % str(e).replace("\t", " "))
    d = {}
else:
    print("json\tok")
mods = d.get("modules", []) if isinstance(d, dict) else []
entries = [x for m in mods for x in [m] + list(m.get("sites", []))]
print("growth.entries\t%d" % len(entries))
print("growth.malformed\t%d" % sum(1 for x in entries if not growth_ok(x.get("growth"))))
for name in LIBS:
    ms = [m for m in mods if m.get("name") == name]
    g = ms[0].get("growth") if ms else None
    g = g if isinstance(g, dict) else {}
    print("%s.bytes\t%d" % (name, sum(m.get("outstanding_bytes", 0) for m in ms)))
    print("%s.class\t%s" % (name, g.get("class", "MISSING")))
    bph = g.get("bytes_per_hour")
    print("%s.bytes_per_hour\t%s" % (name, repr(bph) if num(bph) else "MISSING"))

tl = d.get("timeline") if isinstance(d, dict) else None
problems, ts, series = [], [], []
if not isinstance(tl, dict):
    problems.append("no timeline object")
else:
    ts = tl.get("t_s")
    if not isinstance(ts, list) or not all(num(t) for t in ts):
        problems.append("t_s is not a list of numbers")
        ts = []
    series = tl.get("modules")
    if not isinstance(series, list):
        problems.append("modules is not a list")
        series = []
    for s in series:
        if not isinstance(s, dict) or not isinstance(s.get("name"), str):
            problems.append("a series without a name")
        elif not isinstance(s.get("bytes"), list) or not all(num(b) for b in s["bytes"]):
            problems.append("%s: bytes is not a list of numbers" % s["name"])
        elif len(s["bytes"]) != len(ts):
            problems.append("%s: %d points, t_s has %d" % (s["name"], len(s["bytes"]), len(ts)))
print("timeline\t%s" % ("ok" if not problems else "; ".join(problems)))
print("timeline.points\t%d" % len(ts))
for name in LIBS:
    b = [s["bytes"] for s in series if isinstance(s, dict) and s.get("name") == name and isinstance(s.get("bytes"), list)]
    print("timeline.%s.last\t%s" % (name, repr(b[0][-1]) if b and b[0] else "MISSING"))
PY
}

# fact FACTS KEY: KEY's value in FACTS (MISSING if there is no such line)
fact() {
	awk -F'\t' -v k="$2" '$1 == k { print $2; found = 1; exit } END { if (!found) print "MISSING" }' "$1"
}

# report NAME [OPTIONS...]: `heapblame report --format json OPTIONS TRACE`
# into NAME.out, its facts into NAME.facts (shown), its exit status asserted
report() {
	local name=$1
	shift
	hb_step "$name" "$HB" report --format json "$@" "$trace"
	assert_eq "report${*:+ $*} exit status" 0 "$HB_STEP_STATUS"
	json_facts "$HB_WORK/$name.out" >"$HB_WORK/$name.facts"
	sed 's/^/   fact| /' "$HB_WORK/$name.facts"
}

# --- the program and its truth
hb_run "$HB_WORK/t" -q -- "$prog" -d 10 -t "$TRUTH_FILE"
assert_eq "run exit status" 0 "$HB_RUN_STATUS"
truth=$(hb_truth_line)
trace=$(hb_gate_trace t)
grow_rate=$(hb_kv "$truth" grow_rate)
grow_bytes=$(hb_kv "$truth" grow_bytes)
cache_bytes=$(hb_kv "$truth" cache_bytes)
burst_bytes=$(hb_kv "$truth" burst_bytes)
[[ -s $TRUTH_FILE ]] || hb_error "watchprog wrote no truth file"
end_ms=$(tail -n 1 "$TRUTH_FILE" | awk '{ print $1 }')
echo "truth: $truth; truth file: $(wc -l <"$TRUTH_FILE") lines, the last at $end_ms ms"
assert_in "truth file lines (one per 100 ms, and the end)" 95 110 "$(wc -l <"$TRUTH_FILE")"
assert_eq "the truth file's last line is the TRUTH line's" "$grow_bytes $cache_bytes $burst_bytes" \
	"$(tail -n 1 "$TRUTH_FILE" | cut -d' ' -f2-)"
assert_in "the run's length in ms" 10000 10500 "$end_ms"
assert_in "grow_rate (bytes per second), 1 MiB/s +-1%" 1038090 1059062 "$grow_rate"
assert_eq "cache_bytes: the cache full" $((8 << 20)) "$cache_bytes"
assert_in "burst_bytes at the end: between bursts, about 0" 0 65536 "$burst_bytes"
assert_in "the truth file's highest burst: 4 MiB and the table" $((4 << 20)) $((4 << 20 | 65536)) \
	"$(awk 'BEGIN { m = 0 } $4 > m { m = $4 } END { print m }' "$TRUTH_FILE")"
hb_dump "$trace"
assert_eq "dump: libgrow.so's live bytes" "$grow_bytes" "$(hb_module live_bytes "$libdir/libgrow.so")"
assert_eq "dump: libcache.so's live bytes" "$cache_bytes" "$(hb_module live_bytes "$libdir/libcache.so")"
assert_eq "dump: libburst.so's live bytes" "$burst_bytes" "$(hb_module live_bytes "$libdir/libburst.so")"
assert_eq "dump: watchprog's live bytes (it allocates nothing)" 0 "$(hb_module live_bytes "$prog")"

# --- the whole run: shapes and the timeline
report whole
f=$HB_WORK/whole.facts
assert_eq "report json: parsed" ok "$(fact "$f" json)"
assert_ge "report json: modules and sites with a growth object" 3 "$(fact "$f" growth.entries)"
assert_eq "report json: malformed or missing growth objects" 0 "$(fact "$f" growth.malformed)"
assert_eq "report json: libgrow.so's class" growing "$(fact "$f" libgrow.so.class)"
assert_in "report json: libgrow.so's bytes_per_hour, grow_rate x 3600 +-25%" \
	"$(scale "$grow_rate" $((3600 * 75 / 100)))" "$(scale "$grow_rate" $((3600 * 125 / 100)))" \
	"$(fact "$f" libgrow.so.bytes_per_hour)"
assert_eq "report json: libcache.so's class" plateau "$(fact "$f" libcache.so.class)"
assert_eq "report json: libburst.so's class" flat "$(fact "$f" libburst.so.class)"
assert_eq "report json: the timeline is well-formed" ok "$(fact "$f" timeline)"
assert_in "report json: the timeline's points" 1 1000 "$(fact "$f" timeline.points)"
assert_in "report json: libgrow.so's last timeline point, grow_bytes +-10%" \
	"$(scale "$grow_bytes" 0.90)" "$(scale "$grow_bytes" 1.10)" "$(fact "$f" timeline.libgrow.so.last)"
assert_in "report json: libcache.so's last timeline point, cache_bytes +-5%" \
	"$(scale "$cache_bytes" 0.95)" "$(scale "$cache_bytes" 1.05)" "$(fact "$f" timeline.libcache.so.last)"

# --- windows of time
report at5 --at 5s
assert_in "report --at 5s: libgrow.so, between truth(4000 ms) x 0.95 and truth(5000 ms) x 1.05" \
	"$(scale "$(truth_at 4000 grow)" 0.95)" "$(scale "$(truth_at 5000 grow)" 1.05)" \
	"$(fact "$HB_WORK/at5.facts" libgrow.so.bytes)"

report last3 --since -3s
end_grow=$(truth_at "$end_ms" grow)
assert_in "report --since -3s: libgrow.so, 2 to 3 s of the leak +-5%" \
	"$(scale $((end_grow - $(truth_at $((end_ms - 2000)) grow))) 0.95)" \
	"$(scale $((end_grow - $(truth_at $((end_ms - 3000)) grow))) 1.05)" \
	"$(fact "$HB_WORK/last3.facts" libgrow.so.bytes)"
assert_eq "report --since -3s: libcache.so's bytes (none, or 0)" 0 "$(fact "$HB_WORK/last3.facts" libcache.so.bytes)"

report at8since4 --at 8s --since 4s
assert_in "report --at 8s --since 4s: libgrow.so, truth(8 s) - truth(4 s), a second of slack at each end" \
	$(($(truth_at 7000 grow) - $(truth_at 5000 grow))) $(($(truth_at 9000 grow) - $(truth_at 3000 grow))) \
	"$(fact "$HB_WORK/at8since4.facts" libgrow.so.bytes)"

# --- a growth budget
hb_step check_tight "$HB" check --kinds none --max-growth 100KiB/h "$trace"
assert_eq "check --max-growth 100KiB/h: exit status" 1 "$HB_STEP_STATUS"
assert_ge "check --max-growth 100KiB/h: lines naming libgrow.so" 1 "$(hb_count check_tight.out 'libgrow\.so')"
hb_step check_loose "$HB" check --kinds none --max-growth 100GiB/h "$trace"
assert_eq "check --max-growth 100GiB/h: exit status" 0 "$HB_STEP_STATUS"
hb_finish
