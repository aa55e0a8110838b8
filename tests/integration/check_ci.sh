#!/usr/bin/env bash
# check_ci.sh - `heapblame check` and `run --check` played as a CI job would.
#
# Usage: check_ci.sh HEAPBLAME GATE_PROG GATE_SOURCE_DIR
# gate_prog (tests/programs/gate) leaks on request: `leak` 3 definite heads
# (96 B) and their 3 indirect children (40 B) from leak_first() (two sites),
# `second` 2 x 64 B definite from leak_second(), `third` 48 B definite from
# leak_third(), `lib` 4 x 32 B definite inside libgatelib.so, `reachable` a
# 256-byte block a global holds, `fail` exit status 3; after leaking it
# keeps a 16-byte reachable guard block. So `leak second` leaks 536 B in 8
# blocks from 3 sites of gate_prog. The job:
#   - a leaking program fails: exit 1, and the last line is the verdict
#     sentence; a clean program passes (exit 0) with the PASS sentence; a
#     program whose only outstanding blocks are reachable passes, and fails
#     with --kinds definite,indirect,reachable;
#   - suppressions: module:, site: and entry: rules hide the leaks (exit 0),
#     the output says what was hidden, --print-suppressions lists each rule
#     with its bytes and blocks, an unused rule is warned about on stderr,
#     LeakSanitizer's leak:libc.so hides every stack (its documented
#     any-frame meaning); a bad line exits 2 naming FILE:LINE, under run
#     --check before the program runs (so does a missing or empty
#     baseline, or a --check-output with no directory);
#   - baselines: `report --format json --top 0` of one run, then another run
#     (another pid, other load addresses) passes against it, a run with a
#     new leak site fails on that site alone, a site that grew is shown
#     with what leaked, what the baseline allows and what is beyond it, and
#     a rebuild of the program with other compiler flags (other code
#     offsets) still matches it; a
#     program rebuilt after it was traced (another build-id) is warned
#     about by check as by report, on stderr and in a note;
#   - budgets: --max-bytes / --max-blocks at the leaked amount pass, one
#     below fails, and the sentence states the budget;
#   - run --check: the program's own failure (exit 3, a signal) wins over
#     the verdict and is said first on stderr; a program that cannot be
#     executed (not found: 127, a directory: 126) is said so, and nothing is
#     checked; a program that exits 127 itself is checked;
#   - input errors exit 2: a missing trace, a damaged one, a bad option
#     value, a missing baseline;
#   - run --check takes check's short options -f and -n (not without
#     --check), while -o stays run's.
source "$(dirname "${BASH_SOURCE[0]}")/checklib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")
src=$(realpath "$3")
cd "$HB_WORK"
mkdir -p t1 t2 t3 t4 t5 t6 t7 t8 t9 t10 t11

# 1. A leaking program fails, a clean one passes.
hb_step leak "$HB" run --check -o "$HB_WORK/t1" -- "$prog" leak second
assert_eq "leaking: exit status" 1 "$HB_STEP_STATUS"
assert_eq "leaking: the verdict is the last line" \
	"heapblame: 536 B in 8 blocks leaked in 1 module (budget 0): FAIL" "$(hb_last_line leak)"
assert_eq "leaking: the counted sites are leak_first's two" 2 "$(hb_count leak.out '^ +leak_first +gate_prog\.c:[0-9]+ +gate_prog$')"
assert_eq "leaking: and leak_second's" 1 "$(hb_count leak.out '^ +leak_second +gate_prog\.c:[0-9]+ +gate_prog$')"
t1=$(hb_gate_trace "$HB_WORK/t1")

hb_step clean "$HB" run --check -o "$HB_WORK/t2" -- "$prog" clean
assert_eq "clean: exit status" 0 "$HB_STEP_STATUS"
assert_eq "clean: the verdict" "heapblame: 0 B in 0 blocks leaked in 0 modules (budget 0): PASS" "$(hb_last_line clean)"

