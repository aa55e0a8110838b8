#!/usr/bin/env bash
# install.sh - `meson install` gives a heapblame that finds its own shim.
#
# Usage: install.sh BUILD_DIR PROGRAM
# Installs the build into a scratch DESTDIR, then runs the installed
# `heapblame run` (with HEAPBLAME_SHIM unset, from a directory that is not
# the build tree) on PROGRAM and checks that a trace was written and decodes
# with the installed `heapblame dump`; and that the shim it used is the
# installed copy (the trace's module list names it).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
build=$(realpath "$1")
work=$(mktemp -d "${TMPDIR:-/tmp}/hbinstall.XXXXXX")
trap 'rm -rf "$work"' EXIT
meson install -C "$build" --no-rebuild --quiet --destdir "$work/root" >"$work/install.log" 2>&1 || {
	cat "$work/install.log"
	hb_error "meson install failed"
}
hb=$(find "$work/root" -type f -name heapblame -perm -u+x | head -1)
shim=$(find "$work/root" -type f -name libheapblame.so | head -1)
[[ -n $hb && -n $shim ]] || hb_error "installed tree lacks heapblame or libheapblame.so"
hb_setup "$hb"
trap 'rm -rf "$work"; hb_cleanup' EXIT
prog=$(hb_prog "$2")
echo "installed: $hb and $shim"
mkdir -p "$HB_WORK/t"
cd "$HB_WORK"
set +e
env -u HEAPBLAME_SHIM "$HB" run -o "$HB_WORK/t" -- "$prog" >"$HB_WORK/out" 2>"$HB_WORK/err"
st=$?
set -e
cat "$HB_WORK/err"
assert_eq "installed run: exit status" 0 "$st"
trace=$(ls "$HB_WORK"/t/*.hbt 2>/dev/null | head -1)
assert_eq "installed run: one trace" 1 "$(ls "$HB_WORK"/t/*.hbt 2>/dev/null | wc -l)"
"$HB" dump "$trace" >"$HB_WORK/dump"
assert_eq "the shim loaded is the installed copy" 1 \
	"$(grep -c "^MODULE .* path=\"$(realpath "$shim")\"" "$HB_WORK/dump")"
hb_finish
