#!/usr/bin/env bash
# sample-bench.sh: heapblame's sampling mode (`heapblame run --sample SIZE`)
# measured against issue 11's targets, in one interleaved run, as ratios.
#
# Why: sampling is the production mode. It has to cost almost nothing next
# to the bare program (W1: 1.10x wall, 1.15x CPU; redis: 0.95 of bare req/s;
# the soak: 1.05x CPU), write a tenth of the full trace's bytes or less, and
# still find the leak: the leaking module's estimate of its outstanding bytes
# within 15% of the truth for 9 seeds in 10. This is a shared, noisy 2-core
# VM, so every round runs the bare program and the traced variants back to
# back (the order rotated from round to round), every figure is paired with
# the same round's bare run, and the tables show medians over rounds of those
# per-round ratios. Each run goes through bench's `treestat` (the whole
# process tree: `heapblame run` and the traced program).
#
#   bench/sample-bench.sh          all parts: w1 redis soak accuracy
#   PARTS="w1 soak" bench/sample-bench.sh
#   ROUNDS=1 SOAK_SECONDS=10 SEEDS=2 REDIS_N=200000 bench/sample-bench.sh   # a trial
#
# The parts (one round runs w1, redis and soak in this order; accuracy runs
# its seeds after the rounds):
#   w1        the kit's allocbench W1 (run-bench.sh's arguments): bare,
#             `heapblame run --sample SAMPLE` (seed = the round) and a full
#             `heapblame run`
#   redis     redis-server on loopback (a free port, --save '' --appendonly no)
#             bare, under `heapblame run --sample SAMPLE` and under a full
#             `heapblame run`, each loaded by `redis-benchmark -n REDIS_N -c 50
#             -P 16 -t set,get,lpush,lpop --csv`; req/s per test
#   soak      bench/soak -d SOAK_SECONDS (paced), bare, sampled and full
#   accuracy  soak -d ACC_SECONDS -k ACC_LEAK under `--sample ACC_SAMPLE`,
#             HEAPBLAME_SAMPLE_SEED=1..SEEDS: soak's module's outstanding bytes
#             in `heapblame report -f json` against soak's leaked_bytes
#
# The result check (every traced run; a failed run is left out of the figures,
# named in a banner, and the script exits 1): the run exits 0 and leaves a
# trace with lost_events 0; a sampled trace has sample_bytes = the size asked
# for (an exact count is impossible); a full trace has sample_bytes 0 and, for
# W1, run-bench.sh's check (dump's events = allocbench's RESULT events + at
# most EVENTS_SLACK; libbeta.so's allocations and leaked blocks and bytes
# exact), for the soak its module's allocs, frees and live blocks and bytes =
# soak's RESULT; redis-benchmark exits 0 and reports every test. Accuracy
# runs: soak's live_end_bytes = leaked_bytes (the premise: the live set is
# freed at the end), and report JSON's estimate = dump's module line.
#
# Environment knobs (defaults in brackets):
#   PARTS [w1 redis soak accuracy]  which parts run
#   ROUNDS [5]             interleaved rounds of w1, redis and soak
#   SAMPLE [512KiB]        --sample of the timed parts (N, NKiB, NMiB, NGiB)
#   FULL [each]            each: a full (unsampled) run in every round, timed
#                          like the others; once: in round 1 only (each
#                          round's sampled trace is compared with that one)
#   OUT [build/bench-results/sample-<UTC stamp>]   sample-runs.tsv (raw rows),
#                          sample-summary.md, machine.txt, kit/, tool/, failed/
#   HEAPBLAME [BUILD/analyzer/heapblame]  the command under test
#   SNAPSHOT [1]           copy the command and its shim to OUT/tool/ first and
#                          measure the copies (a rebuild during the run cannot
#                          mix two versions into one table)
#   BUILD [build], TREESTAT [BUILD/bench/treestat], KIT [../shared/bench]
#   LEAK [0.0005]          W1's allocbench -k;  EVENTS_SLACK [32] (as run-bench.sh)
#   REDIS_N [2000000]      redis-benchmark -n (requests per test)
#   REDIS_CLIENTS [50], REDIS_PIPELINE [16], REDIS_TESTS [set,get,lpush,lpop]
#   REDIS_START_S [60]     how long a starting redis-server may take to answer PING
#   REDIS_SERVER [redis-server], REDIS_CLI [redis-cli],
#   REDIS_BENCHMARK [redis-benchmark]   (Debian's redis-server, redis-tools)
#   SOAK [BUILD/bench/soak], SOAK_SECONDS [60], SOAK_ARGS [] (more soak options)
#   SEEDS [10]             accuracy: HEAPBLAME_SAMPLE_SEED 1..SEEDS
#   ACC_SAMPLE [16KiB], ACC_LEAK [0.01], ACC_SECONDS [SOAK_SECONDS]
#   RUN_TIMEOUT [1800]     seconds one run may take (a soak: plus its duration)
#                          before its whole tree is killed
# Exit status: 0 when the run completed (targets met or not); 1 when a run
# failed (its exit status or its result check); 2 on a usage or set-up error.
# Needs: bash, gcc, awk (mawk is enough), coreutils (timeout); for redis,
# redis-server, redis-cli and redis-benchmark (apt-get install redis-server
# redis-tools). No Python.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROJECT_ROOT=$(dirname "$HERE")

# The knobs given, for the summary's command line (before defaults fill in).
KNOBS="PARTS ROUNDS SAMPLE FULL OUT HEAPBLAME SNAPSHOT BUILD TREESTAT KIT LEAK EVENTS_SLACK REDIS_N REDIS_CLIENTS
REDIS_PIPELINE REDIS_TESTS REDIS_START_S REDIS_SERVER REDIS_CLI REDIS_BENCHMARK SOAK SOAK_SECONDS SOAK_ARGS SEEDS
ACC_SAMPLE ACC_LEAK ACC_SECONDS RUN_TIMEOUT"
CMDLINE=
for k in $KNOBS; do
    [[ -n ${!k+x} ]] && CMDLINE+="$k=$(printf '%q' "${!k}") "
done
CMDLINE+="bench/sample-bench.sh${*:+ $*}"

PARTS=${PARTS:-"w1 redis soak accuracy"}
ROUNDS=${ROUNDS:-5}
SAMPLE=${SAMPLE:-512KiB}
FULL=${FULL:-each}
BUILD=${BUILD:-$PROJECT_ROOT/build}
HEAPBLAME=${HEAPBLAME:-$BUILD/analyzer/heapblame}
SNAPSHOT=${SNAPSHOT:-1}
TREESTAT=${TREESTAT:-$BUILD/bench/treestat}
KIT=${KIT:-$(dirname "$PROJECT_ROOT")/shared/bench}
LEAK=${LEAK:-0.0005}
EVENTS_SLACK=${EVENTS_SLACK:-32}
REDIS_N=${REDIS_N:-2000000}
REDIS_CLIENTS=${REDIS_CLIENTS:-50}
REDIS_PIPELINE=${REDIS_PIPELINE:-16}
REDIS_TESTS=${REDIS_TESTS:-set,get,lpush,lpop}
REDIS_START_S=${REDIS_START_S:-60}
REDIS_SERVER=${REDIS_SERVER:-redis-server}
REDIS_CLI=${REDIS_CLI:-redis-cli}
REDIS_BENCHMARK=${REDIS_BENCHMARK:-redis-benchmark}
SOAK=${SOAK:-$BUILD/bench/soak}
SOAK_SECONDS=${SOAK_SECONDS:-60}
SOAK_ARGS=${SOAK_ARGS:-}
SEEDS=${SEEDS:-10}
ACC_SAMPLE=${ACC_SAMPLE:-16KiB}
ACC_LEAK=${ACC_LEAK:-0.01}
ACC_SECONDS=${ACC_SECONDS:-$SOAK_SECONDS}
RUN_TIMEOUT=${RUN_TIMEOUT:-1800}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${OUT:-$BUILD/bench-results/sample-$STAMP}