hb_step cache "$HB" run --check -o "$HB_WORK/t3" -- "$prog" reachable
assert_eq "reachable only: exit status" 0 "$HB_STEP_STATUS"
assert_eq "reachable only: says what it did not count" 1 \
	"$(hb_count cache.out '^not counted: 272 B in 2 reachable blocks \(not in --kinds\)$')"
hb_step cache_kinds "$HB" check --kinds definite,indirect,reachable "$(hb_gate_trace "$HB_WORK/t3")"
assert_eq "reachable counted on request: exit status" 1 "$HB_STEP_STATUS"
assert_eq "reachable counted on request: the verdict" \
	"heapblame: 272 B in 2 blocks leaked in 1 module (budget 0): FAIL" "$(hb_last_line cache_kinds)"

# 2. Suppressions.
cat >gate.supp <<'SUPP'
# libgatelib loses its records by design (upstream bug 1234)
module:libgatelib

  site:leak_*
leak:no_such_function_anywhere
SUPP
hb_step supp "$HB" run --check --suppressions gate.supp --print-suppressions -o "$HB_WORK/t4" -- "$prog" leak second lib
assert_eq "suppressed: exit status" 0 "$HB_STEP_STATUS"
assert_eq "suppressed: the verdict" "heapblame: 0 B in 0 blocks leaked in 0 modules (budget 0): PASS" \
	"$(hb_last_line supp)"
assert_eq "suppressed: what was hidden" 1 \
	"$(hb_count supp.out '^not counted: 664 B in 12 blocks hidden by 2 suppressions$')"
assert_eq "suppressed: the module rule's line" 1 \
	"$(hb_count supp.out '^  gate\.supp:2  module:libgatelib +hid 128 B in 4 blocks \(1 site\)$')"
assert_eq "suppressed: the site rule's line" 1 \
	"$(hb_count supp.out '^  gate\.supp:4  site:leak_\* +hid 536 B in 8 blocks \(3 sites\)$')"
assert_eq "suppressed: the unused rule listed" 1 "$(hb_count supp.out '^  gate\.supp:5  leak:no_such_function_anywhere +unused$')"
assert_eq "suppressed: the unused rule warned about" 1 \
	"$(hb_count supp.err "^heapblame: warning: gate\.supp:5: suppression 'leak:no_such_function_anywhere' hid nothing: unused$")"
t4=$(hb_gate_trace "$HB_WORK/t4")

printf 'entry:gatelib_remember\n' >entry.supp
hb_step supp_entry "$HB" check --suppressions entry.supp "$t4"
assert_eq "entry rule: exit status (gate_prog's own leaks still count)" 1 "$HB_STEP_STATUS"
assert_eq "entry rule: only gate_prog's own blocks count" \
	"heapblame: 536 B in 8 blocks leaked in 1 module (budget 0): FAIL" "$(hb_last_line supp_entry)"
assert_eq "entry rule: hid the library's blocks" 1 \
	"$(hb_count supp_entry.out '^not counted: 128 B in 4 blocks hidden by 1 suppression \(--print-suppressions lists them\)$')"

printf 'leak:libc.so\n' >lsan.supp
hb_step supp_lsan "$HB" check --suppressions lsan.supp --print-suppressions "$t4"
assert_eq "leak:libc.so: exit status" 0 "$HB_STEP_STATUS"
assert_eq "leak:libc.so hides every stack through libc" 1 \
	"$(hb_count supp_lsan.out '^  lsan\.supp:1  leak:libc\.so +hid 664 B in 12 blocks \(4 sites\)$')"

printf 'module:libgatelib\n# fine so far\nlibgatelib.so\n' >bad.supp
hb_step supp_bad "$HB" check --suppressions bad.supp "$t4"
assert_eq "bad suppression line: exit status" 2 "$HB_STEP_STATUS"
assert_eq "bad suppression line: names the file and line" 1 \
	"$(hb_count supp_bad.err '^heapblame: error: bad\.supp:3: .*TYPE:PATTERN')"
