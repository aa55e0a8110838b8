#!/usr/bin/env bash
# check_lsan_defaults.sh - `heapblame check` honours the program's own
# __lsan_default_suppressions(), as LeakSanitizer does.
#
# Usage: check_lsan_defaults.sh HEAPBLAME LSAN_OWNED_DEFAULTS LSAN_BUILD|missing:REASON
# tests/programs/gate/lsan_owned.c built with -DHB_DEFAULT_SUPPRESSIONS:
# its function returns "leak:AttachFunc" (and a comment line). Checked: the
# trace carries the text (dump's LSAN_SUPPRESSIONS record); check with no
# suppression file counts 1337 B (the other leak: AttachFunc's root and the
# blocks it owns hidden, by LeakSanitizer's meaning), names the rule by
# PROGRAM:__lsan_default_suppressions():LINE and does not call it unused;
# an explicit file is applied before it; and the same source built with
# -fsanitize=leak, run with no LSAN_OPTIONS suppressions, reports the same.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")
lsan=$3

hb_run "$HB_WORK/defaults-%p.hbt" -- "$prog"
assert_eq "run exit status" 0 "$HB_RUN_STATUS"
trace=$(ls "$HB_WORK"/defaults-*.hbt)
truth=$(hb_truth_line root_bytes=200)
other=$(hb_kv "$truth" other_bytes)
hb_dump "$trace"
assert_eq "the trace carries the program's text" 1 \
	"$(grep -cF 'LSAN_SUPPRESSIONS text="# the program'"'"'s own\x0aleak:AttachFunc\x0a"' "$HB_DUMP")"

set +e
"$HB" check --format json "$trace" >"$HB_WORK/check.json" 2>"$HB_WORK/check.err"
st=$?
set -e
sed 's/^/   stderr| /' "$HB_WORK/check.err"
assert_eq "check exit status (the other leak counts)" 1 "$st"
assert_eq "check honours __lsan_default_suppressions: leaked bytes" "$other" "$(jq '.leaked.bytes' "$HB_WORK/check.json")"
assert_eq "the rule is the program's, on its line 2" "lsan_owned_defaults:__lsan_default_suppressions():2" \
	"$(jq -r '.suppressions[0] | "\(.file):\(.line)"' "$HB_WORK/check.json")"
assert_eq "the rule hid the root and what it owns" "$(($(hb_kv "$truth" root_bytes) + $(hb_kv "$truth" owned_bytes)))" \
	"$(jq '.suppressions[0].bytes' "$HB_WORK/check.json")"
assert_eq "no unused warning for the program's rules" 0 "$(grep -c 'unused' "$HB_WORK/check.err")"

printf 'leak:OtherLeak\n' >"$HB_WORK/mine.supp"
set +e
"$HB" check --format json --suppressions "$HB_WORK/mine.supp" "$trace" >"$HB_WORK/both.json" 2>"$HB_WORK/both.err"
st=$?
set -e
assert_eq "with a file too: nothing left, check passes" 0 "$st"
assert_eq "the file's rule comes first" "leak:OtherLeak" "$(jq -r '.suppressions[0].rule' "$HB_WORK/both.json")"

if [[ $lsan == missing:* ]]; then
	echo "skip LeakSanitizer comparison: ${lsan#missing:}"
else
	set +e
	LSAN_OPTIONS="exitcode=23" "$lsan" >"$HB_WORK/lsan.out" 2>"$HB_WORK/lsan.err"
	st=$?
	set -e
	sed 's/^/   lsan| /' "$HB_WORK/lsan.err" | head -20
	assert_eq "LeakSanitizer found leaks" 23 "$st"
	summary=$(sed -n 's/^SUMMARY: LeakSanitizer: \([0-9]*\) byte(s) leaked in \([0-9]*\) allocation(s)\.$/\1 \2/p' \
		"$HB_WORK/lsan.err")
	assert_eq "LeakSanitizer and heapblame agree (bytes, allocations)" "$summary" \
		"$(jq -r '"\(.leaked.bytes) \(.leaked.blocks)"' "$HB_WORK/check.json")"
fi
hb_finish
