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
#     any-frame meaning); a bad line exits 2 naming FILE:LINE;
#   - baselines: `report --format json --top 0` of one run, then another run
#     (another pid, other load addresses) passes against it, a run with a
#     new leak site fails on that site alone, and a rebuild of the program
#     with other compiler flags (other code offsets) still matches it;
#   - budgets: --max-bytes / --max-blocks at the leaked amount pass, one
#     below fails, and the sentence states the budget;
#   - run --check: the program's own failure (exit 3) wins over the verdict;
#   - input errors exit 2: a missing trace, a damaged one, a bad option
#     value, a missing baseline.
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
hb_step fail_clean "$HB" run --check -o "$HB_WORK/t11" -- "$prog" clean fail
assert_eq "failing clean program: its exit status" 3 "$HB_STEP_STATUS"

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
hb_step badformat "$HB" check --format xml "$t1"
assert_eq "bad --format: exit status" 2 "$HB_STEP_STATUS"
hb_step notraces "$HB" check
assert_eq "no trace given: exit status" 2 "$HB_STEP_STATUS"
hb_step orphan "$HB" run --max-bytes 10 -- "$prog"
assert_eq "a check option without --check: exit status" 2 "$HB_STEP_STATUS"
hb_finish