hb_step run_bad "$HB" run --check --suppressions bad.supp -o "$HB_WORK/t5" -- "$prog" leak
assert_eq "bad suppression line under run --check: exit status" 2 "$HB_STEP_STATUS"
assert_eq "bad suppression line under run --check: named" 1 "$(hb_count run_bad.err '^heapblame: error: bad\.supp:3: ')"
assert_eq "bad suppression line under run --check: the program did not run" "0 0" \
	"$(hb_count run_bad.out '^TRUTH ') $(find "$HB_WORK/t5" -name '*.hbt' | wc -l)"
hb_step run_nobase "$HB" run --check --baseline nope.json -o "$HB_WORK/t5" -- "$prog" leak
assert_eq "missing baseline under run --check: exit status" 2 "$HB_STEP_STATUS"
assert_eq "missing baseline under run --check: the program did not run" 0 "$(hb_count run_nobase.out '^TRUTH ')"
: >empty.json
hb_step run_emptybase "$HB" run --check --baseline empty.json -o "$HB_WORK/t5" -- "$prog" leak
assert_eq "empty baseline under run --check: refused before the program runs" "2 0" \
	"$HB_STEP_STATUS $(hb_count run_emptybase.out '^TRUTH ')"
hb_step run_nodir "$HB" run --check --check-output "$HB_WORK/no/such/dir/r.xml" -o "$HB_WORK/t5" -- "$prog" leak
assert_eq "--check-output into no directory: refused before the program runs" "2 0" \
	"$HB_STEP_STATUS $(hb_count run_nodir.out '^TRUTH ')"

# 3. Baselines.
"$HB" report --format json --top 0 "$t1" >base.json
hb_step base_same "$HB" run --check --baseline base.json -o "$HB_WORK/t6" -- "$prog" leak second
assert_eq "baseline, same leaks: exit status" 0 "$HB_STEP_STATUS"
assert_eq "baseline, same leaks: the verdict" \
	"heapblame: 0 B in 0 blocks leaked beyond the baseline in 0 modules (budget 0): PASS" "$(hb_last_line base_same)"
assert_eq "baseline, same leaks: says what the baseline held" 1 \
	"$(hb_count base_same.out '^not counted: 536 B in 8 blocks leaked as in the baseline base\.json$')"
hb_step base_new "$HB" run --check --baseline base.json -o "$HB_WORK/t7" -- "$prog" leak second third
assert_eq "baseline, a new site: exit status" 1 "$HB_STEP_STATUS"
assert_eq "baseline, a new site: the verdict" \
	"heapblame: 48 B in 1 block leaked beyond the baseline in 1 module (budget 0): FAIL" "$(hb_last_line base_new)"
assert_eq "baseline, a new site: leak_third is shown" 1 "$(hb_count base_new.out '^ +leak_third +gate_prog\.c:')"
assert_eq "baseline, a new site: the old ones are not" 0 "$(hb_count base_new.out '^ +leak_(first|second) +gate_prog\.c:')"

# A site that grew beyond its baseline: the text says what leaked, what the
# baseline allows and what is beyond it, so the kinds (of what leaked) do
# not contradict the counted blocks.
python3 - base.json grown.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for m in d["modules"]:
    for s in m["sites"]:
        if any(f["function"] == "leak_second" for f in s["frames"]):
            s["definite_blocks"], s["definite_bytes"] = 1, 64
json.dump(d, open(sys.argv[2], "w"))
PY
hb_step base_grown "$HB" check --baseline grown.json "$t1"
assert_eq "baseline, a grown site: exit status" 1 "$HB_STEP_STATUS"
assert_eq "baseline, a grown site: the module line" 1 \
	"$(hb_count base_grown.out '^gate_prog  128 B in 2 blocks leaked \(definite 2\); the baseline allows 64 B in 1 block: 64 B in 1 block beyond it$')"
