# lib.sh - helpers shared by the integration drivers; sourced, never run.
#
# Each driver runs one test program from tests/programs/ under the real shim
# (`heapblame run`), decodes the trace with `heapblame dump`, and compares the
# `== totals ==` section with the TRUTH line(s) the program printed. Every
# comparison is an exact equality made by assert_eq, which prints expected and
# actual values; a failed assertion does not stop the driver, so one run shows
# every mismatch, and hb_finish turns the tally into the exit status:
#   0   every assertion held
#   1   an assertion failed, or the run could not be checked (hb_error)
#   77  skipped: an optional toolchain is missing (hb_skip), meson's convention
# Traces and outputs live in a fresh temporary directory that is removed at the
# end; set HB_TEST_KEEP=1 to keep it (its path is printed).
#
# Counting conventions (the same as tests/programs/truth.h and dump's
# analyzer/cmd_dump.c): a module line's `allocs` counts blocks the module
# created (a realloc that returned a block creates one; blocks a fork child
# inherited are not counted), `frees` counts free() and cfree() calls that
# ended the module's blocks (a block ended by realloc is not a free), and
# `live_blocks`/`live_bytes` what is still live at the end of the trace,
# inherited blocks included, by requested size. A module
# with no line had no events: its fields read as 0. If a path has several
# lines (a library unloaded and loaded again may get a new module id each
# time), their fields are added up.

set -euo pipefail

HB=""
HB_WORK=""
HB_PASSES=0
HB_FAILS=0
HB_RUNS=0
HB_RUN_STATUS=""
HB_RUN_OUT=""
HB_RUN_ERR=""
HB_DUMP=""

hb_cleanup() {
	local st=$?
	if [[ -n $HB_WORK && -d $HB_WORK ]]; then
		if [[ ${HB_TEST_KEEP:-0} == 1 ]]; then
			echo "kept work directory: $HB_WORK"
		else
			rm -rf "$HB_WORK"
		fi
	fi
	exit "$st"
}

# hb_error MESSAGE: the test cannot go on (missing TRUTH line, bad arguments).
hb_error() {
	echo "ERROR: $*" >&2
	exit 1
}

# hb_skip REASON: an optional toolchain is missing; exit 77.
hb_skip() {
	echo "SKIP: $*"
	exit 77
}

