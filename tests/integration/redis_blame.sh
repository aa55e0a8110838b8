#!/usr/bin/env bash
# redis_blame.sh - a real server: Debian's redis-server, traced from start to
# SHUTDOWN, must have what it holds blamed on its own code.
#
# Usage: redis_blame.sh HEAPBLAME
# Starts redis-server (from PATH; scripts/bootstrap installs redis-server and
# redis-tools) under `heapblame run -o DIR/`, listening on 127.0.0.1 only, on
# a port the kernel just gave out (tried again on another port, at most 3
# times, if it was taken meanwhile), with no persistence and DEBUG enabled.
# Loads a small dataset through redis-cli in a bounded number of requests:
# DEBUG POPULATE 20000, 200 SETs of 100-byte values, 10 LPUSHes of 100
# elements and 5 HSETs of 100 fields; checks that it arrived (DBSIZE, LLEN,
# HLEN), then SHUTDOWN NOSAVE. Redis frees neither its keyspace nor its
# objects at exit, so the dataset is outstanding (reachable) at the end of
# the trace. Checks, on `heapblame report --format json --top 0`:
#   - run exit status 0, one trace, named after the server's pid, that ends
#     with `exit 0`;
#   - at least 95% of the outstanding bytes are blamed on the module whose
#     path is the executable's resolved path (Debian's redis-server is a
#     symlink to redis-check-rdb: that module), and it is the first module;
#   - that module holds at least the dataset's lower bound: every key and
#     every value, list element, hash field and hash value as a string, plus
#     one 16-byte redisObject (type:4 encoding:4 lru:24 bits, int refcount,
#     void *ptr) per top-level value; the strings are not integer-encoded
#     ("value:N", "key:N", 'x' runs), so each of them is in a heap block of
#     at least its length;
#   - and at most redis's own count of what it holds (INFO memory's
#     used_memory, taken just before SHUTDOWN: the usable sizes of its
#     zmalloc blocks, which are at least the requested sizes the trace
#     counts) plus 5% for what redis's code allocates through libc rather
#     than zmalloc (stdio buffers, getaddrinfo).
# The server and `heapblame run` run in a process group of their own
# (timeout(1)'s), bounded at 30 s; on any exit of this script (a failure, a
# signal, meson's timeout) that group is killed, so no server is left behind
# (server_lib.sh).
# Wall time: about 2 s on a 2-core machine.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
command -v redis-server >/dev/null ||
	hb_error "redis-server not found (Debian: redis-server; scripts/bootstrap installs it)"
command -v redis-cli >/dev/null || hb_error "redis-cli not found (Debian: redis-tools; scripts/bootstrap installs it)"
hb_setup "$1"
exe=$(realpath "$(command -v redis-server)")
echo "redis-server: $(command -v redis-server) -> $exe"

N=20000      # DEBUG POPULATE: keys key:0.., values value:0..
SETS=200     # SET set:I <100 x 'x'>
LPUSHES=10   # LPUSH list <100 elements of 20 x 'l'> each
HSETS=5      # HSET hash <100 fields f:J> <values of 30 x 'h'> each
PER=100
RUN_BOUND=30 # seconds: the server's whole life under heapblame run

SRV_BOUND=$RUN_BOUND
source "$(dirname "${BASH_SOURCE[0]}")/server_lib.sh"
cli() { timeout 10 redis-cli -h 127.0.0.1 -p "$SRV_PORT" "$@"; }
redis_ready() { [[ $(timeout 10 redis-cli -h 127.0.0.1 -p "$1" PING) == PONG ]]; }

out=$SRV_OUT
srv_start redis_ready : -- redis-server --bind 127.0.0.1 --port @PORT@ \
	--save '' --appendonly no --enable-debug-command yes --daemonize no --dir "$HB_WORK"