assert_eq "baseline, a grown site: the site line" 1 \
	"$(hb_count base_grown.out '^        128 B in 2 blocks leaked \(definite 2\); the baseline allows 64 B in 1 block: 64 B in 1 block beyond it$')"
assert_eq "baseline, a grown site: the verdict" \
	"heapblame: 64 B in 1 block leaked beyond the baseline in 1 module (budget 0): FAIL" "$(hb_last_line base_grown)"

# Another build: the same sources at -O0, in another directory.
cc=${CC:-cc}
if command -v "$cc" >/dev/null; then
	mkdir -p rebuild
	"$cc" -O0 -g -fno-builtin -fPIC -shared -o rebuild/libgatelib.so "$src/gatelib.c"
	# shellcheck disable=SC2016 # $ORIGIN is for the linker
	"$cc" -O0 -g -fno-builtin -o rebuild/gate_prog "$src/gate_prog.c" -Lrebuild -lgatelib -Wl,-rpath,'$ORIGIN'
	hb_step base_rebuild "$HB" run --check --baseline base.json -o "$HB_WORK/t8" -- "$HB_WORK/rebuild/gate_prog" leak second
	assert_eq "baseline, another build: exit status" 0 "$HB_STEP_STATUS"
	hb_step base_rebuild2 "$HB" run --check --baseline base.json -o "$HB_WORK/t9" -- "$HB_WORK/rebuild/gate_prog" leak second third
	assert_eq "baseline, another build with a new site: exit status" 1 "$HB_STEP_STATUS"
	assert_eq "baseline, another build with a new site: the verdict" \
		"heapblame: 48 B in 1 block leaked beyond the baseline in 1 module (budget 0): FAIL" \
		"$(hb_last_line base_rebuild2)"
	# Rebuilt after tracing: the trace's build-id no longer matches the file,
	# so its frames are offsets only, and check says so as report does.
	t8=$(hb_gate_trace "$HB_WORK/t8")
	"$cc" -O1 -g -fno-builtin -o rebuild/gate_prog "$src/gate_prog.c" -Lrebuild -lgatelib -Wl,-rpath,'$ORIGIN'
	mismatch="$HB_WORK/rebuild/gate_prog: the file found is another build than the traced one"
	hb_step rebuilt_report "$HB" report "$t8"
	assert_eq "rebuilt after tracing: report warns" 1 "$(hb_count rebuilt_report.err "^heapblame: warning: $mismatch")"
	hb_step rebuilt_text "$HB" check --baseline base.json "$t8"
	assert_eq "rebuilt after tracing: check warns on stderr" 1 "$(hb_count rebuilt_text.err "^heapblame: warning: $mismatch")"
	assert_eq "rebuilt after tracing: and in its text output, with what it means" 1 \
		"$(hb_count rebuilt_text.out "^$mismatch .*suppressions and baseline sites that name its functions cannot match its frames$")"
	hb_step rebuilt_json "$HB" check --format json "$t8"
	assert_eq "rebuilt after tracing: a JSON note" 1 \
		"$(python3 -c 'import json,sys; print(sum(n.startswith(sys.argv[2]) for n in json.load(open(sys.argv[1]))["notes"]))' \
			rebuilt_json.out "$mismatch" 2>&1)"
	assert_eq "rebuilt after tracing: warned once on stderr" 1 "$(hb_count rebuilt_json.err "$mismatch")"
else
	echo "note: no C compiler ($cc): the rebuild case is left out"
fi

# 4. Budgets.
hb_step budget_ok "$HB" check --max-bytes 536 "$t1"
assert_eq "--max-bytes at the leak: exit status" 0 "$HB_STEP_STATUS"
assert_eq "--max-bytes at the leak: the verdict" \
	"heapblame: 536 B in 8 blocks leaked in 1 module (budget 536 B): PASS" "$(hb_last_line budget_ok)"
