#!/usr/bin/env python3
"""blamecheck.py - assertions on a `heapblame report --format json` report.

Usage: python3 blamecheck.py REPORT.json [NAME=VALUE...] <CHECKS.py

The drivers in this directory pipe a few lines of Python (CHECKS) into this
script; they run with these names defined:
  R                  the parsed report
  A                  the NAME=VALUE arguments, as strings (A.int(NAME) for an int)
  check(label, expected, actual)      one exact comparison, printed as
                     "ok   label = actual" or "FAIL label: expected ..., got ..."
  module(name)       the module of R named name, or None
  mod_bytes(name), mod_blocks(name)   its outstanding bytes/blocks, 0 when absent
  names()            the module names of R, in order
  blamed_index(frames, wrappers, functions)  index of a site's first frame outside
                     the allocator wrappers (libc, libstdc++, libc_malloc_debug, the
                     shim, plus `wrappers` as given to --wrapper) and outside the
                     wrapper functions matching the globs `functions`
  invariants(wrappers, functions)     the checks that hold for every report (below)
  elf_build_id(path) the GNU build-id of an ELF file, in hex ("" if none)
Every failed check, and an exception in CHECKS, is counted as a failure; the
last line printed is "BLAMECHECK passes=P fails=F", which blamelib.sh adds to
the driver's tally (lib.sh's assert_eq counts).

invariants() checks the report's internal consistency against the schema
(docs/report-json.md): schema version 2; totals == the sums over modules[];
modules ordered by bytes; share == bytes / total; each module's entry points
add up to the module; its sites add up to it when all are listed; every
site's blamed frame (the first one outside the wrappers) lies in the module
it is listed under, and is its blamed_frame; when a module's sites are all listed, the entry points
recomputed from the sites' frames (the outermost frame of the run of frames in
the module that starts at the blamed frame: its physical function, and the
module and innermost function of the next frame out, shim frames skipped;
unknown when the run reaches the end of a truncated site's frames)
are exactly the reported ones, bytes and blocks included; processes[] add up
to the totals, each process to its modules.
"""
import fnmatch
import json
import linecache
import os
import struct
import sys
import traceback

BUILTIN_WRAPPERS = ["libc.so*", "libstdc++.so*", "libc_malloc_debug.so*", "libheapblame.so*"]
SHIM = "libheapblame.so*"

passes = 0
fails = 0


def check(label, expected, actual):
    global passes, fails
    if expected == actual and type(expected) is type(actual):
        passes += 1
        print("ok   %s = %r" % (label, actual))
    else:
        fails += 1
        print("FAIL %s: expected %r, got %r" % (label, expected, actual))


class Args(dict):
    def int(self, name):
        return int(self[name])


def is_wrapper(mod, wrappers=()):
    """The contract of --wrapper: a glob on the module's base name, or a name
    that also matches its versions and suffixes (libxalloc matches
    libxalloc.so and libxalloc.so.1)."""
    if mod is None:
        return False
    for w in BUILTIN_WRAPPERS:
        if fnmatch.fnmatchcase(mod, w):
            return True
    for w in wrappers:
        if fnmatch.fnmatchcase(mod, w) or mod == w or mod.startswith(w + "."):
            return True
    return False


def blamed_index(frames, wrappers=(), functions=()):
    """The first frame outside wrapper modules and wrapper functions (globs
    of `functions`; a wrapper's own internals are not looked through: the
    drivers' wrappers call malloc directly)."""
    for i, f in enumerate(frames):
        if is_wrapper(f["module"], wrappers):
            continue
        if not f["inlined"] and any(fnmatch.fnmatchcase(f["function"] or "", g) for g in functions):
            continue
        return i
    return None


def entry_of(frames, wrappers=(), functions=(), truncated=False):
    """(module, function, caller_module, caller_function) of a site, computed
    from its frames as the schema defines them; all None but the module when
    the run in the module reaches the end of a truncated stack."""
    i = blamed_index(frames, wrappers, functions)
    if i is None:
        return None
    mod = frames[i]["module"]
    j = i
    while j + 1 < len(frames) and frames[j + 1]["module"] == mod:
        j += 1
    if truncated and j + 1 == len(frames):
        return (mod, None, None, None)
    # frames[j] is the outermost entry of the run: the physical function
    # (inlined frames come before the physical frame that holds them).
    k = j + 1
    while k < len(frames) and fnmatch.fnmatchcase(frames[k]["module"] or "", SHIM):
        k += 1
    if k < len(frames):
        return (mod, frames[j]["function"], frames[k]["module"], frames[k]["function"])
    return (mod, frames[j]["function"], None, None)


def module(name):
    for m in R["modules"]:
        if m["name"] == name:
            return m
    return None


def mod_bytes(name):
    m = module(name)
    return m["outstanding_bytes"] if m else 0


def mod_blocks(name):
    m = module(name)
    return m["outstanding_blocks"] if m else 0


def names():
    return [m["name"] for m in R["modules"]]


