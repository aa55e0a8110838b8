#!/usr/bin/env bash
# report_symbols.sh - post-mortem symbolization: --sysroot, --debug-dir,
# a rebuilt library refused by its build-id, and a trace cut short.
#
# Usage: report_symbols.sh HEAPBLAME STORE LIBMTA OTHER_SO LIBCACHE
# Copies the demo (store + libmta.so) into a scratch "app" directory, traces
# it there, then plays the other machine:
#   - the app directory is moved under a sysroot: without --sysroot libmta
#     is "missing" and its frames have offsets but no names (exit 0, a
#     warning); with --sysroot the names and lines are back;
#   - libmta.so's DWARF is split off into DIR/.build-id/xx/rest.debug and the
#     library stripped of it: without --debug-dir the frame has the name of
#     its physical function (symbol table) but no file and no inlined
#     frames; with --debug-dir it has schedule_retry at mta.c again;
#   - without a server to ask, libdw's debuginfod client is not loaded;
#   - the debug file is found by .gnu_debuglink too (in .debug/ beside the
#     library, under --debug-dir mirroring its directory), and one of
#     another build is not used;
#   - another library is put in libmta.so's place: its build-id differs,
#     the report says so and uses none of it;
#   - the trace is cut in the middle: report still exits 0, with a warning.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
hb_setup "$1"
app=$HB_WORK/app
mkdir -p "$app" "$HB_WORK/t"
cp "$2" "$app/store"
cp "$3" "$app/libmta.so"
cp "$5" "$app/libcache.so" # store links it (and uses it only when asked to)
other=$4
# the copy of libmta.so, not the build tree's (store's RUNPATH names that)
LD_LIBRARY_PATH="$app" hb_run "$HB_WORK/t" -- "$app/store" 5000
trace=$(ls "$HB_WORK"/t/*.hbt)

# frame0 FILE: "function file" of libmta's first site's first frame
frame0() {
	python3 -c 'import json,sys
r = json.load(open(sys.argv[1]))
m = [m for m in r["modules"] if m["name"] == "libmta.so"][0]
f = m["sites"][0]["frames"][0]
print(m["symbols"], f["function"], (f["file"] or "None").rsplit("/", 1)[-1])' "$1"
}

"$HB" report -f json "$trace" >"$HB_WORK/0.json"
assert_eq "in place: symbols, function, file" "ok schedule_retry mta.c" "$(frame0 "$HB_WORK/0.json")"

mkdir -p "$HB_WORK/sysroot$(dirname "$app")"
mv "$app" "$HB_WORK/sysroot$app"
"$HB" report -f json "$trace" >"$HB_WORK/1.json" 2>"$HB_WORK/1.err"
cat "$HB_WORK/1.err"
assert_eq "moved away: offsets only" "missing None None" "$(frame0 "$HB_WORK/1.json")"
assert_eq "moved away: a warning names the file" 1 "$(grep -c "libmta.so: not found" "$HB_WORK/1.err")"
"$HB" report -f json --sysroot "$HB_WORK/sysroot" "$trace" >"$HB_WORK/2.json"
assert_eq "--sysroot: names and lines back" "ok schedule_retry mta.c" "$(frame0 "$HB_WORK/2.json")"

lib=$HB_WORK/sysroot$app/libmta.so
id=$(readelf -n "$lib" | awk '/Build ID/ { print $3 }')
mkdir -p "$HB_WORK/debug/.build-id/${id:0:2}"
objcopy --only-keep-debug "$lib" "$HB_WORK/debug/.build-id/${id:0:2}/${id:2}.debug"
strip --strip-debug "$lib"
"$HB" report -f json --sysroot "$HB_WORK/sysroot" "$trace" >"$HB_WORK/3.json"
# without DWARF the inlined schedule_retry is invisible: the symbol table
# names the physical function
assert_eq "stripped: name from the symbol table, no file" "no debug info mta_submit None" \
	"$(frame0 "$HB_WORK/3.json")"
"$HB" report -f json --sysroot "$HB_WORK/sysroot" --debug-dir "$HB_WORK/debug" "$trace" >"$HB_WORK/4.json"
assert_eq "--debug-dir: lines back from the separate debug file" "ok schedule_retry mta.c" "$(frame0 "$HB_WORK/4.json")"

# without a server to ask, libdw's debuginfod client is never loaded (it
# brings curl, gnutls and 20 more libraries), though libmta.so has no debug
# file to be found here
LD_DEBUG=files "$HB" report -f json --sysroot "$HB_WORK/sysroot" "$trace" 2>"$HB_WORK/ld.err" >/dev/null
assert_eq "no debug file found: libdebuginfod not loaded" 0 "$(grep -c 'file=libdebuginfod' "$HB_WORK/ld.err")"

# by .gnu_debuglink, as Debian's -dbgsym files are also found: beside the
# library in .debug/, and in a tree under --debug-dir that mirrors its
# directory; a file of that name from another build is not taken
objcopy --add-gnu-debuglink="$HB_WORK/debug/.build-id/${id:0:2}/${id:2}.debug" "$lib"
link=$(readelf --string-dump=.gnu_debuglink "$lib" | awk '/\]/ { print $3; exit }')
assert_eq "the stripped library names its debug file" "${id:2}.debug" "$link"
mkdir -p "$(dirname "$lib")/.debug"
mv "$HB_WORK/debug/.build-id/${id:0:2}/${id:2}.debug" "$(dirname "$lib")/.debug/$link"
"$HB" report -f json --sysroot "$HB_WORK/sysroot" "$trace" >"$HB_WORK/7.json"
assert_eq "debuglink in .debug/: lines back" "ok schedule_retry mta.c" "$(frame0 "$HB_WORK/7.json")"
mkdir -p "$HB_WORK/tree$(dirname "$lib")"
mv "$(dirname "$lib")/.debug/$link" "$HB_WORK/tree$(dirname "$lib")/$link"
"$HB" report -f json --sysroot "$HB_WORK/sysroot" --debug-dir "$HB_WORK/tree" "$trace" >"$HB_WORK/8.json"
assert_eq "debuglink under --debug-dir's mirror: lines back" "ok schedule_retry mta.c" "$(frame0 "$HB_WORK/8.json")"
objcopy --only-keep-debug "$other" "$(dirname "$lib")/.debug/$link"
"$HB" report -f json --sysroot "$HB_WORK/sysroot" "$trace" >"$HB_WORK/9.json"
assert_eq "debuglink to another build's debug file: not used" "no debug info mta_submit None" \
	"$(frame0 "$HB_WORK/9.json")"

cp "$other" "$lib"
"$HB" report -f json --sysroot "$HB_WORK/sysroot" "$trace" >"$HB_WORK/5.json" 2>"$HB_WORK/5.err"
cat "$HB_WORK/5.err"
assert_eq "another build: refused" "build-id mismatch None None" "$(frame0 "$HB_WORK/5.json")"
assert_eq "another build: a warning says so" 1 "$(grep -c "another build than the traced one" "$HB_WORK/5.err")"

size=$(stat -c %s "$trace")
head -c $((size * 2 / 3)) "$trace" >"$HB_WORK/cut.hbt"
set +e
"$HB" report "$HB_WORK/cut.hbt" >"$HB_WORK/6.txt" 2>"$HB_WORK/6.err"
st=$?
set -e
cat "$HB_WORK/6.err"
assert_eq "cut trace: exit 0" 0 "$st"
assert_eq "cut trace: a warning" 1 "$([[ -s $HB_WORK/6.err ]] && echo 1 || echo 0)"
hb_finish
