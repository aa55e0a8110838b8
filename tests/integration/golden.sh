#!/usr/bin/env bash
# golden.sh - a report's text output, compared with a golden file.
#
# Usage: golden.sh HEAPBLAME GOLDEN_FILE REPORT_OPTIONS... -- PROGRAM ARGS...
# Runs PROGRAM under heapblame, renders `heapblame report REPORT_OPTIONS`
# of its trace, normalizes what differs from machine to machine (the build
# directory, pids, trace names, and frames inside the C library and the
# loader, whose file:line depend on which debug packages are installed) and
# compares with GOLDEN_FILE. With HB_REGEN_GOLDEN=1 it rewrites GOLDEN_FILE
# instead (scripts/regen-golden does that for every golden test).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
hb_setup "$1"
golden=$2
shift 2
opts=()
while [[ $# -gt 0 && $1 != -- ]]; do
	opts+=("$1")
	shift
done
shift
prog=$(hb_prog "$1")
shift
root=$(cd "$(dirname "$prog")/.." && pwd)
mkdir -p "$HB_WORK/t"
hb_run "$HB_WORK/t" -- "$prog" "$@"
"$HB" report --color never "${opts[@]}" "$HB_WORK"/t/*.hbt >"$HB_WORK/raw.txt"
sed -E -e "s|$root|@BUILD@|g" -e 's/pid [0-9]+/pid @PID@/g' \
	-e '/^ +[^ ].* +(libc\.so\.6|ld-linux-x86-64\.so\.2)$/d' \
	-e 's/[ \t]+$//' "$HB_WORK/raw.txt" >"$HB_WORK/normalized.txt"
if [[ ${HB_REGEN_GOLDEN:-0} == 1 ]]; then
	cp "$HB_WORK/normalized.txt" "$golden"
	echo "regenerated $golden"
	assert_eq "golden file written" 0 0
else
	if diff -u "$golden" "$HB_WORK/normalized.txt"; then
		assert_eq "report matches $(basename "$golden")" same same
	else
		assert_eq "report matches $(basename "$golden") (diff above; scripts/regen-golden if intended)" same different
	fi
fi
hb_finish