# Targets (issue 11): the sampled run against the same round's bare run.
TARGET_W1_WALL=1.10     # W1: sampled wall <= 1.10 x bare
TARGET_W1_CPU=1.15      # W1: sampled whole-tree CPU <= 1.15 x bare
TARGET_REDIS_RPS=0.95   # redis: sampled req/s >= 0.95 x bare, per test and over all tests
TARGET_SOAK_CPU=1.05    # soak: sampled whole-tree CPU <= 1.05 x bare
TARGET_TRACE_RATIO=0.10 # any part: sampled trace bytes <= 0.10 x the full trace's
TARGET_ACC_ERR=0.15     # accuracy: |estimate - truth| / truth <= 15% ...
TARGET_ACC_SHARE=0.9    #   ... in at least 9 seeds of 10 (ceil(0.9 x SEEDS))

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/heapblame-sample-bench.XXXXXX")
# At exit, and on a signal: end the runs still in flight (a redis-server, a
# soak), then remove the scratch folder.
# shellcheck disable=SC2317 # called by the trap
cleanup() {
    if [[ -n ${GROUPS_IN_FLIGHT// /} ]]; then stop_all; fi
    rm -rf "$SCRATCH"
}
GROUPS_IN_FLIGHT=" " # process groups (made by `timeout`) of the runs in flight
trap cleanup EXIT
trap 'echo "sample-bench.sh: interrupted" >&2; exit 130' INT
trap 'echo "sample-bench.sh: terminated" >&2; exit 143' TERM
trap 'echo "sample-bench.sh: hung up" >&2; exit 129' HUP

log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
die() { echo "sample-bench.sh: $*" >&2; exit 2; }
has_part() { [[ " $PARTS " == *" $1 "* ]]; }

# ---------------------------------------------------------------- set-up

# size_bytes SIZE -> bytes (N, NB, NKiB, NMiB, NGiB), or nothing if malformed
size_bytes() {
    local n u
    [[ $1 =~ ^([0-9]+)(B|KiB|MiB|GiB)?$ ]] || return 1
    n=${BASH_REMATCH[1]} u=${BASH_REMATCH[2]}
    case $u in KiB) n=$((n << 10)) ;; MiB) n=$((n << 20)) ;; GiB) n=$((n << 30)) ;; esac
    ((n > 0)) && echo "$n"
}

positive_number() { [[ $1 =~ ^[0-9]+([.][0-9]+)?$ ]] && awk -v s="$1" 'BEGIN { exit !(s > 0) }'; }

