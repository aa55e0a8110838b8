#!/usr/bin/env bash
# mutator_check.sh - the trace mutator's own test (test_trace_mutator.c),
# on traces recorded for it as the seeds are (make_seeds.sh).
#
# Usage: mutator_check.sh BUILD TEST_TRACE_MUTATOR
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$here/make_seeds.sh" "$1" "$work/seeds"
"$2" "$work"/seeds/trace/*.hbt
