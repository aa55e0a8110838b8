#!/usr/bin/env bash
# check_lsan_owned.sh - a leak: suppression keeps LeakSanitizer's meaning:
# the blocks it hides are roots, so the indirect blocks they own are not
# leaks either (analyzer/gate/gate.c hide_owned; docs/suppressions.md).
#
# Usage: check_lsan_owned.sh HEAPBLAME LSAN_OWNED LSAN_OWNED_LSAN|missing:REASON
# tests/programs/gate/lsan_owned.c: a 200-byte root lost in AttachFunc
# holds 3 children of 259 B allocated from main; OtherLeak loses 1337 B.
# Checked, under heapblame: the trace's OWNED records give the children to
# the root's site; `check --suppressions` with leak:AttachFunc counts
# 1337 B (2114 B before: the children were counted), credits the rule with
# the root and its children (977 B in 4 blocks); site:AttachFunc, which
# hides its own site only, counts the children (2114 B). And the same
# source built with -fsanitize=leak, under the same rule: LeakSanitizer's
# SUMMARY names the same bytes and allocations as heapblame's check.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")
lsan=$3

hb_run "$HB_WORK/owned-%p.hbt" -- "$prog"
trace=$(ls "$HB_WORK"/owned-*.hbt)
assert_eq "run exit status" 0 "$HB_RUN_STATUS"
truth=$(hb_truth_line root_bytes=200)
other=$(hb_kv "$truth" other_bytes)
owned=$(hb_kv "$truth" owned_bytes)
root=$(hb_kv "$truth" root_bytes)
hb_dump "$trace"
assert_eq "OWNED records: the children's blocks" "$(hb_kv "$truth" owned_blocks)" \
	"$(awk '/^OWNED / { for (f = 2; f <= NF; f++) if ($f ~ /^count=/) n += substr($f, 7) } END { print n + 0 }' "$HB_DUMP")"

# check_json NAME RULE: check --format json with RULE in a suppression file
check_json() {
	local st
	printf '%s\n' "$2" >"$HB_WORK/$1.supp"
	set +e
	"$HB" check --format json --suppressions "$HB_WORK/$1.supp" "$trace" >"$HB_WORK/$1.json" \
		2>"$HB_WORK/$1.err"
	st=$?
	set -e
	assert_eq "check with $2: exit status (OtherLeak still counts)" 1 "$st"
}

check_json leak 'leak:AttachFunc'
assert_eq "leak:AttachFunc: leaked bytes, the other leak only" "$other" "$(jq '.leaked.bytes' "$HB_WORK/leak.json")"
assert_eq "leak:AttachFunc: leaked blocks" 1 "$(jq '.leaked.blocks' "$HB_WORK/leak.json")"
assert_eq "leak:AttachFunc: the rule hid the root and what it owns" "$((root + owned))" \
	"$(jq '.suppressions[0].bytes' "$HB_WORK/leak.json")"
assert_eq "leak:AttachFunc: in blocks" 4 "$(jq '.suppressions[0].blocks' "$HB_WORK/leak.json")"
assert_eq "leak:AttachFunc: suppressed in all" "$((root + owned))" "$(jq '.suppressed.bytes' "$HB_WORK/leak.json")"

check_json site 'site:AttachFunc'
assert_eq "site:AttachFunc: its own site only, the children still count" "$((other + owned))" \
	"$(jq '.leaked.bytes' "$HB_WORK/site.json")"
assert_eq "site:AttachFunc: the rule hid the root" "$root" "$(jq '.suppressions[0].bytes' "$HB_WORK/site.json")"

if [[ $lsan == missing:* ]]; then
	echo "skip LeakSanitizer comparison: ${lsan#missing:}"
else
	printf 'leak:AttachFunc\n' >"$HB_WORK/lsan.supp"
	set +e
	LSAN_OPTIONS="suppressions=$HB_WORK/lsan.supp:exitcode=23" "$lsan" >"$HB_WORK/lsan.out" 2>"$HB_WORK/lsan.err"
	st=$?
	set -e
	sed 's/^/   lsan| /' "$HB_WORK/lsan.err" | head -20
	assert_eq "LeakSanitizer found leaks" 23 "$st"
	summary=$(sed -n 's/^SUMMARY: LeakSanitizer: \([0-9]*\) byte(s) leaked in \([0-9]*\) allocation(s)\.$/\1 \2/p' \
		"$HB_WORK/lsan.err")
	assert_eq "LeakSanitizer and heapblame agree (bytes, allocations)" "$summary" \
		"$(jq -r '"\(.leaked.bytes) \(.leaked.blocks)"' "$HB_WORK/leak.json")"
fi
hb_finish