def invariants(wrappers=(), functions=()):
    check("schema version", 2, R["heapblame_report"])
    mods = R["modules"]
    tb = R["totals"]["outstanding_bytes"]
    tn = R["totals"]["outstanding_blocks"]
    check("totals.outstanding_bytes == sum over modules", sum(m["outstanding_bytes"] for m in mods), tb)
    check("totals.outstanding_blocks == sum over modules", sum(m["outstanding_blocks"] for m in mods), tn)
    by_bytes = [m["outstanding_bytes"] for m in mods]
    check("modules ordered by outstanding bytes", sorted(by_bytes, reverse=True), by_bytes)
    for m in mods:
        n = m["name"]
        share_ok = tb > 0 and abs(m["share"] - m["outstanding_bytes"] / tb) < 1e-5
        check("%s: share == bytes / total (%r, %d / %d)" % (n, m["share"], m["outstanding_bytes"], tb), True,
              share_ok)
        check("%s: entry points' bytes add up" % n, m["outstanding_bytes"],
              sum(e["bytes"] for e in m["entry_points"]))
        check("%s: entry points' blocks add up" % n, m["outstanding_blocks"],
              sum(e["blocks"] for e in m["entry_points"]))
        eb = [e["bytes"] for e in m["entry_points"]]
        check("%s: entry points ordered by bytes" % n, sorted(eb, reverse=True), eb)
        sb = [s["bytes"] for s in m["sites"]]
        check("%s: sites ordered by bytes" % n, sorted(sb, reverse=True), sb)
        for s in m["sites"]:
            i = blamed_index(s["frames"], wrappers, functions)
            got = s["frames"][i]["module"] if i is not None else None
            check("%s: a site's first frame outside the wrappers is in the module" % n, n, got)
            check("%s: a site's blamed_frame is that frame" % n, i, s["blamed_frame"])
        if m["sites_total"] == len(m["sites"]):
            check("%s: sites' bytes add up" % n, m["outstanding_bytes"], sum(sb))
            check("%s: sites' blocks add up" % n, m["outstanding_blocks"], sum(s["blocks"] for s in m["sites"]))
            want = {}
            for s in m["sites"]:
                e = entry_of(s["frames"], wrappers, functions, s["truncated"])
                if e is None:
                    continue
                key = e[1:]
                b = want.setdefault(key, [0, 0])
                b[0] += s["bytes"]
                b[1] += s["blocks"]
            got = {(e["function"], e["caller_module"], e["caller_function"]): [e["bytes"], e["blocks"]]
                   for e in m["entry_points"]}
            check("%s: entry points recomputed from the sites' frames" % n, sorted(want.items(), key=repr),
                  sorted(got.items(), key=repr))
    procs = R["processes"]
    check("processes: one per trace", len(R["traces"]), len(procs))
    check("processes' bytes add up to the totals", tb, sum(p["outstanding_bytes"] for p in procs))
    check("processes' blocks add up to the totals", tn, sum(p["outstanding_blocks"] for p in procs))
    for p in procs:
        check("process %d: its modules' bytes add up" % p["pid"], p["outstanding_bytes"],
              sum(m["outstanding_bytes"] for m in p["modules"]))
        check("process %d: its modules' blocks add up" % p["pid"], p["outstanding_blocks"],
              sum(m["outstanding_blocks"] for m in p["modules"]))


def elf_build_id(path):
    """The NT_GNU_BUILD_ID note of a 64-bit little-endian ELF file, in hex."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return ""
    e_shoff, = struct.unpack_from("<Q", data, 0x28)
    e_shentsize, e_shnum = struct.unpack_from("<HH", data, 0x3A)
    for i in range(e_shnum):
        sh = e_shoff + i * e_shentsize
        sh_type, = struct.unpack_from("<I", data, sh + 4)
        if sh_type != 7:  # SHT_NOTE
            continue
        off, size = struct.unpack_from("<QQ", data, sh + 0x18)
        p = off
        while p + 12 <= off + size:
            namesz, descsz, ntype = struct.unpack_from("<III", data, p)
            name = data[p + 12:p + 12 + namesz]
            desc_at = p + 12 + ((namesz + 3) & ~3)
            if ntype == 3 and name[:3] == b"GNU":
                return data[desc_at:desc_at + descsz].hex()
            p = desc_at + ((descsz + 3) & ~3)
    return ""


def main():
    global R, A, fails
    A = Args(a.split("=", 1) for a in sys.argv[2:])
    body = sys.stdin.read()
    try:
        with open(sys.argv[1]) as f:
            R = json.load(f)
        env = dict(globals())
        env.update(R=R, A=A)
        # registered so that a traceback shows the failing line of the checks
        linecache.cache["<checks>"] = (len(body), None, body.splitlines(True), "<checks>")
        exec(compile(body, "<checks>", "exec"), env)
    except Exception:
        fails += 1
        print("FAIL the checks stopped on an exception (a missing field?):")
        print("".join("     " + l for l in traceback.format_exc().splitlines(True)))
    print("BLAMECHECK passes=%d fails=%d" % (passes, fails))


if __name__ == "__main__":
    main()
