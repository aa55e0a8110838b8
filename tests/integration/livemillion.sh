#!/usr/bin/env bash
# livemillion.sh - a million live blocks: exact counts, and flushes that
# touch only what changed.
#
# Usage: livemillion.sh HEAPBLAME LIVEMILLION
# tests/programs/livemillion builds 1,000,000 live blocks, then for 400 ms
# works one site only, then frees a quarter of the blocks and loses 1,000.
# Run with 20 ms flushes, the trace must say exactly what its TRUTH line
# says (the executable's module ledger, the definite leaks), and every
# flush of the quiet phase must have written one SITE record and taken a
# handful of counters: a flush costs what changed, not what is live. Counts,
# never times.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")

out=$HB_WORK/traces
hb_run "$out" -i 20 -- "$prog"
assert_eq "run exit status" 0 "$HB_RUN_STATUS"
truth=$(hb_truth_line)
pid=$(hb_kv "$truth" pid)
hb_expect_traces "$out" "heapblame.livemillion.$pid.hbt"
hb_dump "$out/heapblame.livemillion.$pid.hbt"

assert_module livemillion "$prog" "$truth"
assert_eq "lost_events" 0 "$(hb_total lost_events)"
assert_eq "scan" done "$(hb_total scan)"
assert_eq "definite_blocks" "$(hb_kv "$truth" definite_blocks)" "$(hb_total definite_blocks)"
assert_eq "definite_bytes" "$(hb_kv "$truth" definite_bytes)" "$(hb_total definite_bytes)"
assert_eq "indirect_blocks" 0 "$(hb_total indirect_blocks)"

# The quiet phase: the FLUSH records after the one that carried the quiet
# marker's SITE record, up to the done marker's.
quiet=$(awk -v q="$(hb_kv "$truth" mark_quiet)" -v d="$(hb_kv "$truth" mark_done)" '
	/^SITE / && index($0, ":1/" q "]") { phase = 1; next }
	/^SITE / && index($0, ":1/" d "]") { phase = 2 }
	/^FLUSH / && phase == 1 { if (seen++) print }' "$HB_DUMP")
echo "quiet flushes:"
sed 's/^/   | /' <<<"$quiet"
nquiet=$(grep -c . <<<"$quiet" || true)
assert_ge "flushes in the quiet phase" 5 "$nquiet"
field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$quiet"; }
assert_eq "every quiet flush wrote exactly one SITE record" "$nquiet" "$(field sites | grep -cx 1 || true)"
assert_eq "every quiet flush took at most 8 counters" "$nquiet" \
	"$(field counters | awk '$1 >= 1 && $1 <= 8' | grep -c . || true)"
hb_finish
