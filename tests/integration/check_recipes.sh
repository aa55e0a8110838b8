#!/usr/bin/env bash
# check_recipes.sh - the recipes of README.md and docs/check.md work as
# written.
#
# Usage: check_recipes.sh HEAPBLAME GATE_PROG SOURCE_ROOT GROWER
# Each recipe is cut out of the documentation (the first code block after a
# line that holds a marker phrase) and run by bash, unchanged, in a scratch
# directory where `heapblame` is this build's command (on PATH) and the
# test commands the recipes name (./build/run-tests, ./tests) are scripts
# that run gate_prog (tests/programs/gate), which leaks 536 B in 8 blocks
# with `leak second`:
#   - README's baseline recipe and docs/check.md's: `run -o base/` makes
#     the directory, `report ... base/*.hbt` writes the baseline, and the
#     job's `run --check --baseline` passes on the same leaks and fails
#     (status 1, on the new site alone) when the tests leak more;
#   - README's GitHub Actions job: its heapblame step (the `run: |` script
#     under `name: heapblame`) fails on a leak and still writes the SARIF
#     file the upload step reads, fails with the tests' own status when
#     they fail and still writes it, and passes on a clean run; the upload
#     step runs after a failed step, guarded by the file's existence;
#   - README's GitLab job: its script fails on a leak and writes the JUnit
#     file;
#   - README's soak test: a server (grower, tests/programs/grower.c, which
#     leaks about 700 MiB/h), run in the background, killed with SIGTERM
#     after the load (a sleep), fails the growth gate (status 1) with
#     grower named as growing, though leak counts are off; with 200 ms
#     flushes (HEAPBLAME_INTERVAL_MS), so that 6 s make a timeline.
# Also: `-o DIR/` cannot be made where a file is in the way (status 2, the
# reason named), and an empty baseline file says "empty file".
source "$(dirname "${BASH_SOURCE[0]}")/checklib.sh"
hb_setup "$1"
prog=$(hb_prog "$2")
root=$(realpath "$3")
grower=$(hb_prog "$4")
readme=$root/README.md
checkmd=$root/docs/check.md
[[ -f $readme && -f $checkmd ]] || hb_error "no README.md or docs/check.md under $root"

# recipe FILE MARKER: the first code block (``` fenced, or indented by four
# spaces) after the first line of FILE holding MARKER, without its fences
# and indentation.
recipe() {
	awk -v marker="$2" '
		!found { if (index($0, marker)) found = 1; next }
		!inblock && /^```/ { inblock = "fence"; next }
		!inblock && /^    [^ ]/ { inblock = "indent" }
		inblock == "fence" { if (/^```/) exit; print; next }
		inblock == "indent" { if ($0 !~ /^    /) exit; print substr($0, 5) }
	' "$1"
}

# yaml_run FILE MARKER: the `run: |` script of the first step after MARKER,
# its indentation removed.
yaml_run() {
	awk -v marker="$2" '
		!found { if (index($0, marker)) found = 1; next }
		!inrun { if ($0 ~ /run: \|$/) { inrun = 1; ind = -1 } ; next }
		{
			if (ind < 0) { match($0, /^ */); ind = RLENGTH }
			if (substr($0, 1, ind) !~ /^ *$/ || length($0) <= ind) exit
			print substr($0, ind + 1)
		}
	' "$1"
}

# yaml_script FILE MARKER: the `script:` list items after MARKER, each item
# (with its continuation lines) as one shell line.
yaml_script() {
	awk -v marker="$2" '
		!found { if (index($0, marker)) { found = 1; item = -1 }; next }
		!inscript { if ($0 ~ /^ *script:$/) inscript = 1; next }
		{ match($0, /^ */); ind = RLENGTH }
		ind == item && substr($0, ind + 1, 2) == "- " {
			if (cmd != "") print cmd
			cmd = substr($0, ind + 3); next
		}
		item < 0 && substr($0, ind + 1, 2) == "- " { item = ind; cmd = substr($0, ind + 3); next }
		item >= 0 && ind > item + 1 && length($0) > ind { cmd = cmd " " substr($0, ind + 1); next }
		{ exit }
		END { if (cmd != "") print cmd }
	' "$1"
}

mkdir -p "$HB_WORK/bin"
ln -s "$HB" "$HB_WORK/bin/heapblame"
export PATH=$HB_WORK/bin:$PATH
export LEAKS="leak second"

# work DIR: a fresh project directory with the test commands the recipes
# name; `$LEAKS` says what the tests leak.
work() {
	rm -rf "${HB_WORK:?}/$1"
	mkdir -p "$HB_WORK/$1/build" "$HB_WORK/$1/ci"
	local t
	for t in "$HB_WORK/$1/build/run-tests" "$HB_WORK/$1/tests"; do
		printf '#!/bin/sh\nexec %q $LEAKS\n' "$prog" >"$t"
		chmod +x "$t"
	done
	cd "$HB_WORK/$1"
}

# ---- README: the baseline recipe ---------------------------------------
r=$(recipe "$readme" "commits a baseline and stops only")
printf '%s\n' "$r" | sed 's/^/   README recipe| /'
[[ $r == *"heapblame run"*"--baseline"* ]] || hb_error "README's baseline recipe not found"
setup=$(printf '%s\n' "$r" | sed '/^# in the job/,$d')
job=$(printf '%s\n' "$r" | sed -n '/^# in the job/,$p')
work readme
hb_step readme_base bash -ec "$setup"
assert_eq "README baseline recipe: the baseline is made" 0 "$HB_STEP_STATUS"
assert_eq "README baseline recipe: it holds the leaks" 1 \
	"$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(m["definite_blocks"] > 0 for m in d["modules"]))' ci/leak-baseline.json 2>&1)"