# hb_setup HEAPBLAME: checks the command exists and makes the work directory.
hb_setup() {
	[[ $# -ge 1 ]] || hb_error "usage: $0 HEAPBLAME ..."
	[[ -x $1 ]] || hb_error "heapblame command not found or not executable: $1"
	HB=$(realpath "$1")
	HB_WORK=$(mktemp -d "${TMPDIR:-/tmp}/hbtest.XXXXXX")
	HB_WORK=$(realpath "$HB_WORK")
	trap hb_cleanup EXIT
}

# hb_prog PATH: the program's absolute, symlink-free path (the shim names the
# executable's module after /proc/self/exe, which is resolved the same way).
hb_prog() {
	[[ -x $1 ]] || hb_error "test program not found: $1"
	realpath "$1"
}

# hb_now_us: the wall clock in microseconds (bash's $EPOCHREALTIME, whose
# decimal separator follows the locale).
hb_now_us() {
	echo "${EPOCHREALTIME//[.,]/}"
}

# hb_run OUT [RUN-OPTIONS...] -- CMD [ARGS...]
# Runs `heapblame run -o OUT RUN-OPTIONS -- CMD ARGS`, stdout and stderr to
# files ($HB_RUN_OUT, $HB_RUN_ERR), exit status in $HB_RUN_STATUS, wall time
# in $HB_RUN_MS; shows all.
# OUT is a directory (created here first: `-o` takes an existing directory as
# one) or a pattern with %p/%e (its directory is created).
hb_run() {
	local out=$1
	shift
	if [[ $out == *%* ]]; then
		mkdir -p "$(dirname "$out")"
	else
		mkdir -p "$out"
	fi
	local opts=()
	while [[ $# -gt 0 && $1 != -- ]]; do
		opts+=("$1")
		shift
	done
	[[ $# -gt 1 ]] || hb_error "hb_run: no command after --"
	shift
	HB_RUNS=$((HB_RUNS + 1))
	HB_RUN_OUT=$HB_WORK/run$HB_RUNS.out
	HB_RUN_ERR=$HB_WORK/run$HB_RUNS.err
	local t0
	t0=$(hb_now_us)
	set +e
	# HB_RUN_WRAP (an array, unset by default): a command to run it under
	# (hostile_lib.sh's hb_run_bounded puts timeout there)
	${HB_RUN_WRAP[@]+"${HB_RUN_WRAP[@]}"} "$HB" run -o "$out" "${opts[@]}" -- "$@" >"$HB_RUN_OUT" 2>"$HB_RUN_ERR"
	HB_RUN_STATUS=$?
	set -e
	HB_RUN_MS=$((($(hb_now_us) - t0) / 1000))
	echo "== heapblame run -o $out ${opts[*]} -- $* (exit status $HB_RUN_STATUS, $HB_RUN_MS ms)"
	sed 's/^/   stdout| /' "$HB_RUN_OUT"
	sed 's/^/   stderr| /' "$HB_RUN_ERR"
}

# hb_truth_line [KEY=VALUE...]: the one TRUTH line in $HB_RUN_OUT carrying
# every given key=value pair (without the "TRUTH " prefix).
hb_truth_line() {
	local line matches=()
	while IFS= read -r line; do
		local ok=1 kv
		for kv in "$@"; do
			[[ " $line " == *" $kv "* ]] || ok=0
		done
		[[ $ok == 1 ]] && matches+=("$line")
	done < <(sed -n 's/^TRUTH //p' "$HB_RUN_OUT")
	[[ ${#matches[@]} -eq 1 ]] ||
		hb_error "expected one TRUTH line with [$*] in the program's output, found ${#matches[@]}"
	echo "${matches[0]}"
}

# hb_kv LINE KEY: the value of KEY=value in a TRUTH line.
hb_kv() {
	local tok
	for tok in $1; do
		if [[ $tok == "$2="* ]]; then
			echo "${tok#*=}"
			return 0
		fi
	done
	hb_error "TRUTH line has no $2: $1"
}

# assert_eq NAME EXPECTED ACTUAL: records and prints one exact comparison.
assert_eq() {
	if [[ $2 == "$3" ]]; then
		HB_PASSES=$((HB_PASSES + 1))
		echo "ok   $1 = $3"
	else
		HB_FAILS=$((HB_FAILS + 1))
		echo "FAIL $1: expected '$2', got '$3'"
	fi
}

# assert_ge NAME MINIMUM ACTUAL: ACTUAL is a number >= MINIMUM.
assert_ge() {
	if [[ $3 =~ ^[0-9]+$ ]] && (($3 >= $2)); then
		HB_PASSES=$((HB_PASSES + 1))
		echo "ok   $1 = $3 (>= $2)"
	else
		HB_FAILS=$((HB_FAILS + 1))
		echo "FAIL $1: expected >= $2, got '$3'"
	fi
}

# hb_expect_traces DIR NAME...: DIR holds exactly the trace files NAME..., and
# `heapblame run` announced exactly those on stderr
# ("heapblame: trace written to PATH").
hb_expect_traces() {
	local dir=$1
	shift
	local want have announced
	want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
	have=$(find "$dir" -maxdepth 1 -type f -name '*.hbt' -printf '%f\n' 2>/dev/null | sort | tr '\n' ' ')
	assert_eq "trace files in the output directory" "$want" "$have"
	announced=$(sed -n 's/^heapblame: trace written to //p' "$HB_RUN_ERR" |
		while IFS= read -r p; do
			if [[ $(realpath -m "$(dirname "$p")") == "$(realpath -m "$dir")" ]]; then
				basename "$p"
			else
				echo "(elsewhere)$p"
			fi
		done | sort | tr '\n' ' ')
	assert_eq "traces announced on stderr" "$want" "$announced"
}

# hb_dump TRACE: decodes TRACE into $HB_DUMP, asserts dump's exit status 0,
# and shows the totals section and dump's stderr.
hb_dump() {
	local st
	HB_RUNS=$((HB_RUNS + 1))
	HB_DUMP=$HB_WORK/dump$HB_RUNS.txt
	set +e
	"$HB" dump "$1" >"$HB_DUMP" 2>"$HB_DUMP.err"
	st=$?
	set -e
	echo "== heapblame dump $(basename "$1") (exit status $st)"
	sed -n '/^== totals ==$/,$p' "$HB_DUMP" | sed 's/^/   | /'
	sed 's/^/   stderr| /' "$HB_DUMP.err" | head -20
	assert_eq "dump exit status" 0 "$st"
}

# hb_total KEY: the value of `KEY: value` in the totals of $HB_DUMP, or
# MISSING.
# hb_allocs_of_size SIZE: the blocks of exactly SIZE bytes that $HB_DUMP's
# SITE records say were allocated: the counts of allocation groups whose
# bytes are count x SIZE (a site that allocates one size, as the tests'
# leaks of distinctive sizes do).
hb_allocs_of_size() {
	awk -v size="$1" '
		/^SITE / {
			a = $0; sub(/.* allocs=\[/, "", a); sub(/\].*/, "", a)
			n = split(a, g, ",")
			for (i = 1; i <= n; i++) {
				split(g[i], cb, ":"); split(cb[2], v, "/")
				if (v[1] > 0 && v[2] == v[1] * size) total += v[1]
			}
		}
		END { print total + 0 }' "$HB_DUMP"
}

# hb_reach_of_size SIZE: the kinds (one per line, "kind=count") of the
# REACH records of the sites that allocated blocks of exactly SIZE bytes.
hb_reach_of_size() {
	# two passes over the dump: a final flush writes its REACH records
	# before the SITE records of the same flush
	awk -v size="$1" '
		FNR == 1 { pass++ }
		pass == 1 && /^SITE / {
			a = $0; sub(/.* allocs=\[/, "", a); sub(/\].*/, "", a)
			n = split(a, g, ",")
			for (i = 1; i <= n; i++) {
				split(g[i], cb, ":"); split(cb[2], v, "/")
				if (v[1] > 0 && v[2] == v[1] * size) { s = $3; sub("stack=", "", s); want[s] = 1 }
			}
		}
		pass == 2 && /^REACH / {
			s = $3; sub("stack=", "", s)
			if (s in want) { k = $4; c = $5; sub("kind=", "", k); sub("count=", "", c); print k "=" c }
		}' "$HB_DUMP" "$HB_DUMP"
}

hb_total() {
	awk -v k="$1" '
		f && index($0, k ": ") == 1 { print substr($0, length(k) + 3); found = 1; exit }
		$0 == "== totals ==" { f = 1 }
		END { if (!found) print "MISSING" }' "$HB_DUMP"
}

# hb_module FIELD PATH: FIELD of the `module PATH: ...` line(s) in the totals
# of $HB_DUMP, summed; 0 if PATH has no line.
hb_module() {
	awk -v field="$1" -v path="$2" '
		f && substr($0, 1, 7) == "module " {
			rest = substr($0, 8)
			i = index(rest, ": ")
			if (i == 0 || substr(rest, 1, i - 1) != path)
				next
			n = split(substr(rest, i + 2), kv, " ")
			for (j = 1; j <= n; j++) {
				eq = index(kv[j], "=")
				if (substr(kv[j], 1, eq - 1) == field) { sum += substr(kv[j], eq + 1); seen = 1 }
			}
		}
		$0 == "== totals ==" { f = 1 }
		END { printf "%d\n", seen ? sum : 0 }' "$HB_DUMP"
}

# assert_module LABEL PATH TRUTH_LINE [PREFIX]: the module line of PATH carries
# the ledger in TRUTH_LINE (keys PREFIXallocs, PREFIXfrees, PREFIXlive_blocks,
# PREFIXlive_bytes).
assert_module() {
	local label=$1 path=$2 truth=$3 prefix=${4:-} f
	for f in allocs frees live_blocks live_bytes; do
		assert_eq "$label module $f" "$(hb_kv "$truth" "$prefix$f")" "$(hb_module "$f" "$path")"
	done
}

# hb_finish: exit status from the assertions made.
hb_finish() {
	if ((HB_FAILS > 0)); then
		echo "$HB_FAILS of $((HB_PASSES + HB_FAILS)) assertions FAILED"
		exit 1
	fi
	((HB_PASSES > 0)) || hb_error "no assertion was made"
	echo "all $HB_PASSES assertions passed"
	exit 0
}

# hb_allocbench KIT: builds the shared kit's allocbench, libalpha.so and
# libbeta.so into $HB_WORK/ab with the kit Makefile's flags (frame pointers
# off, as distribution code is) and sets $AB to the program. Skips (77)
# when the kit is not at KIT; call it before hb_setup's work is needed.
hb_allocbench() {
	local kit=${1:-}
	[[ -n $kit && -f $kit/src/allocbench.c && -f $kit/src/module_impl.h ]] ||
		hb_skip "benchmark kit not found at '$kit' (expected src/allocbench.c there)"
	kit=$(realpath "$kit")
	local cc=${CC:-gcc}
	command -v "$cc" >/dev/null || hb_error "no C compiler ($cc) to build allocbench"
	local ab=$HB_WORK/ab
	mkdir -p "$ab"
	local flags=(-O2 -g -fomit-frame-pointer -Wall -Wextra -Wno-unused-parameter)
	"$cc" "${flags[@]}" -fPIC -shared -Wl,-soname,libalpha.so -o "$ab/libalpha.so" "$kit/src/alpha.c"
	"$cc" "${flags[@]}" -fPIC -shared -Wl,-soname,libbeta.so -o "$ab/libbeta.so" "$kit/src/beta.c"
	# shellcheck disable=SC2016 # $ORIGIN is for the linker, not the shell
	"$cc" "${flags[@]}" -o "$ab/allocbench" "$kit/src/allocbench.c" -L"$ab" -lalpha -lbeta -pthread \
		-Wl,-rpath,'$ORIGIN'
	AB=$ab/allocbench
}