check_setup() {
    local p
    for p in $PARTS; do
        case $p in w1 | redis | soak | accuracy) ;; *) die "unknown part '$p' in PARTS (w1 redis soak accuracy)" ;; esac
    done
    [[ -n ${PARTS// /} ]] || die "PARTS is empty"
    [[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer"
    [[ $SEEDS =~ ^[1-9][0-9]*$ ]] || die "SEEDS must be a positive integer"
    [[ $FULL == each || $FULL == once ]] || die "FULL must be 'each' or 'once'"
    SAMPLE_BYTES=$(size_bytes "$SAMPLE") || die "SAMPLE must be a size: N, NKiB, NMiB or NGiB (got '$SAMPLE')"
    ACC_SAMPLE_BYTES=$(size_bytes "$ACC_SAMPLE") || die "ACC_SAMPLE must be a size: N, NKiB, NMiB or NGiB"
    [[ $EVENTS_SLACK =~ ^[0-9]+$ ]] || die "EVENTS_SLACK must be a non-negative integer"
    [[ $RUN_TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "RUN_TIMEOUT must be a positive integer (seconds)"
    command -v awk > /dev/null || die "awk missing"
    command -v timeout > /dev/null || die "timeout missing (coreutils)"
    if has_part w1; then
        command -v gcc > /dev/null || die "gcc missing (apt-get install gcc), needed for W1"
        [[ -d $KIT/src ]] || die "benchmark kit not found at $KIT (set KIT), needed for W1"
    fi
    if has_part redis; then
        for p in "$REDIS_SERVER" "$REDIS_CLI" "$REDIS_BENCHMARK"; do
            command -v "$p" > /dev/null ||
                die "redis needs $p: apt-get install redis-server redis-tools (or leave it out: PARTS='w1 soak accuracy')"
        done
        [[ $REDIS_N =~ ^[1-9][0-9]*$ ]] || die "REDIS_N must be a positive integer"
        [[ $REDIS_CLIENTS =~ ^[1-9][0-9]*$ && $REDIS_PIPELINE =~ ^[1-9][0-9]*$ ]] ||
            die "REDIS_CLIENTS and REDIS_PIPELINE must be positive integers"
        [[ $REDIS_TESTS =~ ^[a-z]+(,[a-z]+)*$ ]] || die "REDIS_TESTS must be a comma list of redis-benchmark tests"
        [[ $REDIS_START_S =~ ^[1-9][0-9]*$ ]] || die "REDIS_START_S must be a positive integer"
    fi
    if has_part soak || has_part accuracy; then
        positive_number "$SOAK_SECONDS" || die "SOAK_SECONDS must be a positive number"
        positive_number "$ACC_SECONDS" || die "ACC_SECONDS must be a positive number"
        if [[ ! $ACC_LEAK =~ ^0?[.][0-9]+$ ]] || ! positive_number "$ACC_LEAK"; then die "ACC_LEAK must be a fraction in (0, 1)"; fi
        if [[ ! -x $SOAK && -f $BUILD/build.ninja ]]; then
            log "building soak: ninja -C $BUILD bench/soak"
            ninja -C "$BUILD" bench/soak > /dev/null || die "could not build bench/soak"
        fi
        [[ -x $SOAK ]] || die "soak not found at $SOAK (meson setup build && ninja -C build)"
    fi
    if [[ ! -x $TREESTAT && -f $BUILD/build.ninja ]]; then
        log "building treestat: ninja -C $BUILD bench/treestat"
        ninja -C "$BUILD" bench/treestat > /dev/null || die "could not build treestat"
    fi
    [[ -x $TREESTAT ]] || die "treestat not found at $TREESTAT (meson setup build && ninja -C build)"
    [[ -x $HEAPBLAME ]] || die "heapblame command not found at $HEAPBLAME (build it, or set HEAPBLAME)"
}

# The measured binaries go to OUT/kit/, next to the figures they gave:
# allocbench and its two libraries built from the kit's sources with the kit
# Makefile's exact flags (frame pointers off, as distro code is; as
# run-bench.sh's build_kit), and a copy of soak.
KITBIN=
SOAKBIN=
build_bins() {
    KITBIN=$OUT/kit
    mkdir -p "$KITBIN" || die "cannot create $KITBIN"
    if has_part w1; then
        local cflags=(-O2 -g -fomit-frame-pointer -Wall -Wextra -Wno-unused-parameter) src=$KIT/src
        log "building allocbench, libalpha.so, libbeta.so -> $KITBIN"
        gcc "${cflags[@]}" -fPIC -shared -Wl,-soname,libalpha.so -o "$KITBIN/libalpha.so" "$src/alpha.c" ||
            die "kit build failed (libalpha.so)"
        gcc "${cflags[@]}" -fPIC -shared -Wl,-soname,libbeta.so -o "$KITBIN/libbeta.so" "$src/beta.c" ||
            die "kit build failed (libbeta.so)"
        # shellcheck disable=SC2016 # $ORIGIN is for the dynamic linker, not the shell
        gcc "${cflags[@]}" -o "$KITBIN/allocbench" "$src/allocbench.c" -L"$KITBIN" -lalpha -lbeta -pthread \
            -Wl,-rpath,'$ORIGIN' || die "kit build failed (allocbench)"
    fi
    if has_part soak || has_part accuracy; then
        cp "$SOAK" "$KITBIN/soak" || die "could not copy $SOAK to $KITBIN"
        SOAKBIN=$KITBIN/soak
    fi
    return 0
}

# Freeze what is measured: the command and its shim, copied in the build
# tree's layout (OUT/tool/analyzer/heapblame finds OUT/tool/shim/ itself), or
# HEAPBLAME_SHIM pointed at the copy when that variable chose the shim.
SHIM_USED=
snapshot_tools() {
    local shim
    if [[ -n ${HEAPBLAME_SHIM:-} ]]; then shim=$HEAPBLAME_SHIM; else shim=$(dirname "$HEAPBLAME")/../shim/libheapblame.so; fi
    if [[ $SNAPSHOT != 1 || ! -f $shim ]]; then
        SHIM_USED="(found by the command itself; not snapshotted)"
        return
    fi
    mkdir -p "$OUT/tool/analyzer" "$OUT/tool/shim"
    if ! cp "$HEAPBLAME" "$OUT/tool/analyzer/heapblame" || ! cp "$shim" "$OUT/tool/shim/libheapblame.so"; then
        die "could not snapshot $HEAPBLAME and $shim into $OUT/tool"
    fi
    [[ -n ${HEAPBLAME_SHIM:-} ]] && export HEAPBLAME_SHIM=$OUT/tool/shim/libheapblame.so
    log "measuring snapshots of $HEAPBLAME and $(cd "$(dirname "$shim")" && pwd)/libheapblame.so in $OUT/tool"
    HEAPBLAME=$OUT/tool/analyzer/heapblame
    SHIM_USED=$OUT/tool/shim/libheapblame.so
}

machine_notes() {
    {
        echo "date_utc: $(date -u '+%Y-%m-%d %H:%M:%S')"
        echo "kernel: $(uname -srm)"
        # shellcheck source=/dev/null
        echo "os: $(. /etc/os-release && echo "$PRETTY_NAME")"
        echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-) x $(nproc)"
        echo "mem: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
        echo "heapblame: $HEAPBLAME ($("$HEAPBLAME" --version 2>&1 | head -1)) sha256 $(sha256sum < "$HEAPBLAME" | cut -c1-16)"
        echo "shim: $SHIM_USED${SHIM_USED:+ }$([[ -f $SHIM_USED ]] && echo "sha256 $(sha256sum < "$SHIM_USED" | cut -c1-16)")"
        echo "parts: $PARTS  rounds: $ROUNDS  sample: $SAMPLE ($SAMPLE_BYTES B)  full: $FULL  run_timeout: $RUN_TIMEOUT"
        has_part w1 && echo "W1: allocbench $(w1_args)  events_slack: $EVENTS_SLACK"
        has_part redis && echo "redis: $("$REDIS_SERVER" --version 2>&1 | head -1); $(redis_bench_params)"
        if has_part soak || has_part accuracy; then
            echo "soak: $SOAKBIN (sha256 $(sha256sum < "$SOAKBIN" | cut -c1-16)) -d $SOAK_SECONDS $SOAK_ARGS"
        fi
        has_part accuracy && echo "accuracy: soak -d $ACC_SECONDS $SOAK_ARGS -k $ACC_LEAK, --sample $ACC_SAMPLE, seeds 1..$SEEDS"
        echo "loadavg at start: $(cat /proc/loadavg)"
    } > "$OUT/machine.txt"
}

# ---------------------------------------------------------------- helpers

w1_args() { echo "-t 1 -n 2000000 -d 8 -l 10000 -k $LEAK"; } # run-bench.sh's wl_args W1
redis_bench_params() { echo "redis-benchmark -n $REDIS_N -c $REDIS_CLIENTS -P $REDIS_PIPELINE -t $REDIS_TESTS --csv"; }

kv() { # FILE KEY -> value of KEY=value on the first line that has it
    awk -v k="$2" '{ for (i = 1; i <= NF; i++) { p = index($i, "=");
        if (p > 1 && substr($i, 1, p - 1) == k) { print substr($i, p + 1); exit } } }' "$1" 2> /dev/null
}

result_kv() { # STDOUT_FILE KEY -> value from the RESULT line (allocbench's, soak's)
    grep -m1 '^RESULT ' "$1" 2> /dev/null | kv /dev/stdin "$2"
}

beta_calls() { # allocbench's libbeta.so table row: malloc+calloc+memalign+realloc calls
    awk '$1 == "libbeta.so" && NF >= 6 { print $2 + $3 + $4 + $5; exit }' "$1" 2> /dev/null
}

file_bytes() { # FILES... -> total size in bytes (0 if none)
    local total=0 f
    for f in "$@"; do [[ -f $f ]] && total=$((total + $(stat -c %s "$f"))); done
    echo "$total"
}

nap() { read -r -t "$1" -u "$NAP_FD" 2> /dev/null; return 0; } # sleep without a fork
NAP_FD=
exec {NAP_FD}<> <(:)

# --- running things so that they can always be stopped

RUN_PID=
LIMIT_EXTRA=0 # seconds added to RUN_TIMEOUT (a soak run: its duration)

# start NAME DIR CMD... : CMD under treestat (DIR/NAME.ts) and timeout, in the
# background, output in DIR/NAME.{out,err}; RUN_PID is timeout's pid, which is
# also the process group of the run's whole tree (timeout makes its own).
start() {
    local name=$1 d=$2
    shift 2
    timeout -k 10 "$((RUN_TIMEOUT + LIMIT_EXTRA))" "$TREESTAT" -o "$d/$name.ts" -- "$@" < /dev/null \
        > "$d/$name.out" 2> "$d/$name.err" &
    RUN_PID=$!
    GROUPS_IN_FLIGHT+="$RUN_PID "
}

finish() { # -> the run's exit status (124: timed out and killed)
    local rc
    wait "$RUN_PID"; rc=$?
    GROUPS_IN_FLIGHT=${GROUPS_IN_FLIGHT/ $RUN_PID / }
    return "$rc"
}

running() { kill -0 "$RUN_PID" 2> /dev/null; }

# stop_all: end every run still in flight, by its process group: TERM (redis
# shuts down, heapblame flushes), then KILL after 5 s. Only groups this
# script made are signalled.
stop_all() {
    local g i alive
    log "stopping the runs in flight (process groups$GROUPS_IN_FLIGHT)"
    for g in $GROUPS_IN_FLIGHT; do kill -TERM -- "-$g" 2> /dev/null || kill -TERM "$g" 2> /dev/null; done
    for ((i = 0; i < 100; i++)); do
        alive=0
        for g in $GROUPS_IN_FLIGHT; do kill -0 -- "-$g" 2> /dev/null && alive=1; done
        ((alive)) || break
        nap 0.05
    done
    for g in $GROUPS_IN_FLIGHT; do kill -KILL -- "-$g" 2> /dev/null; done
    GROUPS_IN_FLIGHT=" "
}

# bounded OUTFILE CMD... : a client command (redis-cli, redis-benchmark) in its
# own group, stopped with the rest, at most RUN_TIMEOUT s. Never call it in
# $(...): the script waits for a command substitution before it runs a trap.
bounded() {
    local o=$1 rc p
    shift
    timeout -k 5 "$RUN_TIMEOUT" "$@" < /dev/null > "$o" 2>&1 &
    p=$!
    GROUPS_IN_FLIGHT+="$p "
    wait "$p"; rc=$?
    GROUPS_IN_FLIGHT=${GROUPS_IN_FLIGHT/ $p / }
    return "$rc"
}

REPLY_TEXT=
rcli() { # PORT ARGS... -> the reply in REPLY_TEXT
    local port=$1 rc
    shift
    bounded "$SCRATCH/rcli.out" "$REDIS_CLI" -h 127.0.0.1 -p "$port" "$@"; rc=$?
    REPLY_TEXT=$(tr -d '\r' < "$SCRATCH/rcli.out")
    return "$rc"
}

port_in_use() { (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null; }

pick_port() { # a random port in 20000-59999 that nothing listens on
    local i p
    for ((i = 0; i < 50; i++)); do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
        port_in_use "$p" || { echo "$p"; return 0; }
    done
    return 1
}

# Rotate the variants by ROUND: round 1 bare sampled full, round 2 sampled
# full bare, ...; the full run only in round 1 when FULL=once.
variants() { # ROUND
    local r=$1 v=(bare sampled) i n
    [[ $FULL == each || $r == 1 ]] && v+=(full)
    n=${#v[@]}
    for ((i = 0; i < n; i++)); do echo "${v[$(((i + r - 1) % n))]}"; done
}

# tracer VARIANT DIR SEED -> the command prefix in the array TRACER: nothing
# for bare, `heapblame run -q [--sample SIZE] -o DIR/ --` otherwise. The seed
# goes through the environment (HEAPBLAME_SAMPLE_SEED, set by the caller).
TRACER=()
tracer() {
    case $1 in
        bare) TRACER=() ;;
        sampled) TRACER=("$HEAPBLAME" run -q --sample "${3:-$SAMPLE}" -o "$2/hb/" --) ;;
        full) TRACER=("$HEAPBLAME" run -q -o "$2/hb/" --) ;;
    esac
}

# --- checks

# read_totals DIR: `heapblame dump --totals-only` of every trace in DIR into
# the array T: numeric keys summed over the traces, other keys kept (joined
# with + when they differ), sample_bytes as the distinct values joined with +,
# each `module PATH: k=v ...` line as T[module:BASENAME:k]; T[traces] is the
# number of traces. Returns 1, with the reason in WHY, when there is no trace
# or a dump fails.
WHY=
read_totals() {
    declare -gA T=()
    local f k v traces=()
    shopt -s nullglob
    traces=("$1"/*)
    shopt -u nullglob
    ((${#traces[@]})) || { WHY=NO-TRACE; return 1; }
    : > "$SCRATCH/totals.txt"
    for f in "${traces[@]}"; do
        if ! "$HEAPBLAME" dump --totals-only "$f" >> "$SCRATCH/totals.txt" 2> "$SCRATCH/dump.err"; then
            WHY="DUMP-FAILED($(head -c 80 "$SCRATCH/dump.err" | tr -s ' \n\t' '___'))"
            return 1
        fi
    done
    while read -r k v; do T[$k]=$v; done < <(awk '
        /^== totals ==/ { ntr++; next }
        $1 == "module" {
            m = $2; sub(/:$/, "", m); sub(/.*\//, "", m)
            for (i = 3; i <= NF; i++) { p = index($i, "="); if (p > 1) S["module:" m ":" substr($i, 1, p - 1)] += substr($i, p + 1) }
            next
        }
        {
            p = index($0, ": "); if (p < 2) next
            k = substr($0, 1, p - 1); v = substr($0, p + 2)
            if (k == "sample_bytes") { if (!((k, v) in SEEN)) { SEEN[k, v] = 1; t = (k in W) ? W[k] "+" v : v; W[k] = t } }
            else if (v ~ /^[0-9]+$/) S[k] += v
            else if ((k in W) && W[k] != v) W[k] = W[k] "+" v
            else W[k] = v
        }
        END { for (k in S) printf "%s %.0f\n", k, S[k]; for (k in W) print k, W[k]; print "traces", ntr + 0 }' "$SCRATCH/totals.txt")
    return 0
}

# check_common WANT_SAMPLE_BYTES -> appends to `bad`: every trace has
# sample_bytes = WANT (0 for a full trace: the key may then be missing) and
# nothing was lost.
check_common() {
    local want=$1 got=${T[sample_bytes]:-}
    if ((want == 0)); then
        [[ -z $got || $got == 0 ]] || bad+="sample_bytes=$got/0,"
    else
        [[ $got == "$want" ]] || bad+="sample_bytes=${got:-no-key}/$want,"
    fi
    [[ ${T[lost_events]:-0} == 0 ]] || bad+="lost=${T[lost_events]},"
}

# verify_w1 VARIANT DIR STDOUT -> verdict. Sampled: the trace exists, its
# sample_bytes is SAMPLE's. Full: as run-bench.sh's verify_heapblame (events
# = allocbench's + at most EVENTS_SLACK; libbeta.so's allocations, leaked
# blocks and bytes exact).
verify_w1() {
    local variant=$1 dir=$2 out=$3 bad="" truth tb tby tcalls
    truth=$(result_kv "$out" events)
    [[ -n $truth ]] || { echo NO-RESULT-LINE; return; }
    read_totals "$dir" || { echo "$WHY"; return; }
    if [[ $variant == sampled ]]; then
        check_common "$SAMPLE_BYTES"
    else
        check_common 0
        tb=$(result_kv "$out" beta_leaked_blocks); tby=$(result_kv "$out" beta_leaked_bytes); tcalls=$(beta_calls "$out")
        local ev=${T[events]:-x} diff
        if [[ $ev =~ ^[0-9]+$ ]]; then
            diff=$((ev - truth))
            ((diff < 0 || diff > EVENTS_SLACK)) && bad+="events${diff}vs${EVENTS_SLACK},"
        else
            bad+="no-events-key,"
        fi
        [[ -z $tcalls || ${T[module:libbeta.so:allocs]:-x} == "$tcalls" ]] || bad+="beta_allocs=${T[module:libbeta.so:allocs]:-none}/$tcalls,"
        [[ ${T[module:libbeta.so:live_blocks]:-x} == "$tb" && ${T[module:libbeta.so:live_bytes]:-x} == "$tby" ]] ||
            bad+="beta_leaks=${T[module:libbeta.so:live_blocks]:-none}:${T[module:libbeta.so:live_bytes]:-none}/$tb:$tby,"
    fi
    if [[ -n $bad ]]; then echo "MISMATCH(${bad%,})"; else echo ok; fi
}

# verify_soak VARIANT DIR STDOUT -> verdict. Sampled: sample_bytes. Full: soak's
# module line (allocs, frees, live blocks and bytes at exit) = its RESULT.
verify_soak() {
    local variant=$1 dir=$2 out=$3 bad="" k allocs frees le leb
    allocs=$(result_kv "$out" allocs); frees=$(result_kv "$out" frees)
    le=$(result_kv "$out" live_end_blocks); leb=$(result_kv "$out" live_end_bytes)
    [[ -n $allocs && -n $le ]] || { echo NO-RESULT-LINE; return; }
    read_totals "$dir" || { echo "$WHY"; return; }
    if [[ $variant == sampled ]]; then
        check_common "$SAMPLE_BYTES"
    else
        check_common 0
        k=module:$(basename "$SOAKBIN")
        [[ ${T[$k:allocs]:-x} == "$allocs" ]] || bad+="allocs=${T[$k:allocs]:-none}/$allocs,"
        [[ ${T[$k:frees]:-x} == "$frees" ]] || bad+="frees=${T[$k:frees]:-none}/$frees,"
        [[ ${T[$k:live_blocks]:-x} == "$le" && ${T[$k:live_bytes]:-x} == "$leb" ]] ||
            bad+="live_end=${T[$k:live_blocks]:-none}:${T[$k:live_bytes]:-none}/$le:$leb,"
    fi
    if [[ -n $bad ]]; then echo "MISMATCH(${bad%,})"; else echo ok; fi
}

# module_from_json FILE NAME -> "FOUND OUTSTANDING_BYTES OUTSTANDING_BLOCKS
# DEFINITE_BYTES": the top-level modules[] entries of `heapblame report -f
# json` named NAME, their figures summed. A small JSON scanner rather than a
# grep (as run-bench.sh's beta_from_json): processes[].modules[] lists the
# module again per trace, and the order of keys within an object is not part
# of the schema (docs/report-json.md). "bad - - -" when a field is missing.
module_from_json() {
    awk -v want="$2" '
    function inmod() { return d == 3 && stk[1] == "{" && stk[2] == "[" && kfor[2] == "modules" && stk[3] == "{" }
    function val(v) { if (inmod() && key != "") F[key] = v; key = "" }
    { s = s $0 "\n" }
    END {
        n = length(s); d = 0; key = ""; found = 0; byt = blk = def = 0; bad = 0
        for (i = 1; i <= n; i++) {
            ch = substr(s, i, 1)
            if (ch == "\"") {
                for (j = i + 1; j <= n; j++) { c = substr(s, j, 1); if (c == "\\") j++; else if (c == "\"") break }
                str = substr(s, i + 1, j - i - 1)
                for (k = j + 1; k <= n && substr(s, k, 1) ~ /[ \t\r\n]/; k++) ;
                if (substr(s, k, 1) == ":") { key = str; i = k } else { val(str); i = j }
            } else if (ch == "{" || ch == "[") {
                stk[++d] = ch; kfor[d] = key; key = ""
                if (inmod()) split("", F)
            } else if (ch == "}" || ch == "]") {
                if (ch == "}" && inmod() && F["name"] == want) {
                    found++
                    if (F["outstanding_bytes"] ~ /^[0-9]+$/ && F["outstanding_blocks"] ~ /^[0-9]+$/) {
                        byt += F["outstanding_bytes"]; blk += F["outstanding_blocks"]; def += F["definite_bytes"]
                    } else bad = 1
                }
                d--; key = ""
            } else if (ch ~ /[-0-9a-zA-Z]/) {
                for (j = i; j <= n && substr(s, j, 1) ~ /[-+0-9a-zA-Z.]/; j++) ;
                val(substr(s, i, j - i)); i = j - 1
            }
        }
        if (bad) print "bad - - -"; else printf "%d %.0f %.0f %.0f\n", found, byt, blk, def
    }' "$1"
}

# verify_accuracy DIR STDOUT -> "TRUTH ESTIMATE DEFINITE verdict": soak's
# leaked_bytes (= live_end_bytes, the premise) and soak's module's
# outstanding and definite bytes in `heapblame report -f json`, which must
# agree with dump's module line; sample_bytes = ACC_SAMPLE's.
verify_accuracy() {
    local dir=$1 out=$2 bad="" truth leb name found est def rc traces
    truth=$(result_kv "$out" leaked_bytes); leb=$(result_kv "$out" live_end_bytes)
    [[ -n $truth && -n $leb ]] || { echo "- - - NO-RESULT-LINE"; return; }
    [[ $truth == "$leb" ]] || bad+="live_end_bytes=$leb/leaked_bytes=$truth,"
    read_totals "$dir" || { echo "$truth - - $WHY"; return; }
    check_common "$ACC_SAMPLE_BYTES"
    name=$(basename "$SOAKBIN")
    traces=("$dir"/*)
    "$HEAPBLAME" report -f json -n 1 "${traces[@]}" > "$SCRATCH/report.json" 2> "$SCRATCH/json.err"; rc=$?
    ((rc == 0)) || { echo "$truth - - JSON-EXIT-$rc($(head -c 80 "$SCRATCH/json.err" | tr -s ' \n\t' '___'))"; return; }
    read -r found est _ def < <(module_from_json "$SCRATCH/report.json" "$name")
    [[ $found == bad ]] && { echo "$truth - - JSON-FIELDS-MISSING"; return; }
    if ((found == 0)); then
        est=0 def=0 # a sampled trace may, rarely, have sampled none of the leaks: an estimate of 0
        [[ ${T[module:$name:live_bytes]:-0} == 0 ]] || bad+="json-has-no-$name-module,"
    else
        [[ ${T[module:$name:live_bytes]:-x} == "$est" ]] || bad+="json=$est/dump=${T[module:$name:live_bytes]:-none},"
    fi
    if [[ -n $bad ]]; then echo "$truth $est $def MISMATCH(${bad%,})"; else echo "$truth $est $def ok"; fi
}

# --- rows

RUNS_HDR="part	round	variant	seed	position	params	wall_s	cpu_s	user_s	sys_s	peak_tree_rss_kib	max_proc_rss_kib	procs	exit	trace_bytes	work_s	behind_ms	rps	truth_bytes	est_bytes	est_definite_bytes	verify	samples	self_cpu_s"

# emit_row PART ROUND VARIANT SEED POSITION PARAMS TS_FILE then
#   TRACE_BYTES WORK_S BEHIND_MS RPS TRUTH_BYTES EST_BYTES EST_DEF_BYTES VERIFY
# (empty means "-")
emit_row() {
    local part=$1 r=$2 variant=$3 seed=$4 pos=$5 params=$6 ts=$7 f v a vals=() rest=()
    shift 7
    for f in wall_s cpu_s user_s sys_s peak_tree_rss_kib max_proc_rss_kib procs exit; do
        v=$(kv "$ts" "$f"); vals+=("${v:--}")
    done
    for a in "$@"; do rest+=("${a:--}"); done
    local smp slf
    smp=$(kv "$ts" samples); slf=$(kv "$ts" self_cpu_s)
    local IFS=$'\t'
    echo "$part	$r	$variant	${seed:--}	$pos	$params	${vals[*]}	${rest[*]}	${smp:--}	${slf:--}" >> "$OUT/sample-runs.tsv"
}

FAILED=0
failed() { # PART ROUND VARIANT DIR NAME VERDICT -> log, and keep its stderr
    FAILED=1
    log "  !! $3 $1 round $2: $6 (see $OUT/failed/)"
    mkdir -p "$OUT/failed"
    cp "$4/$5.err" "$OUT/failed/$1.$2.$3.err" 2> /dev/null
    return 0
}

# ---------------------------------------------------------------- the parts

w1_round() { # ROUND
    local r=$1 d=$SCRATCH/w1.$1 args variant pos=0 rc ver
    read -ra args <<< "$(w1_args)"
    rm -rf "$d"; mkdir -p "$d"
    for variant in $(variants "$r"); do
        pos=$((pos + 1))
        log "round $r/$ROUNDS W1: $variant"
        rm -rf "$d/hb"; mkdir -p "$d/hb"
        tracer "$variant" "$d"
        HEAPBLAME_SAMPLE_SEED=$r start "$variant" "$d" "${TRACER[@]}" "$KITBIN/allocbench" "${args[@]}"
        finish; rc=$?
        ver=-
        if ((rc != 0)); then
            ver="EXIT-$rc"
        elif [[ $variant != bare ]]; then
            ver=$(verify_w1 "$variant" "$d/hb" "$d/$variant.out")
        elif [[ -z $(result_kv "$d/bare.out" events) ]]; then
            ver=NO-RESULT-LINE
        fi
        [[ $ver == - || $ver == ok ]] || failed w1 "$r" "$variant" "$d" "$variant" "$ver"
        emit_row w1 "$r" "$variant" "$([[ $variant == sampled ]] && echo "$r")" "$pos" "allocbench $(w1_args)" "$d/$variant.ts" \
            "$([[ $variant != bare ]] && file_bytes "$d"/hb/*)" "$(result_kv "$d/$variant.out" loop_s)" "" "" "" "" "" "$ver"
    done
    rm -rf "$d"
}

REDIS_PORT=
REDIS_PID=

# redis_start VARIANT DIR SEED: start the server (under VARIANT's tracer) and
# wait until it answers PING, at most REDIS_START_S seconds; a port that
# turned out to be taken is tried again with another (3 attempts). 0 with
# REDIS_PORT and REDIS_PID (the redis-server's own pid, from INFO) set; 1 if
# it never came up.
redis_start() {
    local variant=$1 d=$2 seed=$3 attempt i port
    for ((attempt = 1; attempt <= 3; attempt++)); do
        port=$(pick_port) || { log "  !! no free port found"; return 1; }
        rm -rf "$d/hb" "$d/redis-dir"; mkdir -p "$d/hb" "$d/redis-dir"
        tracer "$variant" "$d"
        HEAPBLAME_SAMPLE_SEED=$seed start "$variant" "$d" "${TRACER[@]}" "$REDIS_SERVER" --port "$port" --bind 127.0.0.1 \
            --save '' --appendonly no --daemonize no --dir "$d/redis-dir"
        for ((i = 0; i < REDIS_START_S * 20; i++)); do
            running || break
            if rcli "$port" PING && [[ $REPLY_TEXT == PONG ]]; then
                REDIS_PORT=$port
                rcli "$port" INFO server
                REDIS_PID=$(awk -F: '$1 == "process_id" { print $2 + 0 }' <<< "$REPLY_TEXT")
                [[ $REDIS_PID =~ ^[1-9][0-9]*$ ]] && return 0
                log "  !! redis-server answered PING but INFO gave no process_id"
                stop_all; finish
                return 1
            fi
            nap 0.05
        done
        if running; then
            log "  !! redis-server ($variant) did not answer PING within ${REDIS_START_S} s"
            stop_all; finish
            return 1
        fi
        finish
        grep -q -i 'address already in use' "$d/$variant.out" "$d/$variant.err" 2> /dev/null || return 1
        log "  port $port was taken meanwhile: another one"
    done
    return 1
}

# redis_stop: SHUTDOWN NOSAVE, then wait (at most 120 s: the shim's final
# flush and exit scan run in it) for the tree to end; status of the run.
redis_stop() {
    local i
    rcli "$REDIS_PORT" SHUTDOWN NOSAVE
    for ((i = 0; i < 2400; i++)); do
        running || break
        nap 0.05
    done
    running && { log "  !! redis-server did not exit within 120 s of SHUTDOWN NOSAVE"; stop_all; }
    finish
}

# redis_rps CSV TESTS -> "SET:rps,GET:rps,..." in TESTS' order, and the total
# time (sum of REDIS_N / rps) after a space; nothing if a test is missing.
redis_rps() {
    awk -F, -v tests="$2" -v n="$REDIS_N" '
        { gsub(/"/, ""); if ($1 != "test" && $2 ~ /^[0-9.]+$/ && $2 > 0) R[$1] = $2 }
        END {
            k = split(toupper(tests), T, ",")
            for (i = 1; i <= k; i++) { if (!(T[i] in R)) exit; s = s (i > 1 ? "," : "") T[i] ":" R[T[i]]; tot += n / R[T[i]] }
            printf "%s %.6f\n", s, tot
        }' "$1" 2> /dev/null
}

redis_round() { # ROUND
    local r=$1 d=$SCRATCH/redis.$1 variant pos=0 rc ver rps work tb params bad
    rm -rf "$d"; mkdir -p "$d"
    params="redis-server --save '' --appendonly no; $(redis_bench_params)"
    for variant in $(variants "$r"); do
        pos=$((pos + 1))
        log "round $r/$ROUNDS redis: $variant"
        ver=- rps='' work='' tb=''
        if ! redis_start "$variant" "$d" "$r"; then
            failed redis "$r" "$variant" "$d" "$variant" NO-START
            emit_row redis "$r" "$variant" "" "$pos" "$params" /dev/null "" "" "" "" "" "" "" NO-START
            continue
        fi
        bounded "$d/bench.csv" "$REDIS_BENCHMARK" -h 127.0.0.1 -p "$REDIS_PORT" -n "$REDIS_N" -c "$REDIS_CLIENTS" \
            -P "$REDIS_PIPELINE" -t "$REDIS_TESTS" --csv; rc=$?
        ((rc == 0)) || ver="BENCHMARK-EXIT-$rc"
        if [[ $ver == - ]]; then
            read -r rps work < <(redis_rps "$d/bench.csv" "$REDIS_TESTS")
            [[ -n $rps ]] || ver=BENCHMARK-TESTS-MISSING
        fi
        redis_stop; rc=$?
        if ((rc != 0)) && [[ $ver == - ]]; then ver="EXIT-$rc"; fi
        if [[ $variant != bare && $ver == - ]]; then
            bad=""
            if ! read_totals "$d/hb"; then
                ver=$WHY
            else
                if [[ $variant == sampled ]]; then check_common "$SAMPLE_BYTES"; else check_common 0; fi
                if [[ -n $bad ]]; then ver="MISMATCH(${bad%,})"; else ver=ok; fi
            fi
            tb=$(file_bytes "$d"/hb/*)
        fi
        if [[ $ver != - && $ver != ok ]]; then
            failed redis "$r" "$variant" "$d" "$variant" "$ver"
            cp "$d/bench.csv" "$OUT/failed/redis.$r.$variant.bench.csv" 2> /dev/null
        fi
        emit_row redis "$r" "$variant" "$([[ $variant == sampled ]] && echo "$r")" "$pos" "$params" "$d/$variant.ts" \
            "$tb" "$work" "" "$rps" "" "" "" "$ver"
    done
    rm -rf "$d"
}

soak_round() { # ROUND
    local r=$1 d=$SCRATCH/soak.$1 args variant pos=0 rc ver
    read -ra args <<< "-d $SOAK_SECONDS $SOAK_ARGS"
    rm -rf "$d"; mkdir -p "$d"
    for variant in $(variants "$r"); do
        pos=$((pos + 1))
        log "round $r/$ROUNDS soak: $variant"
        rm -rf "$d/hb"; mkdir -p "$d/hb"
        tracer "$variant" "$d"
        LIMIT_EXTRA=${SOAK_SECONDS%.*}
        HEAPBLAME_SAMPLE_SEED=$r start "$variant" "$d" "${TRACER[@]}" "$SOAKBIN" "${args[@]}"
        LIMIT_EXTRA=0
        finish; rc=$?
        ver=-
        if ((rc != 0)); then
            ver="EXIT-$rc"
        elif [[ $variant != bare ]]; then
            ver=$(verify_soak "$variant" "$d/hb" "$d/$variant.out")
        elif [[ -z $(result_kv "$d/bare.out" allocs) ]]; then
            ver=NO-RESULT-LINE
        fi
        [[ $ver == - || $ver == ok ]] || failed soak "$r" "$variant" "$d" "$variant" "$ver"
        emit_row soak "$r" "$variant" "$([[ $variant == sampled ]] && echo "$r")" "$pos" "soak ${args[*]}" "$d/$variant.ts" \
            "$([[ $variant != bare ]] && file_bytes "$d"/hb/*)" "$(result_kv "$d/$variant.out" run_s)" \
            "$(result_kv "$d/$variant.out" behind_max_ms)" "" "$(result_kv "$d/$variant.out" leaked_bytes)" "" "" "$ver"
    done
    rm -rf "$d"
}

# accuracy_runs: seeds 1..SEEDS, one after the other, after the rounds.
accuracy_runs() {
    local s d=$SCRATCH/acc args rc ver truth est def
    read -ra args <<< "-d $ACC_SECONDS $SOAK_ARGS -k $ACC_LEAK"
    for ((s = 1; s <= SEEDS; s++)); do
        log "accuracy: seed $s/$SEEDS (soak ${args[*]}, --sample $ACC_SAMPLE)"
        rm -rf "$d"; mkdir -p "$d/hb"
        tracer sampled "$d" "$ACC_SAMPLE"
        LIMIT_EXTRA=${ACC_SECONDS%.*}
        HEAPBLAME_SAMPLE_SEED=$s start sampled "$d" "${TRACER[@]}" "$SOAKBIN" "${args[@]}"
        LIMIT_EXTRA=0
        finish; rc=$?
        truth='' est='' def=''
        if ((rc != 0)); then
            ver="EXIT-$rc"
        else
            read -r truth est def ver < <(verify_accuracy "$d/hb" "$d/sampled.out")
        fi
        [[ $ver == ok ]] || failed accuracy "seed$s" sampled "$d" sampled "$ver"
        emit_row accuracy - sampled "$s" 1 "soak ${args[*]}; --sample $ACC_SAMPLE" "$d/sampled.ts" \
            "$(file_bytes "$d"/hb/*)" "$(result_kv "$d/sampled.out" run_s)" "$(result_kv "$d/sampled.out" behind_max_ms)" "" \
            "$truth" "$est" "$def" "$ver"
    done
    rm -rf "$d"
}

# One small untimed run of each part, bare and sampled: warms the page cache
# and stops the script early (status 2) if something does not work at all.
warm_up() {
    local d=$SCRATCH/warm
    rm -rf "$d"; mkdir -p "$d/hb"
    if has_part w1; then
        log "warm-up: W1"
        local a=(-t 1 -n 20000 -d 8 -l 1000 -k "$LEAK")
        "$KITBIN/allocbench" "${a[@]}" > /dev/null 2>&1 || die "allocbench does not run"
        timeout 600 "$HEAPBLAME" run -q --sample "$SAMPLE" -o "$d/hb/" -- "$KITBIN/allocbench" "${a[@]}" \
            > "$d/out" 2> "$d/err" < /dev/null || { cat "$d/err" >&2; die "heapblame run --sample failed in the warm-up"; }
    fi
    if has_part soak || has_part accuracy; then
        log "warm-up: soak"
        "$SOAKBIN" -d 0.2 -l 1000 > /dev/null || die "soak does not run"
        timeout 600 "$HEAPBLAME" run -q --sample "$ACC_SAMPLE" -o "$d/hb/" -- "$SOAKBIN" -d 0.2 -l 1000 \
            > "$d/out" 2> "$d/err" < /dev/null || { cat "$d/err" >&2; die "heapblame run --sample failed on soak in the warm-up"; }
    fi
    if has_part redis; then
        log "warm-up: redis"
        local v
        for v in bare sampled; do
            redis_start "$v" "$d" 1 || { cat "$d/$v.err" >&2; die "redis-server does not start ($v) in the warm-up"; }
            bounded "$d/bench.csv" "$REDIS_BENCHMARK" -h 127.0.0.1 -p "$REDIS_PORT" -n 1000 -c 5 -t "$REDIS_TESTS" --csv ||
                { cat "$d/bench.csv" >&2; stop_all; die "redis-benchmark fails in the warm-up ($v)"; }
            [[ -n $(redis_rps "$d/bench.csv" "$REDIS_TESTS") ]] ||
                { cat "$d/bench.csv" >&2; stop_all; die "redis-benchmark does not report every test of REDIS_TESTS"; }
            redis_stop || { cat "$d/$v.err" >&2; die "redis-server ($v) failed in the warm-up"; }
        done
    fi
    rm -rf "$d"
}

# ---------------------------------------------------------------- summary

# summarize RUNS.TSV -> markdown: one table per part, PASS/MISS per target.
summarize() {
    awk -F'\t' -v w1w="$TARGET_W1_WALL" -v w1c="$TARGET_W1_CPU" -v rr="$TARGET_REDIS_RPS" -v sc="$TARGET_SOAK_CPU" \
        -v tr="$TARGET_TRACE_RATIO" -v ae="$TARGET_ACC_ERR" -v ash="$TARGET_ACC_SHARE" -v sample="$SAMPLE" \
        -v tests="$REDIS_TESTS" -v full="$FULL" -v nrq="$REDIS_N" '
    function med(s,    a, n, i, j, t) {
        n = split(s, a, " ")
        if (n == 0) return ""
        for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
        return n % 2 ? a[(n + 1) / 2] + 0 : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    function lo(s,    a, n, i, m) { n = split(s, a, " "); m = a[1] + 0; for (i = 2; i <= n; i++) if (a[i] + 0 < m) m = a[i] + 0; return m }
    function hi(s,    a, n, i, m) { n = split(s, a, " "); m = a[1] + 0; for (i = 2; i <= n; i++) if (a[i] + 0 > m) m = a[i] + 0; return m }
    function f(x, fmt) { return x == "" ? "–" : sprintf(fmt, x) }
    function rng(s, fmt) { return s == "" ? "–" : sprintf(fmt " (" fmt "–" fmt ")", med(s), lo(s), hi(s)) }
    function num(x) { return x != "" && x != "-" }
    function add(k, v) { L[k] = (k in L) ? L[k] " " v : v }
    function atmost(v, t) { if (v == "") return "–"; return v <= t + 0 ? "PASS" : "**MISS**" }
    function atleast(v, t) { if (v == "") return "–"; return v >= t + 0 ? "PASS" : "**MISS**" }
    function tally(v) { if (v == "PASS") npass++; else if (v == "**MISS**") nmiss++; else nnone++ }
    function g(p, r, v, k) { return ((p, r, v, k) in V) ? V[p, r, v, k] : "" }
    function good(p, r, v,    x) { x = g(p, r, v, "verify"); return x == "ok" || (x == "-" && g(p, r, v, "exit") == "0") }
    function pair(p, r, a, b, k) { return good(p, r, a) && good(p, r, b) && num(g(p, r, a, k)) && num(g(p, r, b, k)) && g(p, r, b, k) > 0 }
    function banner(p, nr, R,    i, j, r, v, s, n) {
        s = ""; n = 0
        for (i = 1; i <= nr; i++) { r = R[i]; for (j = 1; j <= 3; j++) { v = VAR[j]
            if (((p, r, v, "verify") in V) && !good(p, r, v)) { n++; s = s " round " r " " v ": " g(p, r, v, "verify") ";" } } }
        if (n) { anyfail = 1; print "**!!! " n " RUN(S) FAILED, left out of the figures:" s " !!!**"; print "" }
    }
    # The full trace each sampled trace is compared with: the same round'"'"'s,
    # else (FULL=once) the first good one of the part.
    function fullbytes(p, r, nr, R,    i) {
        if (good(p, r, "full") && num(g(p, r, "full", "trace_bytes"))) return g(p, r, "full", "trace_bytes")
        for (i = 1; i <= nr; i++) if (good(p, R[i], "full") && num(g(p, R[i], "full", "trace_bytes"))) return g(p, R[i], "full", "trace_bytes")
        return ""
    }
    # The rows every timed part shares: per-variant medians and the ratios.
    function collect(p, nr, R,    i, j, r, v, fb) {
        split("", L)
        for (i = 1; i <= nr; i++) {
            r = R[i]
            for (j = 1; j <= 3; j++) {
                v = VAR[j]
                if (!good(p, r, v)) continue
                params[p] = g(p, r, v, "params")
                add(v ",wall", g(p, r, v, "wall_s")); add(v ",cpu", g(p, r, v, "cpu_s"))
                add(v ",mrss", g(p, r, v, "max_proc_rss_kib") / 1024)
                if (num(g(p, r, v, "work_s"))) add(v ",work", g(p, r, v, "work_s"))
                if (num(g(p, r, v, "behind_ms"))) add(v ",behind", g(p, r, v, "behind_ms"))
                if (num(g(p, r, v, "trace_bytes"))) add(v ",trace", g(p, r, v, "trace_bytes") / 1e6)
                if (v != "bare") {
                    if (pair(p, r, v, "bare", "wall_s")) add(v ",xwall", g(p, r, v, "wall_s") / g(p, r, "bare", "wall_s"))
                    if (pair(p, r, v, "bare", "cpu_s")) add(v ",xcpu", g(p, r, v, "cpu_s") / g(p, r, "bare", "cpu_s"))
                    if (pair(p, r, v, "bare", "work_s")) add(v ",xwork", g(p, r, v, "work_s") / g(p, r, "bare", "work_s"))
                }
            }
            fb = fullbytes(p, r, nr, R)
            if (good(p, r, "sampled") && num(g(p, r, "sampled", "trace_bytes")) && fb != "" && fb > 0)
                add("trace,ratio", g(p, r, "sampled", "trace_bytes") / fb)
        }
    }
    function checkrow(p, nr, R, what,    i, j, r, v, n, ok) {
        n = ok = 0
        for (i = 1; i <= nr; i++) for (j = 2; j <= 3; j++) { v = VAR[j]; r = R[i]
            if ((p, r, v, "verify") in V) { n++; if (good(p, r, v)) ok++ } }
        printf "| result check: %s | | %d of %d traced runs ok | | every run | %s |\n", what, ok, n, ok == n ? "PASS" : "**FAIL**"
    }
    function traceline(p,    v) {
        printf "| trace MB (10^6 B, every file of -o DIR/) | – | %s | %s | | |\n", f(med(L["sampled,trace"]), "%.3f"), f(med(L["full,trace"]), "%.3f")
        v = atmost(med(L["trace,ratio"]), tr); tally(v)
        printf "| trace bytes: sampled / full%s | | %s | 1 | sampled <= %s | %s |\n", full == "once" ? " (round 1'"'"'s full run)" : "", rng(L["trace,ratio"], "%.4f"), tr, v
    }
    NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    {
        p = $c["part"]; r = ($c["part"] == "accuracy") ? $c["seed"] : $c["round"]; v = $c["variant"]
        if (!((p, r) in seenr)) { seenr[p, r] = 1; rounds[p] = rounds[p] " " r }
        for (k in c) V[p, r, v, k] = $c[k]
    }
    END {
        split("bare sampled full", VAR, " ")
        print "# heapblame sampling mode (`heapblame run --sample`) against issue 11'"'"'s targets"
        print ""
        print "Medians over interleaved rounds (bare, sampled and full run back to back, the order rotated every round);"
        print "every ratio is paired within a round, then the median is taken (range over rounds in brackets)."
        print "Sampled = `heapblame run --sample " sample "` (HEAPBLAME_SAMPLE_SEED = the round); full = `heapblame run`"
        print "without sampling. CPU = user+sys of the whole process tree (treestat). MB = 10^6 bytes."
        npass = nmiss = nnone = 0; anyfail = 0
        if ("w1" in rounds) {
            p = "w1"; nr = split(rounds[p], R, " "); collect(p, nr, R)
            print ""
            printf "## W1: `%s` (%d rounds)\n\n", params[p], nr
            banner(p, nr, R)
            print "| metric (median of rounds) | bare | sampled | full | target | verdict |"
            print "|---|---|---|---|---|---|"
            printf "| wall s (whole command) | %s | %s | %s | | |\n", f(med(L["bare,wall"]), "%.3f"), f(med(L["sampled,wall"]), "%.3f"), f(med(L["full,wall"]), "%.3f")
            v = atmost(med(L["sampled,xwall"]), w1w); tally(v)
            printf "| wall slowdown (x bare) | 1 | %s | %s | sampled <= %s | %s |\n", rng(L["sampled,xwall"], "%.3f"), rng(L["full,xwall"], "%.3f"), w1w, v
            printf "| whole-tree CPU s | %s | %s | %s | | |\n", f(med(L["bare,cpu"]), "%.3f"), f(med(L["sampled,cpu"]), "%.3f"), f(med(L["full,cpu"]), "%.3f")
            v = atmost(med(L["sampled,xcpu"]), w1c); tally(v)
            printf "| whole-tree CPU slowdown (x bare) | 1 | %s | %s | sampled <= %s | %s |\n", rng(L["sampled,xcpu"], "%.3f"), rng(L["full,xcpu"], "%.3f"), w1c, v
            printf "| loop slowdown (allocbench'"'"'s own clock, x bare) | 1 | %s | %s | | |\n", rng(L["sampled,xwork"], "%.3f"), rng(L["full,xwork"], "%.3f")
            traceline(p)
            printf "| largest single-process RSS MiB (ru_maxrss) | %s | %s | %s | | |\n", f(med(L["bare,mrss"]), "%.1f"), f(med(L["sampled,mrss"]), "%.1f"), f(med(L["full,mrss"]), "%.1f")
            checkrow(p, nr, R, "sampled: trace, sample_bytes, nothing lost; full: run-bench.sh'"'"'s (events, libbeta.so)")
        }
        if ("redis" in rounds) {
            p = "redis"; nr = split(rounds[p], R, " "); collect(p, nr, R)
            nt = split(toupper(tests), TN, ",")
            for (i = 1; i <= nr; i++) {
                r = R[i]
                for (j = 1; j <= 3; j++) {
                    v = VAR[j]
                    if (!good(p, r, v)) continue
                    m = split(g(p, r, v, "rps"), PR, ","); sum = 0
                    for (q = 1; q <= m; q++) { split(PR[q], kv2, ":"); RPS[v, r, kv2[1]] = kv2[2]; add(v "," kv2[1], kv2[2]); sum += kv2[2] }
                    if (m) { RPS[v, r, "mean"] = sum / m; add(v ",mean", sum / m) }
                    if (num(g(p, r, v, "work_s")) && g(p, r, v, "work_s") > 0) { RPS[v, r, "total"] = m * nrq / g(p, r, v, "work_s"); add(v ",total", RPS[v, r, "total"]) }
                }
                for (j = 2; j <= 3; j++) {
                    v = VAR[j]
                    for (q = 1; q <= nt; q++) if (((v, r, TN[q]) in RPS) && (("bare", r, TN[q]) in RPS)) add(v ",x" TN[q], RPS[v, r, TN[q]] / RPS["bare", r, TN[q]])
                    if (((v, r, "total") in RPS) && (("bare", r, "total") in RPS)) add(v ",xtotal", RPS[v, r, "total"] / RPS["bare", r, "total"])
                    if (((v, r, "mean") in RPS) && (("bare", r, "mean") in RPS)) add(v ",xmean", RPS[v, r, "mean"] / RPS["bare", r, "mean"])
                }
            }
            print ""
            printf "## redis: %s (%d rounds)\n\n", params[p], nr
            banner(p, nr, R)
            print "| metric (median of rounds) | bare | sampled | full | target | verdict |"
            print "|---|---|---|---|---|---|"
            for (q = 1; q <= nt; q++) {
                t = TN[q]
                printf "| %s req/s | %s | %s | %s | | |\n", t, f(med(L["bare," t]), "%.0f"), f(med(L["sampled," t]), "%.0f"), f(med(L["full," t]), "%.0f")
                v = atleast(med(L["sampled,x" t]), rr); tally(v)
                printf "| %s req/s (x bare) | 1 | %s | %s | sampled >= %s | %s |\n", t, rng(L["sampled,x" t], "%.3f"), rng(L["full,x" t], "%.3f"), rr, v
            }
            printf "| all %d tests: requests / total s | %s | %s | %s | | |\n", nt, f(med(L["bare,total"]), "%.0f"), f(med(L["sampled,total"]), "%.0f"), f(med(L["full,total"]), "%.0f")
            v = atleast(med(L["sampled,xtotal"]), rr); tally(v)
            printf "| all %d tests: requests / total s (x bare) | 1 | %s | %s | sampled >= %s | %s |\n", nt, rng(L["sampled,xtotal"], "%.3f"), rng(L["full,xtotal"], "%.3f"), rr, v
            v = atleast(med(L["sampled,xmean"]), rr); tally(v)
            printf "| mean of the %d tests'"'"' req/s (x bare) | 1 | %s | %s | sampled >= %s | %s |\n", nt, rng(L["sampled,xmean"], "%.3f"), rng(L["full,xmean"], "%.3f"), rr, v
            printf "| server tree CPU s (start to exit) | %s | %s | %s | | |\n", f(med(L["bare,cpu"]), "%.3f"), f(med(L["sampled,cpu"]), "%.3f"), f(med(L["full,cpu"]), "%.3f")
            printf "| server tree CPU (x bare) | 1 | %s | %s | | |\n", rng(L["sampled,xcpu"], "%.3f"), rng(L["full,xcpu"], "%.3f")
            traceline(p)
            printf "| largest single-process RSS MiB (ru_maxrss) | %s | %s | %s | | |\n", f(med(L["bare,mrss"]), "%.1f"), f(med(L["sampled,mrss"]), "%.1f"), f(med(L["full,mrss"]), "%.1f")
            checkrow(p, nr, R, "every test reported; trace, sample_bytes, nothing lost")
        }
        if ("soak" in rounds) {
            p = "soak"; nr = split(rounds[p], R, " "); collect(p, nr, R)
            print ""
            printf "## soak: `%s` (%d rounds)\n\n", params[p], nr
            banner(p, nr, R)
            print "| metric (median of rounds) | bare | sampled | full | target | verdict |"
            print "|---|---|---|---|---|---|"
            printf "| run s (soak'"'"'s own clock around its paced loop) | %s | %s | %s | | |\n", f(med(L["bare,work"]), "%.3f"), f(med(L["sampled,work"]), "%.3f"), f(med(L["full,work"]), "%.3f")
            printf "| behind schedule, max ms | %s | %s | %s | | |\n", f(med(L["bare,behind"]), "%.2f"), f(med(L["sampled,behind"]), "%.2f"), f(med(L["full,behind"]), "%.2f")
            printf "| whole-tree CPU s | %s | %s | %s | | |\n", f(med(L["bare,cpu"]), "%.3f"), f(med(L["sampled,cpu"]), "%.3f"), f(med(L["full,cpu"]), "%.3f")
            v = atmost(med(L["sampled,xcpu"]), sc); tally(v)
            printf "| whole-tree CPU (x bare) | 1 | %s | %s | sampled <= %s | %s |\n", rng(L["sampled,xcpu"], "%.3f"), rng(L["full,xcpu"], "%.3f"), sc, v
            traceline(p)
            printf "| largest single-process RSS MiB (ru_maxrss) | %s | %s | %s | | |\n", f(med(L["bare,mrss"]), "%.1f"), f(med(L["sampled,mrss"]), "%.1f"), f(med(L["full,mrss"]), "%.1f")
            checkrow(p, nr, R, "sampled: trace, sample_bytes, nothing lost; full: soak'"'"'s module = RESULT")
        }
        if ("accuracy" in rounds) {
            p = "accuracy"; ns = split(rounds[p], S, " ")
            print ""
            printf "## accuracy: `%s` (%d seeds)\n\n", V[p, S[1], "sampled", "params"], ns
            print "Truth: soak'"'"'s RESULT `leaked_bytes` (it frees its live set before it returns, so outstanding = leaked)."
            print "Estimate: `outstanding_bytes` of soak'"'"'s module in `heapblame report -f json`. Error = (estimate - truth) / truth."
            print ""
            nf = 0; s = ""
            for (i = 1; i <= ns; i++) if (!good(p, S[i], "sampled")) { nf++; s = s " seed " S[i] ": " g(p, S[i], "sampled", "verify") ";" }
            if (nf) { anyfail = 1; print "**!!! " nf " RUN(S) FAILED, left out of the figures:" s " !!!**"; print "" }
            print "| seed | truth leaked bytes | estimate | definite (estimate) | error | within " ae * 100 "% | trace KB |"
            print "|---|---|---|---|---|---|---|"
            nin = nok = 0; split("", L)
            for (i = 1; i <= ns; i++) {
                sd = S[i]
                if (!good(p, sd, "sampled") || !num(g(p, sd, "sampled", "truth_bytes")) || g(p, sd, "sampled", "truth_bytes") <= 0) {
                    printf "| %s | %s | %s | | – | failed | |\n", sd, g(p, sd, "sampled", "truth_bytes"), g(p, sd, "sampled", "est_bytes"); continue
                }
                tb = g(p, sd, "sampled", "truth_bytes"); eb = g(p, sd, "sampled", "est_bytes")
                e = (eb - tb) / tb; ab = e < 0 ? -e : e; nok++
                add("err", e); add("abs", ab); add("trace", g(p, sd, "sampled", "trace_bytes") / 1e3)
                if (ab <= ae) nin++
                printf "| %s | %d | %d | %s | %+.1f%% | %s | %.1f |\n", sd, tb, eb, g(p, sd, "sampled", "est_definite_bytes"), e * 100, ab <= ae ? "yes" : "**no**", g(p, sd, "sampled", "trace_bytes") / 1e3
            }
            need = int(ash * ns); if (need < ash * ns) need++
            print ""
            if (nok) {
                printf "Error over %d seeds: min %+.1f%%, median %+.1f%%, max %+.1f%%; |error| median %.1f%%, max %.1f%%.\n\n", nok, lo(L["err"]) * 100, med(L["err"]) * 100, hi(L["err"]) * 100, med(L["abs"]) * 100, hi(L["abs"]) * 100
            }
            print "| target | result | verdict |"
            print "|---|---|---|"
            v = nok ? (nin >= need ? "PASS" : "**MISS**") : "–"; tally(v)
            printf "| the estimate within %d%% of the truth in at least %d of %d seeds (%d in 10) | %d of %d | %s |\n", ae * 100, need, ns, ash * 10, nin, ns, v
        }
        print ""
        printf "Targets: %d PASS, %d MISS%s.\n", npass, nmiss, nnone ? sprintf(", %d without figures", nnone) : ""
        if (anyfail) print "**SOME RUNS FAILED (exit status or result check): see the banners above; the script exits 1.**"
    }
    ' "$1"
}

# ---------------------------------------------------------------- main

case ${1:-} in
    -h | --help | help)
        sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    "") ;;
    *) die "unexpected argument '$1' (knobs go through the environment; see --help)" ;;
esac

check_setup
mkdir -p "$OUT" || die "cannot create $OUT"
OUT=$(cd "$OUT" && pwd)
build_bins
snapshot_tools
machine_notes
log "results -> $OUT"
echo "$RUNS_HDR" > "$OUT/sample-runs.tsv"
warm_up
for ((r = 1; r <= ROUNDS; r++)); do
    has_part w1 && w1_round "$r"
    has_part redis && redis_round "$r"
    has_part soak && soak_round "$r"
done
has_part accuracy && accuracy_runs
timed=
for p in w1 redis soak; do has_part $p && timed+="${timed:+ }$p"; done
what=${timed:+$ROUNDS rounds of $timed}
has_part accuracy && what+="${what:+, }$SEEDS accuracy seeds"
{
    summarize "$OUT/sample-runs.tsv"
    echo
    echo "Run $STAMP: \`$CMDLINE\`: $what, $("$HEAPBLAME" --version 2>&1 | head -1)," \
        "load average at start $(awk '/^loadavg/ {print $4, $5, $6}' "$OUT/machine.txt"), at end $(cut -d' ' -f1-3 /proc/loadavg)" \
        "on$(awk -F': ' '/^cpu:/ {print $2}' "$OUT/machine.txt"). Absolute times are for this machine only;" \
        "compare ratios. Raw rows: sample-runs.tsv; machine and versions: machine.txt."
} > "$OUT/sample-summary.md"
cat "$OUT/sample-summary.md"
log "raw rows: $OUT/sample-runs.tsv   summary: $OUT/sample-summary.md"
if ((FAILED)); then
    log "some runs failed (exit status or result check): exit 1"
    exit 1
fi
exit 0
