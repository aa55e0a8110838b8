#!/usr/bin/env bash
# report_formats.sh - the demo story through every report format.
#
# Usage: report_formats.sh HEAPBLAME STORE PROFILE_PROTO
# Runs the demo server (examples/: store links libmta.so, which loses one
# retry record in 50 messages) for 5000 messages, then checks:
#   json    parses; libmta.so is the first module with exactly 100 blocks,
#           entered via its exported mta_submit() from store's
#           deliver_message(); its top site starts in schedule_retry (an
#           inlined frame) at mta.c;
#   text    names libmta.so first and ends with the sentence that blames it;
#           with 100 messages too, when store's reachable stdio buffer is
#           the larger outstanding block: the sentence leads with what
#           leaked and names the reachable memory apart;
#   folded  has a line per site, frames outermost first, whose weight for
#           the libmta stack is libmta's bytes;
#   pprof   decodes with protoc against profile.proto; its string table
#           holds the sample types and labels, and the sample labelled
#           module=libmta.so carries libmta's blocks and bytes.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
command -v protoc >/dev/null || hb_error "protoc not found (Debian: protobuf-compiler; scripts/bootstrap installs it)"
hb_setup "$1"
store=$(hb_prog "$2")
proto=$(realpath "$3")
mkdir -p "$HB_WORK/t"
hb_run "$HB_WORK/t" -- "$store" 5000
trace=$(ls "$HB_WORK"/t/*.hbt)

"$HB" report --format json "$trace" >"$HB_WORK/r.json"
python3 - "$HB_WORK/r.json" >"$HB_WORK/json.check" <<'PY' || true
import json, sys
r = json.load(open(sys.argv[1]))
m = r["modules"][0]
e = m["entry_points"][0]
f = m["sites"][0]["frames"][0]
print("schema", r["heapblame_report"])
print("first_module", m["name"])
print("blocks", m["outstanding_blocks"])
print("bytes", m["outstanding_bytes"])
print("entry", e["function"], e["exported"], e["caller_module"], e["caller_function"])
print("frame0", f["function"], f["inlined"], f["file"].rsplit("/", 1)[-1])
PY
cat "$HB_WORK/json.check"
kv() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "$HB_WORK/json.check"; }
assert_eq "json: schema version" 2 "$(kv schema)"
assert_eq "json: first module" libmta.so "$(kv first_module)"
assert_eq "json: libmta blocks (5000 messages / 50)" 100 "$(kv blocks)"
assert_eq "json: entry point" "mta_submit True store deliver_message" "$(kv entry)"
assert_eq "json: innermost frame" "schedule_retry True mta.c" "$(kv frame0)"
bytes=$(kv bytes)

"$HB" report "$trace" >"$HB_WORK/r.txt"
assert_eq "text: first module line" libmta.so "$(sed -n '3p' "$HB_WORK/r.txt" | awk '{print $1}')"
assert_eq "text: the closing sentence blames libmta" 1 \
	"$(grep -c "allocated by libmta.so's own code, entered through its exported function mta_submit() from store's deliver_message()" "$HB_WORK/r.txt")"

# Few messages: store's 4 KiB stdio buffer (reachable) outweighs libmta's
# two lost records, but the closing sentence leads with what leaked.
mkdir -p "$HB_WORK/small"
hb_run "$HB_WORK/small" -- "$store" 100
"$HB" report "$(ls "$HB_WORK"/small/*.hbt)" >"$HB_WORK/small.txt"
assert_eq "text, 100 messages: the closing sentence leads with the leak, then what is reachable" \
	"Leaked at exit (definite and indirect): 176 B in 2 blocks; all of it was allocated by libmta.so's own code, entered through its exported function mta_submit() from store's deliver_message(); still reachable at exit, not leaked: 4.00 KiB in 1 block, all of it by store's code." \
	"$(tail -n 1 "$HB_WORK/small.txt")"

"$HB" report --by function "$trace" >"$HB_WORK/by_function.txt"
assert_eq "text --by function: one block in the singular, columns aligned" 1 \
	"$(grep -cE '^ +4\.00 KiB in +1 block   main\(\)$' "$HB_WORK/by_function.txt" || true)"

"$HB" report --format folded "$trace" >"$HB_WORK/r.folded"
assert_eq "folded: the libmta stack carries libmta's bytes" "$bytes" \
	"$(awk '/libmta.so`mta_submit;libmta.so`schedule_retry [0-9]+$/ { print $NF }' "$HB_WORK/r.folded")"
assert_eq "folded: every line is frames and a weight" 0 "$(grep -cvE '^[^ ]+ [0-9]+$' "$HB_WORK/r.folded" || true)"

"$HB" report --format pprof -o "$HB_WORK/r.pb" "$trace"
protoc --proto_path="$(dirname "$proto")" --decode=perftools.profiles.Profile "$(basename "$proto")" \
	<"$HB_WORK/r.pb" >"$HB_WORK/r.pbtxt"
python3 - "$HB_WORK/r.pbtxt" >"$HB_WORK/pprof.check" <<'PY' || true
import re, sys
text = open(sys.argv[1]).read()
strings = [bytes(s, "utf-8").decode("unicode_escape") for s in re.findall(r'^string_table: "(.*)"$', text, re.M)]
samples = re.findall(r'^sample \{\n(.*?)^\}', text, re.M | re.S)
print("types", " ".join(s for s in strings if s.startswith("inuse_")))
for s in samples:
    labels = dict((strings[int(k)], strings[int(v)]) for k, v in re.findall(r'key: (\d+)\n\s+str: (\d+)', s))
    values = re.findall(r'value: (\d+)', s)
    if labels.get("module") == "libmta.so":
        print("libmta", values[0], values[1], labels.get("entry"))
PY
cat "$HB_WORK/pprof.check"
assert_eq "pprof: sample types" "inuse_objects inuse_space" "$(awk '$1 == "types" { $1 = ""; sub(/^ /, ""); print }' "$HB_WORK/pprof.check")"
assert_eq "pprof: libmta sample (blocks, bytes, entry label)" "100 $bytes mta_submit" \
	"$(awk '$1 == "libmta" { print $2, $3, $4 }' "$HB_WORK/pprof.check")"
hb_finish
