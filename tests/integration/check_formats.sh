#!/usr/bin/env bash
# check_formats.sh - what CI systems read from `heapblame check`.
#
# Usage: check_formats.sh HEAPBLAME GATE_PROG SOURCE_ROOT
# One trace of gate_prog (tests/programs/gate) leaking from three sites of
# its own (536 B in 8 blocks: leak_first's heads and children, leak_second)
# and one of libgatelib.so (128 B in 4 blocks), plus reachable blocks:
#   junit  well-formed (xmllint), and what GitLab and Jenkins read: one
#          <testsuites>, one <testsuite> with tests and failures, a
#          <testcase> per module with name and classname, a <failure> with
#          a message naming the top sites' functions and source lines; a
#          suppressed module passes; a clean run is well-formed and passes;
#   sarif  what GitHub code scanning requires: version 2.1.0, $schema,
#          runs[].tool.driver with name and rules, results[] with a ruleId
#          among the rules, message.text, and a physical location with an
#          artifact URI and region.startLine; one result per counted site,
#          located at the allocating line of the source (relative to
#          --source-root, with %SRCROOT%), the rule saying the site's kind;
#   json   the verdict, counts and sites (docs/check.md).
# The verdict sentence goes to stderr when the result goes to a file.
source "$(dirname "${BASH_SOURCE[0]}")/checklib.sh"
command -v xmllint >/dev/null || hb_error "xmllint not found (Debian: libxml2-utils; scripts/bootstrap installs it)"
hb_setup "$1"
prog=$(hb_prog "$2")
root=$(realpath "$3")
src=$root/tests/programs/gate/gate_prog.c
[[ -f $src ]] || hb_error "no $src"
cd "$HB_WORK"
mkdir -p t clean
"$HB" run -q -o t -- "$prog" leak second lib reachable >/dev/null
trace=$(hb_gate_trace t)
"$HB" run -q -o clean -- "$prog" clean >/dev/null
clean=$(hb_gate_trace clean)
verdict="heapblame: 664 B in 12 blocks leaked in 2 modules (budget 0): FAIL"

# xpath EXPR FILE: the string value of EXPR.
xpath() {
	xmllint --xpath "$1" "$2" 2>/dev/null || echo "(xpath failed)"
}

# ---- JUnit --------------------------------------------------------------
hb_step junit "$HB" check --format junit -o r.xml "$trace"
assert_eq "junit: exit status" 1 "$HB_STEP_STATUS"
assert_eq "junit: the verdict on stderr" "$verdict" "$(tail -n 1 junit.err)"
assert_eq "junit: stdout empty" 0 "$(wc -c <junit.out)"
sed 's/^/   r.xml| /' r.xml | head -40
xmllint --noout r.xml
assert_eq "junit: well-formed (xmllint)" 0 "$?"
assert_eq "junit: one testsuites" 1 "$(xpath 'count(/testsuites)' r.xml)"
assert_eq "junit: one testsuite" 1 "$(xpath 'count(/testsuites/testsuite)' r.xml)"
assert_eq "junit: a testcase per module" 2 "$(xpath 'count(/testsuites/testsuite/testcase)' r.xml)"
assert_eq "junit: testcases have name and classname" 0 \
	"$(xpath 'count(//testcase[not(@name) or not(@classname) or @name="" or @classname=""])' r.xml)"
