#!/usr/bin/env bash
# make_seeds.sh - the fuzz targets' seed corpora, made afresh from real runs.
#
# Usage: make_seeds.sh BUILD OUT
#   BUILD  the main (gcc) build: its heapblame, its shim, tests/programs/
#   OUT    where the seeds go: OUT/trace, OUT/baseline, OUT/suppressions,
#          OUT/units (made empty first)
#
# Nothing binary is committed: the trace seeds are recorded here, under the
# real shim, from small real programs (true; a shell pipeline of sh, tr and
# sort; the fork, thread and dlopen churn programs of tests/programs/; one
# at --depth 4, so its stacks are cut), and one trace cut short inside a
# block, as a killed process leaves it. The writer stores small payloads
# raw and larger ones as zstd frames, so both kinds are among them. The
# baseline seeds are
# `heapblame report --format json` of those traces (--top 0 and the default
# top 5); the suppression and unit seeds are written out below from the
# forms the documentation describes. scripts/fuzz calls this once per
# fuzz build directory.
set -euo pipefail

build=$(cd "$1" && pwd)
out=$2
hb=$build/analyzer/heapblame
progs=$build/tests/programs
rm -rf "$out"
mkdir -p "$out"/{trace,baseline,suppressions,units}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# ---- traces -------------------------------------------------------------
rec() { # rec NAME [run options] -- COMMAND...
	local name=$1
	shift
	mkdir -p "$work/$name"
	"$hb" run -q -o "$work/$name/" "$@" >/dev/null 2>&1 || true
}
rec true -- true
rec pipe -- sh -c 'printf "b\na\n" | tr a-z A-Z | sort >/dev/null'
[[ -x $progs/forker ]] && rec forker -i 10 -- "$progs/forker"
[[ -x $progs/threads ]] && rec threads -- "$progs/threads"
[[ -x $progs/dlchurn ]] && rec dlchurn -- "$progs/dlchurn" "$progs/libhbplugin.so" "$progs/libhbplugin2.so" 2
[[ -x $progs/threads ]] && rec cut -d 4 -- "$progs/threads"
n=0
for f in "$work"/*/*.hbt; do
	[[ -s $f ]] || continue
	n=$((n + 1))
	cp "$f" "$out/trace/$(basename "$(dirname "$f")")-$n.hbt"
done
if ((n == 0)); then
	echo "make_seeds.sh: no trace was recorded with $hb" >&2
	exit 1
fi
first=$(ls "$out"/trace/pipe-*.hbt | head -1)
head -c $(($(stat -c %s "$first") * 2 / 3)) "$first" >"$out/trace/killed.hbt"

# ---- baselines: real reports of those traces ------------------------------
for f in "$out"/trace/*.hbt; do
	b=$(basename "$f" .hbt)
	"$hb" report --format json --top 0 "$f" >"$out/baseline/$b-all.json" 2>/dev/null || rm -f "$out/baseline/$b-all.json"
	"$hb" report --format json "$f" >"$out/baseline/$b-top.json" 2>/dev/null || rm -f "$out/baseline/$b-top.json"
done
printf '{}' >"$out/baseline/empty.json"
printf '{"schema": 1, "modules": []}' >"$out/baseline/no-modules.json"

# ---- suppressions: every rule form of docs/suppressions.md ----------------
cat >"$out/suppressions/all-forms.supp" <<'EOF'
# a comment, then a blank line

module:libcache*
module:/usr/lib/libcache.so.1
entry:Cache::put
entry:Cache::*
site:deliver_*
site:?eliver_message
leak:*Func*
leak:^Cache::put$
leak:cache.cc
leak:libcache.so
  leak:  trailing blanks
EOF
printf 'module:libc.so*\n' >"$out/suppressions/one.supp"
printf 'leak:^\nleak:$\nleak:*\nleak:^*$\n' >"$out/suppressions/anchors.supp"
printf 'entry:operator new(unsigned long)\nsite:std::vector<int, std::allocator<int> >::push_back(int const&)\n' \
	>"$out/suppressions/cxx.supp"
printf 'bogus:rule\n' >"$out/suppressions/bad.supp"

# ---- units: an option (first byte, as fuzz_units.c numbers them) and its argument
unit() { # unit ID TEXT
	printf "\\x$(printf %02x "$1")%s" "$2" >"$out/units/$1-$(printf %s "$2" | md5sum | cut -c1-8)"
}
for s in 0 100 18446744073709551615 18446744073709551616 -1 +5 ' 5'; do
	unit 0 "$s"
	unit 1 "$s"
done
for s in 90s 15m 2h 1h30m 1.5s 250ms -10m 0 3600 1e300 -0 1d; do
	unit 2 "$s"
	unit 3 "$s"
done
for s in 1MiB/h 100KiB/min 512KB/s 2GiB/d 0B/h 1TiB/s -1MiB/h 1.5GB/min 7/h; do unit 4 "$s"; done
for s in definite indirect,reachable none definite,definite ''; do unit 5 "$s"; done

echo "make_seeds.sh: $(ls "$out/trace" | wc -l) traces, $(ls "$out/baseline" | wc -l) baselines," \
	"$(ls "$out/suppressions" | wc -l) suppression files, $(ls "$out/units" | wc -l) option arguments"
