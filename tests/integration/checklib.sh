# checklib.sh - helpers of the `heapblame check` drivers (check_*.sh);
# sourced, never run. Sources lib.sh (hb_setup, assert_eq, hb_finish ...)
# and adds:
#   hb_step NAME CMD [ARGS...]   runs CMD with stdout to $HB_WORK/NAME.out and
#                                stderr to $HB_WORK/NAME.err, exit status in
#                                $HB_STEP_STATUS; shows all three (the
#                                first 60 and 20 lines of the outputs)
#   hb_last_line NAME            the last line of NAME's stdout
#   hb_count NAME.out|NAME.err PATTERN
#                                lines of that file matching the extended
#                                regular expression PATTERN (0 when none)
#   hb_gate_trace DIR            the one trace in DIR (an error otherwise)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HB_STEP_STATUS=""

hb_step() {
	local name=$1
	shift
	set +e
	"$@" >"$HB_WORK/$name.out" 2>"$HB_WORK/$name.err"
	HB_STEP_STATUS=$?
	set -e
	echo "== [$name] $* (exit status $HB_STEP_STATUS)"
	# sed stops by itself: `| head` would kill it with SIGPIPE on a long
	# output, which pipefail turns into the driver's failure
	sed -n '1,60s/^/   stdout| /p' "$HB_WORK/$name.out"
	sed -n '1,20s/^/   stderr| /p' "$HB_WORK/$name.err"
}

hb_last_line() {
	tail -n 1 "$HB_WORK/$1.out"
}

hb_count() {
	grep -cE -- "$2" "$HB_WORK/$1" || true
}

hb_gate_trace() {
	local t=("$1"/*.hbt)
	[[ ${#t[@]} -eq 1 && -f ${t[0]} ]] || hb_error "expected one trace in $1, found: ${t[*]}"
	echo "${t[0]}"
}