assert_eq "junit: testcase names" "gate_prog libgatelib.so" \
	"$(xpath '//testcase/@name' r.xml | tr '\n' ' ' | sed -E 's/ *name="([^"]*)"/\1 /g; s/ +$//')"
assert_eq "junit: failures with a message" 2 "$(xpath 'count(//testcase/failure[@message!=""])' r.xml)"
assert_eq "junit: suite tests" 2 "$(xpath 'string(/testsuites/testsuite/@tests)' r.xml)"
assert_eq "junit: suite failures" 2 "$(xpath 'string(/testsuites/testsuite/@failures)' r.xml)"
msg=$(xpath "string(//testcase[@name='gate_prog']/failure/@message)" r.xml)
echo "   gate_prog's failure message: $msg"
l_head=$(grep -n 'malloc(sizeof(struct node))' "$src" | cut -d: -f1)
l_child=$(grep -n 'head->child = malloc(40)' "$src" | cut -d: -f1)
l_second=$(grep -n 'char \*volatile p = malloc(64)' "$src" | cut -d: -f1)
assert_eq "junit: the message names the leaked amount" 1 \
	"$(grep -c '^gate_prog: 536 B in 8 blocks leaked; top sites: ' <<<"$msg" || true)"
assert_eq "junit: the message names the top sites and lines" 1 \
	"$(grep -c "leak_first() at gate_prog.c:$l_head (288 B in 3 blocks); leak_second() at gate_prog.c:$l_second (128 B in 2 blocks); leak_first() at gate_prog.c:$l_child (120 B in 3 blocks)" <<<"$msg" || true)"
assert_eq "junit: the library's message" \
	"libgatelib.so: 128 B in 4 blocks leaked; top site: gatelib_stash() at gatelib.c:$(grep -n 'malloc(32)' "$(dirname "$src")/gatelib.c" | cut -d: -f1) (128 B in 4 blocks)" \
	"$(xpath "string(//testcase[@name='libgatelib.so']/failure/@message)" r.xml)"

printf 'module:libgatelib\n' >lib.supp
hb_step junit_supp "$HB" check --format junit --suppressions lib.supp -o s.xml "$trace"
xmllint --noout s.xml
assert_eq "junit, suppressed: well-formed" 0 "$?"
assert_eq "junit, suppressed: one failure" 1 "$(xpath 'string(/testsuites/testsuite/@failures)' s.xml)"
assert_eq "junit, suppressed: the library passes and says why" 1 \
	"$(xpath "count(//testcase[@name='libgatelib.so'][not(failure)]/system-out[contains(., 'suppressed: 128 B in 4 blocks')])" s.xml)"

hb_step junit_clean "$HB" check --format junit -o c.xml "$clean"
assert_eq "junit, clean: exit status" 0 "$HB_STEP_STATUS"
xmllint --noout c.xml
assert_eq "junit, clean: well-formed" 0 "$?"
assert_eq "junit, clean: no failure" 0 "$(xpath 'string(/testsuites/testsuite/@failures)' c.xml)"
assert_eq "junit, clean: still one testcase" 1 "$(xpath 'count(//testcase)' c.xml)"

# ---- SARIF --------------------------------------------------------------
hb_step sarif "$HB" check --format sarif --source-root "$root" -o r.sarif "$trace"
assert_eq "sarif: exit status" 1 "$HB_STEP_STATUS"
assert_eq "sarif: the verdict on stderr" "$verdict" "$(tail -n 1 sarif.err)"
python3 - r.sarif "$root" "$l_head" "$l_child" "$l_second" >sarif.check <<'PY' || true
import json, sys
path, root, l_head, l_child, l_second = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6])
d = json.load(open(path))
def out(k, v): print(k + "\t" + str(v))
out("version", d.get("version"))
out("schema", d.get("$schema", "").startswith("https://") and "sarif-2.1.0" in d.get("$schema", ""))
out("runs", len(d["runs"]))
run = d["runs"][0]
drv = run["tool"]["driver"]
out("driver", drv["name"])
ids = [r["id"] for r in drv["rules"]]
out("rules_have_ids", len(ids) > 0 and all(ids))
out("base", run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == "file://" + root.rstrip("/") + "/")
res = run["results"]
out("results", len(res))
ok = True
for r in res:
    loc = r["locations"][0]["physicalLocation"]
    ok &= r["ruleId"] in ids and ids[r["ruleIndex"]] == r["ruleId"]
    ok &= isinstance(r["message"]["text"], str) and len(r["message"]["text"]) > 0
    ok &= isinstance(loc["artifactLocation"]["uri"], str) and len(loc["artifactLocation"]["uri"]) > 0
    ok &= isinstance(loc["region"]["startLine"], int) and loc["region"]["startLine"] >= 1
    ok &= len(r["partialFingerprints"]) > 0
out("results_complete", ok)
found = {}
for r in res:
    loc = r["locations"][0]["physicalLocation"]
    key = "%s:%d" % (loc["artifactLocation"]["uri"], loc["region"]["startLine"])
    found[key] = (r["ruleId"], loc["artifactLocation"].get("uriBaseId"), r["level"])
g = "tests/programs/gate/gate_prog.c"
out("head", found.get("%s:%d" % (g, l_head)))
out("child", found.get("%s:%d" % (g, l_child)))
out("second", found.get("%s:%d" % (g, l_second)))
out("lib", sorted(k for k in found if "gatelib.c" in k))
PY
cat sarif.check
kv() { awk -F'\t' -v k="$1" '$1 == k { print $2 }' sarif.check; }
assert_eq "sarif: version" 2.1.0 "$(kv version)"
assert_eq "sarif: \$schema" True "$(kv schema)"
assert_eq "sarif: one run" 1 "$(kv runs)"
assert_eq "sarif: driver name" heapblame "$(kv driver)"
assert_eq "sarif: rules with ids" True "$(kv rules_have_ids)"
assert_eq "sarif: %SRCROOT% is the source root" True "$(kv base)"
assert_eq "sarif: one result per counted site" 4 "$(kv results)"
assert_eq "sarif: every result has ruleId, message, uri, startLine, fingerprint" True "$(kv results_complete)"
assert_eq "sarif: the heads' site" "('heapblame/definite-leak', '%SRCROOT%', 'error')" "$(kv head)"
assert_eq "sarif: the children's site" "('heapblame/indirect-leak', '%SRCROOT%', 'error')" "$(kv child)"
assert_eq "sarif: leak_second's site" "('heapblame/definite-leak', '%SRCROOT%', 'error')" "$(kv second)"
assert_eq "sarif: the library's site" \
	"['tests/programs/gate/gatelib.c:$(grep -n 'malloc(32)' "$(dirname "$src")/gatelib.c" | cut -d: -f1)']" "$(kv lib)"

# ---- JSON ---------------------------------------------------------------
hb_step json "$HB" check --format json "$trace"
assert_eq "json: exit status" 1 "$HB_STEP_STATUS"
python3 - json.out >json.check <<'PY' || true
import json, sys
d = json.load(open(sys.argv[1]))
def out(k, v): print(k + "\t" + str(v))
out("schema", d["heapblame_check"])
out("verdict", d["verdict"] + " " + str(d["exit_status"]))
out("counted", "%d %d %d" % (d["counted"]["bytes"], d["counted"]["blocks"], d["counted"]["modules"]))
out("kinds", ",".join(d["kinds"]))
m = {x["name"]: x for x in d["modules"]}
out("gate_prog", "%d %d %d" % (m["gate_prog"]["counted_bytes"], m["gate_prog"]["counted_blocks"], len(m["gate_prog"]["sites"])))
out("reachable", m["gate_prog"]["reachable_blocks"])
out("scan", d["traces"][0]["scan"])
PY
cat json.check
jv() { awk -F'\t' -v k="$1" '$1 == k { print $2 }' json.check; }
assert_eq "json: schema" 1 "$(jv schema)"
assert_eq "json: verdict" "fail 1" "$(jv verdict)"
assert_eq "json: counted bytes, blocks, modules" "664 12 2" "$(jv counted)"
assert_eq "json: kinds counted" "definite,indirect,unclassified" "$(jv kinds)"
assert_eq "json: gate_prog counted, with its sites" "536 8 3" "$(jv gate_prog)"
assert_eq "json: gate_prog's reachable blocks" 2 "$(jv reachable)"
assert_eq "json: the trace's scan" done "$(jv scan)"
hb_finish