hb_step budget_bytes "$HB" check --max-bytes 535 "$t1"
assert_eq "--max-bytes below the leak: exit status" 1 "$HB_STEP_STATUS"
hb_step budget_blocks "$HB" check --max-blocks 8 "$t1"
assert_eq "--max-blocks at the leak: exit status" 0 "$HB_STEP_STATUS"
assert_eq "--max-blocks at the leak: the verdict" \
	"heapblame: 536 B in 8 blocks leaked in 1 module (budget 8 blocks): PASS" "$(hb_last_line budget_blocks)"
hb_step budget_both "$HB" check --max-blocks 8 --max-bytes 100 "$t1"
assert_eq "either budget exceeded fails" 1 "$HB_STEP_STATUS"

# 5. The program's own failure wins.
hb_step fail "$HB" run --check -o "$HB_WORK/t10" -- "$prog" leak second fail
assert_eq "failing program: its exit status" 3 "$HB_STEP_STATUS"
assert_eq "failing program: the check still reports" \
	"heapblame: 536 B in 8 blocks leaked in 1 module (budget 0): FAIL" "$(hb_last_line fail)"
assert_eq "failing program: said first on stderr, before the traces and the check" \
	"heapblame: the program exited with status 3; the leak check below does not decide the exit status (3, the program's)" \
	"$(head -n 1 "$HB_WORK/fail.err")"
hb_step fail_clean "$HB" run --check -o "$HB_WORK/t11" -- "$prog" clean fail
assert_eq "failing clean program: its exit status" 3 "$HB_STEP_STATUS"
assert_eq "failing clean program: said first" 1 \
	"$(head -n 1 "$HB_WORK/fail_clean.err" | grep -c '^heapblame: the program exited with status 3; ' || true)"
hb_step pass_quiet "$HB" run --check -o "$HB_WORK/t2" -- "$prog" clean
assert_eq "a program that succeeds: nothing said about it" 0 "$(hb_count pass_quiet.err '^heapblame: the program ')"
printf '#!/bin/sh\nkill -TERM $$\n' >killed.sh
chmod +x killed.sh
hb_step killed "$HB" run --check -o "$HB_WORK/t12/" -- ./killed.sh
assert_eq "a program killed by a signal: its status" 143 "$HB_STEP_STATUS"
assert_eq "a program killed by a signal: said first" \
	"heapblame: the program was killed by signal 15 (SIGTERM); the leak check below does not decide the exit status (143, the program's)" \
	"$(head -n 1 "$HB_WORK/killed.err")"
hb_step notfound "$HB" run --check -o "$HB_WORK/t13/" -- "$HB_WORK/no-such-program"
assert_eq "a program not found: 127" 127 "$HB_STEP_STATUS"
assert_eq "a program not found: the reason, and nothing else" \
	"heapblame: error: cannot run $HB_WORK/no-such-program: No such file or directory" "$(cat "$HB_WORK/notfound.err")"
hb_step isdir "$HB" run --check -o "$HB_WORK/t13/" -- "$HB_WORK"
assert_eq "a directory as the program: 126" 126 "$HB_STEP_STATUS"
assert_eq "a directory as the program: said so" "heapblame: error: cannot run $HB_WORK: it is a directory" \
	"$(cat "$HB_WORK/isdir.err")"
printf '#!/bin/sh\nexit 127\n' >exit127.sh
chmod +x exit127.sh
hb_step exit127 "$HB" run --check -o "$HB_WORK/t14/" -- ./exit127.sh
assert_eq "a program that exits 127 itself: its status" 127 "$HB_STEP_STATUS"
assert_eq "a program that exits 127 itself: it ran, and was checked" 1 \
	"$(hb_last_line exit127 | grep -c '^heapblame: .* leaked in .*: \(PASS\|FAIL\)$' || true)"

