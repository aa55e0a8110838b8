#!/usr/bin/env bash
# stress_redis.sh - Debian's redis-server under a minute of redis-benchmark,
# traced from start to SHUTDOWN: a clean exit and a complete, readable trace.
#
# Usage: stress_redis.sh HEAPBLAME [SECONDS]
# Starts redis-server (from PATH; scripts/bootstrap installs redis-server and
# redis-tools) under `heapblame run -o DIR/` on 127.0.0.1 (server_lib.sh:
# a free port, the run bounded at SECONDS + 60 s, its process group killed
# on any exit), with no persistence, so it never forks. Then, for SECONDS
# (default 60), rounds of redis-benchmark on 8 connections: each round
# ROUND_REQUESTS requests of each of TESTS on random keys of a 20000-key
# space, then a pause of PAUSE s (the load keeps under a core, so the tests
# beside this one run too); at most MAX_ROUNDS rounds. Then SHUTDOWN
# NOSAVE. Checks:
#   - every round succeeded, and redis counted at least the requests sent
#     (INFO stats total_commands_processed);
#   - run exits 0 within 30 s of SHUTDOWN; one trace, named after the
#     server's pid; dump reads it, it ends with `exit 0`, its scan is done,
#     nothing was lost;
#   - `heapblame report` reads it (text and JSON, exit 0); the JSON's trace
#     ends with `exit 0`, its first module is the executable (its resolved
#     path: Debian's redis-server is a symlink to redis-check-rdb) and at
#     least 95% of the outstanding bytes are blamed on it, as in
#     redis_blame.sh (redis frees neither keyspace nor objects at exit).
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
command -v redis-server >/dev/null ||
	hb_error "redis-server not found (Debian: redis-server; scripts/bootstrap installs it)"
command -v redis-benchmark >/dev/null ||
	hb_error "redis-benchmark not found (Debian: redis-tools; scripts/bootstrap installs it)"
hb_setup "$1"
seconds=${2:-60}
exe=$(realpath "$(command -v redis-server)")
echo "redis-server: $(command -v redis-server) -> $exe"

TESTS=set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,lrange_100,mset
NTESTS=13
ROUND_REQUESTS=1000
PAUSE=0.4
MAX_ROUNDS=$((seconds * 4))

SRV_BOUND=$((seconds + 60))
source "$(dirname "${BASH_SOURCE[0]}")/../server_lib.sh"
cli() { timeout 10 redis-cli -h 127.0.0.1 -p "$SRV_PORT" "$@"; }
redis_ready() { [[ $(timeout 10 redis-cli -h 127.0.0.1 -p "$1" PING) == PONG ]]; }

srv_start redis_ready : -- redis-server --bind 127.0.0.1 --port @PORT@ \
	--save '' --appendonly no --daemonize no --dir "$HB_WORK"
pid=$(cli INFO server | tr -d '\r' | sed -n 's/^process_id://p')

rounds=0 failed=0
t_end=$(($(hb_now_us) + seconds * 1000000))
while (($(hb_now_us) < t_end && rounds < MAX_ROUNDS)); do
	timeout 60 redis-benchmark -h 127.0.0.1 -p "$SRV_PORT" -c 8 -n "$ROUND_REQUESTS" -r 20000 -d 64 \
		-t "$TESTS" --csv >"$HB_WORK/bench.csv" 2>&1 || failed=$((failed + 1))
	rounds=$((rounds + 1))
	sleep "$PAUSE"
done
echo "== $rounds rounds of redis-benchmark, the last:"
sed 's/^/   | /' "$HB_WORK/bench.csv"
assert_eq "redis-benchmark rounds that failed" 0 "$failed"
assert_ge "redis-benchmark rounds" $((seconds / 4)) "$rounds"
processed=$(cli INFO stats | tr -d '\r' | sed -n 's/^total_commands_processed://p')
assert_ge "commands redis processed" $((rounds * NTESTS * ROUND_REQUESTS)) "$processed"
echo "redis pid $pid, $(cli DBSIZE) keys, used_memory $(cli INFO memory | tr -d '\r' | sed -n 's/^used_memory://p')"
cli SHUTDOWN NOSAVE >/dev/null 2>&1 || true

srv_wait_end 30 || hb_finish
assert_eq "run exit status" 0 "$SRV_STATUS"
mapfile -t traces < <(find "$SRV_OUT" -maxdepth 1 -type f -name '*.hbt')
assert_eq "trace files" 1 "${#traces[@]}"
((${#traces[@]} == 1)) || hb_finish
trace=${traces[0]}
assert_eq "the trace's pid (its name's last number)" "$pid" "$(basename "$trace" | sed -n 's/^.*\.\([0-9][0-9]*\)\.hbt$/\1/p')"

hb_dump "$trace"
assert_eq "end" "exit 0" "$(hb_total end)"
assert_eq "scan" "done" "$(hb_total scan)"
assert_eq "lost_events" 0 "$(hb_total lost_events)"

set +e
"$HB" report "$trace" >"$HB_WORK/r.txt" 2>"$HB_WORK/r.err"
st_text=$?
"$HB" report --format json "$trace" >"$HB_WORK/r.json" 2>>"$HB_WORK/r.err"
st_json=$?
set -e
sed 's/^/   report stderr| /' "$HB_WORK/r.err" | head -5
assert_eq "report (text) exit status" 0 "$st_text"
assert_eq "report --format json exit status" 0 "$st_json"
python3 - "$HB_WORK/r.json" "$exe" >"$HB_WORK/json.check" <<'PY' || true
import json, sys
r, exe = json.load(open(sys.argv[1])), sys.argv[2]
total = r["totals"]["outstanding_bytes"]
own = sum(m["outstanding_bytes"] for m in r["modules"] if m["path"] == exe)
print("end", r["traces"][0]["end"])
print("first_module_path", r["modules"][0]["path"] if r["modules"] else "-")
print("total", total)
print("share_permille", own * 1000 // total if total else 0)
for m in r["modules"][:4]:
    print("module", m["name"], m["outstanding_bytes"], m["share"])
PY
sed 's/^/   | /' "$HB_WORK/json.check"
kv() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "$HB_WORK/json.check"; }
assert_eq "json: the trace ends with the server's exit" "exit 0" "$(kv end)"
assert_eq "json: the first module is the executable" "$exe" "$(kv first_module_path)"
assert_ge "json: per mille of the outstanding bytes blamed on $exe" 950 "$(kv share_permille)"
hb_finish