pid=$(cli INFO server | tr -d '\r' | sed -n 's/^process_id://p')
assert_eq "DEBUG POPULATE $N" OK "$(cli DEBUG POPULATE "$N")"
x100=$(printf 'x%.0s' $(seq 100))
l20=$(printf 'l%.0s' $(seq 20))
h30=$(printf 'h%.0s' $(seq 30))
{
	for ((i = 0; i < SETS; i++)); do
		echo "SET set:$i $x100"
	done
	for ((c = 0; c < LPUSHES; c++)); do
		echo "LPUSH list$(printf " $l20%.0s" $(seq "$PER"))"
	done
	for ((c = 0; c < HSETS; c++)); do
		line="HSET hash"
		for ((j = 0; j < PER; j++)); do
			line+=" f:$((c * PER + j)) $h30"
		done
		echo "$line"
	done
} >"$HB_WORK/commands"
cli <"$HB_WORK/commands" >"$HB_WORK/replies"
assert_eq "replies to the $((SETS + LPUSHES + HSETS)) commands" $((SETS + LPUSHES + HSETS)) "$(wc -l <"$HB_WORK/replies")"
assert_eq "DBSIZE" $((N + SETS + 2)) "$(cli DBSIZE)"
assert_eq "LLEN list" $((LPUSHES * PER)) "$(cli LLEN list)"
assert_eq "HLEN hash" $((HSETS * PER)) "$(cli HLEN hash)"
used=$(cli INFO memory | tr -d '\r' | sed -n 's/^used_memory://p')
echo "redis pid $pid, used_memory $used"
cli SHUTDOWN NOSAVE >/dev/null 2>&1 || true

srv_wait_end 20 || hb_finish
status=$SRV_STATUS
assert_eq "run exit status" 0 "$status"

mapfile -t traces < <(find "$out" -maxdepth 1 -type f -name '*.hbt')
assert_eq "trace files" 1 "${#traces[@]}"
((${#traces[@]} == 1)) || hb_finish
trace=${traces[0]}
assert_eq "the trace's pid (its name's last number)" "$pid" "$(basename "$trace" | sed -n 's/^.*\.\([0-9][0-9]*\)\.hbt$/\1/p')"

"$HB" report --format json --top 0 "$trace" >"$HB_WORK/r.json"

# Lower bound of what the dataset occupies: the strings, and one redisObject
# per top-level value.
bound=$(python3 - "$N" "$SETS" "$LPUSHES" "$HSETS" "$PER" <<'PY'
import sys
n, sets, lpushes, hsets, per = map(int, sys.argv[1:])
robj = 16
b = sum(len("key:%d" % i) + len("value:%d" % i) + robj for i in range(n))
b += sum(len("set:%d" % i) + 100 + robj for i in range(sets))
b += len("list") + robj + lpushes * per * 20
b += len("hash") + robj + sum(len("f:%d" % j) + 30 for j in range(hsets * per))
print(b)
PY
)

python3 - "$HB_WORK/r.json" "$exe" >"$HB_WORK/json.check" <<'PY' || true
import json, sys
r, exe = json.load(open(sys.argv[1])), sys.argv[2]
total = r["totals"]["outstanding_bytes"]
mods = [m for m in r["modules"] if m["path"] == exe]
own = sum(m["outstanding_bytes"] for m in mods)
print("traces", len(r["traces"]))
print("end", r["traces"][0]["end"])
print("exe_modules", len(mods))
print("first_module_path", r["modules"][0]["path"] if r["modules"] else "-")
print("total", total)
print("own", own)
print("share_permille", own * 1000 // total if total else 0)
for m in r["modules"][:4]:
    print("module", m["name"], m["path"], m["outstanding_bytes"], m["share"])
PY
sed 's/^/   | /' "$HB_WORK/json.check"
kv() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "$HB_WORK/json.check"; }
assert_eq "json: traces" 1 "$(kv traces)"
assert_eq "json: the trace ends with the server's exit" "exit 0" "$(kv end)"
assert_eq "json: modules at the executable's path $exe" 1 "$(kv exe_modules)"
assert_eq "json: the first module is the executable" "$exe" "$(kv first_module_path)"
assert_ge "json: per mille of the outstanding bytes blamed on $exe" 950 "$(kv share_permille)"
assert_ge "json: the executable's bytes, at least the dataset's lower bound" "$bound" "$(kv own)"
assert_ge "json: used_memory + 5% ($used + 5%), at least the executable's bytes" "$(kv own)" $((used * 105 / 100))
hb_finish
