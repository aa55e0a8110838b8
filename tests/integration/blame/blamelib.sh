# blamelib.sh - helpers of the blame drivers; sourced, never run.
#
# Sources ../lib.sh (hb_setup, hb_run, hb_truth_line, assert_eq, hb_finish
# ...) and adds what the `heapblame report` tests need:
#   hb_report OUT [OPTIONS...] -- TRACE...   run the report into a file
#   hb_json_check JSON [NAME=VALUE...] <<'PY' ... PY
#                      Python assertions on a JSON report (blamecheck.py
#                      says what the checks can use); each of them counts as
#                      one assertion of lib.sh's tally
#   assert_text_first_module FILE NAME       the text report's first module
#                      line names NAME
#   hb_trace_of PROGRAM_NAME PID DIR         the trace path a run wrote
# python3 is taken as present (meson itself runs on it).
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

HB_BLAME_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
command -v python3 >/dev/null || hb_error "python3 not found (the JSON assertions need it)"

# hb_report OUT [OPTIONS...] -- TRACE...
# Runs `heapblame report OPTIONS TRACE...` with stdout to OUT and stderr to
# OUT.err, shows stderr, and asserts exit status 0.
hb_report() {
	local out=$1 st
	shift
	local opts=()
	while [[ $# -gt 0 && $1 != -- ]]; do
		opts+=("$1")
		shift
	done
	[[ $# -gt 1 ]] || hb_error "hb_report: no trace after --"
	shift
	set +e
	"$HB" report "${opts[@]}" "$@" >"$out" 2>"$out.err"
	st=$?
	set -e
	echo "== heapblame report ${opts[*]:+${opts[*]} }$* > $(basename "$out") (exit status $st)"
	sed 's/^/   stderr| /' "$out.err" | head -20
	assert_eq "report${opts[*]:+ ${opts[*]}}: exit status" 0 "$st"
}

# hb_json_check JSON [NAME=VALUE...]: the Python checks on standard input,
# run by blamecheck.py against JSON; their ok/FAIL lines are shown and added
# to the tally. A checker that does not finish counts as one failure.
hb_json_check() {
	local out line p f
	out=$(python3 "$HB_BLAME_DIR/blamecheck.py" "$@" 2>&1) || true
	printf '%s\n' "$out" | grep -v '^BLAMECHECK ' || true
	line=$(printf '%s\n' "$out" | sed -n 's/^BLAMECHECK //p')
	if [[ $line =~ ^passes=([0-9]+)\ fails=([0-9]+)$ ]]; then
		p=${BASH_REMATCH[1]}
		f=${BASH_REMATCH[2]}
		HB_PASSES=$((HB_PASSES + p))
		HB_FAILS=$((HB_FAILS + f))
	else
		HB_FAILS=$((HB_FAILS + 1))
		echo "FAIL the JSON checks of $(basename "$1") did not finish"
	fi
}

# hb_text_first_module FILE: the first module line of a text report: the
# first non-empty line after the summary line that is not indented.
hb_text_first_module() {
	awk 'NR > 1 && $0 != "" && $0 !~ /^[ \t]/ { print; exit }' "$1"
}

# assert_text_first_module FILE NAME: the text report's first module line
# names NAME (its first word).
assert_text_first_module() {
	local line
	line=$(hb_text_first_module "$1")
	echo "   first module line: $line"
	assert_eq "text: the first module line names $2" "$2" "${line%% *}"
}

# hb_trace_of NAME PID DIR: DIR/heapblame.NAME.PID.hbt, which must exist.
hb_trace_of() {
	local t="$3/heapblame.$1.$2.hbt"
	[[ -f $t ]] || hb_error "no trace $t"
	echo "$t"
}