hb_step readme_job bash -ec "$job"
assert_eq "README baseline recipe: the job passes on the same leaks" 0 "$HB_STEP_STATUS"
LEAKS="leak second third" hb_step readme_job_new bash -ec "$job"
assert_eq "README baseline recipe: the job fails on a new leak" 1 "$HB_STEP_STATUS"
assert_eq "README baseline recipe: on the new one alone" \
	"heapblame: 48 B in 1 block leaked beyond the baseline in 1 module (budget 0): FAIL" "$(hb_last_line readme_job_new)"

# ---- docs/check.md: the baseline recipe --------------------------------
r=$(recipe "$checkmd" "cannot fix its existing leaks today")
printf '%s\n' "$r" | sed 's/^/   check.md recipe| /'
[[ $r == *"heapblame run"*"--baseline"* ]] || hb_error "docs/check.md's baseline recipe not found"
setup=$(printf '%s\n' "$r" | sed '/^# in CI/,$d')
job=$(printf '%s\n' "$r" | sed -n '/^# in CI/,$p')
work checkmd
hb_step checkmd_base bash -ec "$setup"
assert_eq "check.md baseline recipe: the baseline is made" 0 "$HB_STEP_STATUS"
hb_step checkmd_job bash -ec "$job"
assert_eq "check.md baseline recipe: the job passes on the same leaks" 0 "$HB_STEP_STATUS"
LEAKS="leak second third" hb_step checkmd_job_new bash -ec "$job"
assert_eq "check.md baseline recipe: the job fails on a new leak" 1 "$HB_STEP_STATUS"

# ---- README: the GitHub Actions job ------------------------------------
gh=$(yaml_run "$readme" "name: heapblame")
printf '%s\n' "$gh" | sed 's/^/   actions step| /'
[[ $gh == *heapblame.sarif* ]] || hb_error "README's GitHub Actions heapblame step not found"
work actions
printf 'leak:no_such_function_anywhere\n' >ci/leaks.supp
hb_step actions_leak bash -ec "$gh"
assert_eq "GitHub Actions step: fails on a leak" 1 "$HB_STEP_STATUS"
assert_eq "GitHub Actions step: and still writes the SARIF file" 1 \
	"$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["runs"]))' heapblame.sarif 2>&1)"
work actions_fail
printf 'leak:no_such_function_anywhere\n' >ci/leaks.supp
LEAKS="leak second fail" hb_step actions_fail bash -ec "$gh"
assert_eq "GitHub Actions step: failing tests fail it with their status" 3 "$HB_STEP_STATUS"
assert_eq "GitHub Actions step: failing tests, the SARIF file is still written" 1 \
	"$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["runs"]))' heapblame.sarif 2>&1)"
assert_eq "GitHub Actions: the upload step runs after a failure, guarded by the file" 1 \
	"$(grep -cF "if: always() && hashFiles('heapblame.sarif') != ''" "$readme" || true)"
work actions_clean
printf 'leak:no_such_function_anywhere\n' >ci/leaks.supp
LEAKS=clean hb_step actions_clean bash -ec "$gh"
assert_eq "GitHub Actions step: passes on a clean run" 0 "$HB_STEP_STATUS"

# ---- README: the GitLab job --------------------------------------------
gl=$(yaml_script "$readme" "GitLab CI, with the leaks")
printf '%s\n' "$gl" | sed 's/^/   gitlab script| /'
[[ $gl == *heapblame-junit.xml* ]] || hb_error "README's GitLab script not found"
work gitlab
printf 'leak:no_such_function_anywhere\n' >ci/leaks.supp
hb_step gitlab_leak bash -ec "$gl"
assert_eq "GitLab job: fails on a leak" 1 "$HB_STEP_STATUS"
assert_eq "GitLab job: writes the JUnit file" 1 "$(grep -c '<testsuites ' heapblame-junit.xml || true)"

# ---- README: the soak test ---------------------------------------------
r=$(recipe "$readme" "### Gate a soak test on growth")
printf '%s\n' "$r" | sed 's/^/   soak recipe| /'
[[ $r == *"heapblame run"*"--max-growth"* ]] || hb_error "README's soak test recipe not found"
work soak
printf '#!/bin/sh\nexec %q 60\n' "$grower" >build/server
printf '#!/bin/sh\nexec sleep 6\n' >build/load-test
chmod +x build/server build/load-test
HEAPBLAME_INTERVAL_MS=200 hb_step soak bash -ec "$r"
assert_eq "soak recipe: fails on growth" 1 "$HB_STEP_STATUS"
assert_eq "soak recipe: names the growing module" 1 \
	"$(hb_count soak.out '^grower  growing [0-9.]+ MiB/h since [0-9:.]+ \(limit 1\.00 MiB/h\)$')"
assert_eq "soak recipe: the verdict" "heapblame: 1 module growing faster than 1.00 MiB/h: FAIL" "$(hb_last_line soak)"

# ---- what the recipes rely on, when it goes wrong ----------------------
cd "$HB_WORK"
touch in-the-way
hb_step outdir_blocked "$HB" run -o in-the-way/traces/ -- "$prog" clean
assert_eq "-o DIR/ under a file: exit status" 2 "$HB_STEP_STATUS"
assert_eq "-o DIR/ under a file: says why" 1 \
	"$(hb_count outdir_blocked.err '^heapblame: error: --output: cannot create directory in-the-way: a file of that name is in the way$')"
: >empty.json
hb_step empty_base "$HB" check --baseline empty.json "$(ls "$HB_WORK"/readme/base/*.hbt | head -1)"
assert_eq "an empty baseline: exit status" 2 "$HB_STEP_STATUS"
assert_eq "an empty baseline: says so" 1 "$(hb_count empty_base.err '^heapblame: error: empty\.json: empty file')"
hb_finish