# 6. Input errors.
hb_step missing "$HB" check "$HB_WORK/nope.hbt"
assert_eq "missing trace: exit status" 2 "$HB_STEP_STATUS"
cp "$t1" damaged.hbt
size=$(stat -c %s damaged.hbt)
printf 'XXXXXXXXXXXXXXXX' | dd of=damaged.hbt bs=1 seek=$((size / 2)) conv=notrunc status=none
hb_step damaged "$HB" check damaged.hbt
assert_eq "damaged trace: exit status" 2 "$HB_STEP_STATUS"
assert_eq "damaged trace: says so" 1 "$(hb_count damaged.err '^heapblame: error: damaged\.hbt: the trace is damaged')"
printf 'not a trace\n' >text.hbt
hb_step notrace "$HB" check text.hbt
assert_eq "not a trace: exit status" 2 "$HB_STEP_STATUS"
hb_step nobase "$HB" check --baseline nope.json "$t1"
assert_eq "missing baseline: exit status" 2 "$HB_STEP_STATUS"
hb_step badkinds "$HB" check --kinds definite,lost "$t1"
assert_eq "bad --kinds: exit status" 2 "$HB_STEP_STATUS"
assert_eq "bad --kinds: names the word" 1 "$(hb_count badkinds.err "'lost' is not a leak kind")"
hb_step spacedkinds "$HB" check --kinds 'definite, indirect' "$t1"
assert_eq "--kinds with blanks after the commas: taken" \
	"1 heapblame: 536 B in 8 blocks leaked in 1 module (budget 0): FAIL" "$HB_STEP_STATUS $(hb_last_line spacedkinds)"
hb_step dirtrace "$HB" check "$HB_WORK/t1/"
assert_eq "a directory for a trace: exit status" 2 "$HB_STEP_STATUS"
assert_eq "a directory for a trace: the traces in it are suggested" 1 \
	"$(hb_count dirtrace.err "^heapblame: error: $HB_WORK/t1/: is a directory, not a trace file \(its traces: $HB_WORK/t1/\*\.hbt\)$")"
hb_step top2 "$HB" check -n 2 "$t1"
assert_eq "one site left out: said in the singular" 1 "$(hb_count top2.out '^      \.\.\. 1 more site \(--top 0 shows all\)$')"
hb_step badformat "$HB" check --format xml "$t1"
assert_eq "bad --format: exit status" 2 "$HB_STEP_STATUS"
hb_step notraces "$HB" check
assert_eq "no trace given: exit status" 2 "$HB_STEP_STATUS"
hb_step orphan "$HB" run --max-bytes 10 -- "$prog"
assert_eq "a check option without --check: exit status" 2 "$HB_STEP_STATUS"
hb_step orphan_short "$HB" run -f json -- "$prog"
assert_eq "a check short option without --check: exit status" 2 "$HB_STEP_STATUS"

# 7. run --check takes check's short options (-f, -n); -o stays run's.
hb_step shortopts "$HB" run --check -f json -n 1 -o "$HB_WORK/t15/" -- "$prog" leak second
assert_eq "run --check -f json -n 1: exit status" 1 "$HB_STEP_STATUS"
assert_eq "run --check -f json -n 1: JSON on stdout (after the program's line), the verdict" "fail 536" \
	"$(python3 -c 'import json,sys; t=open(sys.argv[1]).read(); d=json.loads(t[t.index("{"):]); print(d["verdict"], d["counted"]["bytes"])' shortopts.out 2>&1)"
assert_eq "run --check -o: the traces went to run's -o" 1 "$(find "$HB_WORK/t15" -name '*.hbt' | wc -l)"
hb_step shortopts_n "$HB" run --check -n 1 -o "$HB_WORK/t16/" -- "$prog" leak second
assert_eq "run --check -n 1: one site shown" 1 "$(hb_count shortopts_n.out '^      \.\.\. 2 more sites \(--top 0 shows all\)$')"
hb_finish
