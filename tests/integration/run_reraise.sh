#!/usr/bin/env bash
# run_reraise.sh - `heapblame run` dies of the signal its program died of,
# as a transparent wrapper does (the issue Harden, item 7).
#
# Usage: run_reraise.sh HEAPBLAME
#   - Python's subprocess sees -15 for a program killed by SIGTERM and -9
#     for SIGKILL, as it would without heapblame, and 3 for `exit 3`;
#   - bash reports the death ("Terminated") and $? is 143, as without;
#   - run still says where the trace went first (its stderr), and with
#     --check the check's verdict is printed before run dies the same way.
source "$(dirname "${BASH_SOURCE[0]}")/checklib.sh"
hb_setup "$1"
mkdir -p "$HB_WORK/t"
codes=$(python3 - "$HB" "$HB_WORK/t" <<'PY'
import subprocess, sys
hb, out = sys.argv[1], sys.argv[2]
def run(script, *opts):
    return subprocess.run([hb, "run", *opts, "-o", out + "/", "--", "sh", "-c", script],
                          capture_output=True).returncode
print(run("kill -TERM $$"), run("kill -KILL $$"), run("exit 3"), run("kill -TERM $$", "--check"))
PY
)
assert_eq "python: the return codes (-15, -9, 3, and -15 under --check)" "-15 -9 3 -15" "$codes"
hb_step bash bash -c "'$HB' run -o '$HB_WORK/t/' -- sh -c 'kill -TERM \$\$'; echo status=\$?"
assert_eq "bash: \$? is 143" 1 "$(hb_count bash.out '^status=143$')"
assert_eq "bash: it reports the death" 1 "$(hb_count bash.err 'Terminated')"
assert_eq "run said where the trace went before it died" 1 "$(hb_count bash.err '^heapblame: trace written to ')"
hb_step check bash -c "'$HB' run --check -o '$HB_WORK/t/' -- sh -c 'kill -TERM \$\$'; echo status=\$?"
assert_eq "--check: the verdict is printed before run dies" 1 "$(hb_count check.out '^heapblame: .*: (PASS|FAIL)$')"
assert_eq "--check: then it dies of the program's signal" 1 "$(hb_count check.out '^status=143$')"
hb_finish
