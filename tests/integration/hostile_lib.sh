# hostile_lib.sh - helpers for the hostile-host drivers (hostile_*.sh);
# sourced after lib.sh, never run.
#
# The programs of tests/programs/hostile/ do what real hosts do to a
# preloaded tracer (close its descriptor, churn threads, vfork, overwrite
# their environment...). The bug they guard against is often a hang, so
# every run here is bounded by timeout(1): a hang fails the assertion on
# the exit status (124, or 137 when the process had to be killed) instead
# of blocking the suite. HB_RUN_TIMEOUT (seconds) is the bound
# of one run (default 10: every run takes under 2 s when nothing hangs);
# timeout signals the whole process group, traced children included, and
# SIGKILLs it 2 s later. Both runners also time the run: $HB_RUN_MS and
# $HB_BARE_MS, wall milliseconds, timeout's own start included.

HB_RUN_TIMEOUT=${HB_RUN_TIMEOUT:-10}
HB_RUN_MS=""
HB_BARE_MS=""

# hb_run_bounded OUT [RUN-OPTIONS...] -- CMD [ARGS...]: hb_run (lib.sh)
# under timeout. Sets $HB_RUN_STATUS, $HB_RUN_OUT, $HB_RUN_ERR, $HB_RUN_MS.
hb_run_bounded() {
	local HB_RUN_WRAP=(timeout -k 2 "$HB_RUN_TIMEOUT")
	hb_run "$@"
}

# hb_bare_bounded CMD [ARGS...]: runs the program alone (no shim), bounded
# the same way; stdout in $HB_BARE_OUT, stderr in $HB_BARE_ERR, status in
# $HB_BARE_STATUS.
hb_bare_bounded() {
	HB_RUNS=$((HB_RUNS + 1))
	HB_BARE_OUT=$HB_WORK/bare$HB_RUNS.out
	HB_BARE_ERR=$HB_WORK/bare$HB_RUNS.err
	local t0
	t0=$(hb_now_us)
	set +e
	timeout -k 2 "$HB_RUN_TIMEOUT" "$@" >"$HB_BARE_OUT" 2>"$HB_BARE_ERR"
	HB_BARE_STATUS=$?
	set -e
	HB_BARE_MS=$((($(hb_now_us) - t0) / 1000))
	echo "== bare: $* (exit status $HB_BARE_STATUS, $HB_BARE_MS ms)"
	sed 's/^/   stdout| /' "$HB_BARE_OUT" | cut -c1-300
	sed 's/^/   stderr| /' "$HB_BARE_ERR" | cut -c1-300
}

# assert_status NAME EXPECTED ACTUAL: assert_eq on an exit status, saying
# when the run was cut short by timeout.
assert_status() {
	local note=""
	[[ $3 == 124 || $3 == 137 ]] && note=" (124/137: timed out after ${HB_RUN_TIMEOUT}s or killed: a hang)"
	assert_eq "$1$note" "$2" "$3"
}

# hb_trace_of DIR NAME PID: the path of the trace `heapblame run` names
# heapblame.NAME.PID.hbt in DIR.
hb_trace_of() {
	echo "$1/heapblame.$2.$3.hbt"
}

# assert_dump_clean: the last hb_dump printed nothing on stderr (no torn
# block, no damage, no missing END).
assert_dump_clean() {
	assert_eq "dump warnings (stderr lines)" 0 "$(wc -l <"$HB_DUMP.err")"
}

# assert_in NAME ACTUAL ALLOWED...: ACTUAL is one of the ALLOWED values.
assert_in() {
	local name=$1 actual=$2 v
	shift 2
	for v in "$@"; do
		if [[ $actual == "$v" ]]; then
			HB_PASSES=$((HB_PASSES + 1))
			echo "ok   $name = $actual"
			return 0
		fi
	done
	HB_FAILS=$((HB_FAILS + 1))
	echo "FAIL $name: expected one of [$(printf "'%s' " "$@")], got '$actual'"
}

# assert_lt NAME LIMIT ACTUAL: ACTUAL is an integer below LIMIT.
assert_lt() {
	if [[ $3 =~ ^-?[0-9]+$ ]] && (($3 < $2)); then
		HB_PASSES=$((HB_PASSES + 1))
		echo "ok   $1 = $3 (< $2)"
	else
		HB_FAILS=$((HB_FAILS + 1))
		echo "FAIL $1: expected < $2, got '$3'"
	fi
}

# assert_as_bare LABEL: the last hb_run_bounded printed what the last
# hb_bare_bounded did: the same stdout, and the same stderr once the
# shim's and heapblame's own lines ("heapblame: ...") are left out.
assert_as_bare() {
	assert_eq "$1: stdout as bare" "$(cat "$HB_BARE_OUT")" "$(cat "$HB_RUN_OUT")"
	assert_eq "$1: stderr as bare (heapblame's lines aside)" "$(cat "$HB_BARE_ERR")" \
		"$(grep -v '^heapblame: ' "$HB_RUN_ERR" || true)"
}

# hb_scan_field FIELD: FIELD of the SCAN record in $HB_DUMP (`SCAN ...
# root_bytes=N ...`), or MISSING.
hb_scan_field() {
	awk -v f="$1" '
		$1 == "SCAN" { for (i = 2; i <= NF; i++) if (index($i, f "=") == 1) { print substr($i, length(f) + 2); found = 1 } }
		END { if (!found) print "MISSING" }' "$HB_DUMP"
}

# hb_kinds_of_size SIZE: the leak kinds the scan gave the blocks live at
# the end of the trace in $HB_DUMP at the sites that allocated blocks of
# exactly SIZE requested bytes (hb_reach_of_size), as "KIND=COUNT ..."
# sorted by kind ("none" if no such site has a REACH record; blocks the scan
# did not classify are not listed).
hb_kinds_of_size() {
	hb_reach_of_size "$1" | awk -F= '{ n[$1] += $2 } END { for (k in n) if (n[k]) print k "=" n[k] }' |
		sort | tr '\n' ' ' | sed 's/ $//' | awk '{ print } END { if (NR == 0) print "none" }'
}
