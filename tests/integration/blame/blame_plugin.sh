#!/usr/bin/env bash
# blame_plugin.sh - a plugin that leaks and is unloaded before the end is
# still named by its path and symbolized from its file.
#
# Usage: blame_plugin.sh HEAPBLAME BLAME_PLUGIN PLUGIN
# blame_plugin dlopens PLUGIN (libblameplugin.so, by absolute path), calls
# its exported blame_plugin_run (which leaks through its static stash(), by
# malloc, and through strdup), dlcloses it and checks it is gone. Checks:
#   - the plugin really was unloaded (TRUTH unloaded=1);
#   - libblameplugin.so is the first module, its path the plugin's path, its
#     build-id the file's, its symbols "ok", and exactly the leaked blocks
#     and bytes of both sites (the loader keeps one block of its own after
#     dlopen, smaller than the plugin's leak);
#   - one entry point: blame_plugin_run, exported, called from the
#     executable's run_plugin;
#   - two sites with their own truth: stash (frame 0, in plugin_leak.c, with
#     a line) then blame_plugin_run; and strdup (frame 0 in libc.so.6) whose
#     first frame outside libc is blame_plugin_run;
#   - the executable itself has nothing outstanding;
#   - the text report names libblameplugin.so first.
source "$(dirname "${BASH_SOURCE[0]}")/blamelib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")
plugin=$(hb_prog "$3")
name=$(basename "$prog")

out=$HB_WORK/traces
hb_run "$out" -- "$prog" "$plugin" 60
assert_eq "run exit status" 0 "$HB_RUN_STATUS"
truth=$(hb_truth_line n=60)
pid=$(hb_kv "$truth" pid)
assert_eq "the plugin was unloaded before the end" 1 "$(hb_kv "$truth" unloaded)"
hb_expect_traces "$out" "heapblame.$name.$pid.hbt"
trace=$(hb_trace_of "$name" "$pid" "$out")

hb_report "$HB_WORK/r.json" --format json -- "$trace"
hb_json_check "$HB_WORK/r.json" exe="$prog" name="$name" plugin="$plugin" \
	stash_blocks="$(hb_kv "$truth" stash_blocks)" stash_bytes="$(hb_kv "$truth" stash_bytes)" \
	dup_blocks="$(hb_kv "$truth" dup_blocks)" dup_bytes="$(hb_kv "$truth" dup_bytes)" <<'PY'
invariants()
pn = os.path.basename(A["plugin"])
sb, sn, db, dn = A.int("stash_bytes"), A.int("stash_blocks"), A.int("dup_bytes"), A.int("dup_blocks")
check("first module", pn, R["modules"][0]["name"])
m = module(pn)
check("plugin path", A["plugin"], m["path"])
check("plugin build_id", elf_build_id(A["plugin"]), m["build_id"])
check("plugin symbols", "ok", m["symbols"])
check("plugin outstanding_blocks", sn + dn, m["outstanding_blocks"])
check("plugin outstanding_bytes", sb + db, m["outstanding_bytes"])
check("plugin entry points", [("blame_plugin_run", True, A["name"], "run_plugin", sb + db, sn + dn)],
      [(e["function"], e["exported"], e["caller_module"], e["caller_function"], e["bytes"], e["blocks"])
       for e in m["entry_points"]])
check("plugin sites_total", 2, m["sites_total"])
stash = [s for s in m["sites"] if s["frames"][0]["module"] == pn]
dup = [s for s in m["sites"] if s["frames"][0]["module"] == "libc.so.6"]
check("one stash site, one strdup site", (1, 1), (len(stash), len(dup)))
if stash:
    s, f = stash[0], stash[0]["frames"]
    check("stash site: bytes and blocks", (sb, sn), (s["bytes"], s["blocks"]))
    check("stash site: frame 0", (pn, "stash", "plugin_leak.c", int),
          (f[0]["module"], f[0]["function"], (f[0]["file"] or "").rsplit("/", 1)[-1], type(f[0]["line"])))
    check("stash site: frames 1 and 2", [(pn, "blame_plugin_run"), (A["name"], "run_plugin")],
          [(x["module"], x["function"]) for x in f[1:3]])
if dup:
    s, f = dup[0], dup[0]["frames"]
    i = blamed_index(f)
    check("strdup site: bytes and blocks", (db, dn), (s["bytes"], s["blocks"]))
    check("strdup site: first frame outside libc", (pn, "blame_plugin_run", "plugin_leak.c", int),
          (f[i]["module"], f[i]["function"], (f[i]["file"] or "").rsplit("/", 1)[-1], type(f[i]["line"])))
check("the executable has nothing outstanding", (0, 0), (mod_bytes(A["name"]), mod_blocks(A["name"])))
PY

hb_report "$HB_WORK/r.txt" -- "$trace"
assert_text_first_module "$HB_WORK/r.txt" libblameplugin.so
hb_finish
