#!/usr/bin/env bash
# stress_nginx.sh - Debian's nginx, a master and its forked workers, under a
# minute of HTTP requests, traced from start to `nginx -s quit`: clean exits
# and complete, readable traces for every process.
#
# Usage: stress_nginx.sh HEAPBLAME [SECONDS]
# Writes a configuration in a temporary prefix (daemon off, so the master is
# run's own child; WORKERS workers, which the master forks, as root drops
# them to nobody; logs, pid file and temp paths in the prefix; one server on
# 127.0.0.1 serving a small and a 27 KB file) and starts nginx under
# `heapblame run -o DIR/` (server_lib.sh: a free port, the run bounded at
# SECONDS + 60 s, its process group killed on any exit). The output
# directory is world-writable: a worker, no longer root, creates its own
# trace. Then, for SECONDS (default 60), rounds of one curl over a
# keep-alive connection: ROUND_REQUESTS requests (the small file, the large
# one, a missing one: 200, 200, 404), then a pause of PAUSE s; at most
# MAX_ROUNDS rounds. Then `nginx -s quit` (a graceful stop: the workers
# finish, exit, and the master exits after them). Checks:
#   - every request got the status it should have, and the access log has
#     a line for each;
#   - run exits 0 within 30 s of the quit; the traces are exactly the master
#     (nginx.pid) and every worker the error log says it started, each named
#     after its pid;
#   - every trace is complete: dump reads it, it ends with `exit 0`, its
#     scan is done, nothing was lost;
#   - `heapblame report` reads them all (text and JSON, exit 0); in the JSON,
#     every trace ends with `exit 0`, the first module is nginx's
#     executable, and at least 90% of the outstanding bytes are blamed on
#     it (what the loader keeps of each worker's TLS is the rest).
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
command -v nginx >/dev/null || hb_error "nginx not found (Debian: nginx; scripts/bootstrap installs it)"
command -v curl >/dev/null || hb_error "curl not found (Debian: curl; scripts/bootstrap installs it)"
hb_setup "$1"
seconds=${2:-60}
exe=$(realpath "$(command -v nginx)")

WORKERS=2
ROUND_REQUESTS=150 # a multiple of 3: small, large, missing in turn
PAUSE=0.3
MAX_ROUNDS=$((seconds * 4))

prefix=$HB_WORK/nginx
mkdir -p "$prefix/html" "$prefix/logs" "$prefix/tmp"
echo "hello from nginx under heapblame" >"$prefix/html/small.txt"
python3 -c 'import sys; sys.stdout.write("".join("line %05d of the large file\n" % i for i in range(1000)))' \
	>"$prefix/html/large.txt"
chmod -R a+rX "$HB_WORK"
cat >"$prefix/nginx.conf" <<CONF
daemon off;
master_process on;
worker_processes $WORKERS;
pid $prefix/nginx.pid;
error_log $prefix/logs/error.log notice;
events { worker_connections 256; }
http {
  access_log $prefix/logs/access.log;
  client_body_temp_path $prefix/tmp/body;
  proxy_temp_path $prefix/tmp/proxy;
  fastcgi_temp_path $prefix/tmp/fastcgi;
  uwsgi_temp_path $prefix/tmp/uwsgi;
  scgi_temp_path $prefix/tmp/scgi;
  server {
    include $prefix/listen.conf;
    root $prefix/html;
  }
}
CONF
# the port, and a world-writable output directory: a worker creates its
# trace file when it has made 256 allocator calls or lived 50 ms, which may
# be after it dropped root
nginx_prepare() {
	echo "listen 127.0.0.1:$1;" >"$prefix/listen.conf"
	mkdir -p "$SRV_OUT"
	chmod 1777 "$SRV_OUT"
}
nginx_ready() { [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/small.txt") == 200 ]]; }

SRV_BOUND=$((seconds + 60))
source "$(dirname "${BASH_SOURCE[0]}")/../server_lib.sh"
srv_start nginx_ready nginx_prepare -- nginx -p "$prefix" -c "$prefix/nginx.conf"
master=$(cat "$prefix/nginx.pid")

rounds=0 bad=0 sent=0
urls=()
for ((i = 0; i < ROUND_REQUESTS; i += 3)); do
	for f in small.txt large.txt missing.txt; do
		urls+=(-o /dev/null "http://127.0.0.1:$SRV_PORT/$f")
	done
done
want=$(for ((i = 0; i < ROUND_REQUESTS; i += 3)); do printf '200\n200\n404\n'; done)
t_end=$(($(hb_now_us) + seconds * 1000000))
while (($(hb_now_us) < t_end && rounds < MAX_ROUNDS)); do
	got=$(timeout 60 curl -s -w '%{http_code}\n' "${urls[@]}" || true)
	[[ $got == "$want" ]] || bad=$((bad + 1))
	rounds=$((rounds + 1))
	sent=$((sent + ROUND_REQUESTS))
	sleep "$PAUSE"
done
echo "== $rounds rounds of $ROUND_REQUESTS requests"
assert_eq "rounds with a request that did not get its status" 0 "$bad"
assert_ge "rounds" $((seconds / 4)) "$rounds"
nginx -p "$prefix" -c "$prefix/nginx.conf" -s quit

srv_wait_end 30 || hb_finish
assert_eq "run exit status" 0 "$SRV_STATUS"
# the ready probes are in the log too, but fetched only the small file
assert_ge "access log lines" "$sent" "$(wc -l <"$prefix/logs/access.log")"
assert_eq "access log: requests of the missing file, 404" $((sent / 3)) \
	"$(grep -c '"GET /missing.txt HTTP/1.1" 404 ' "$prefix/logs/access.log")"
assert_eq "access log: requests of the large file, 200" $((sent / 3)) \
	"$(grep -c '"GET /large.txt HTTP/1.1" 200 ' "$prefix/logs/access.log")"
mapfile -t workers < <(sed -n 's/.*\[notice\] [0-9]*#[0-9]*: start worker process \([0-9]*\)$/\1/p' "$prefix/logs/error.log")
echo "master $master, workers ${workers[*]}"
assert_eq "workers started" "$WORKERS" "${#workers[@]}"
names=("heapblame.nginx.$master.hbt")
for w in "${workers[@]}"; do
	names+=("heapblame.nginx.$w.hbt")
done
HB_RUN_ERR=$SRV_RUN_ERR # where hb_expect_traces reads run's announcements
hb_expect_traces "$SRV_OUT" "${names[@]}"

traces=()
for n in "${names[@]}"; do
	[[ -f $SRV_OUT/$n ]] || continue
	traces+=("$SRV_OUT/$n")
	hb_dump "$SRV_OUT/$n"
	assert_eq "$n end" "exit 0" "$(hb_total end)"
	assert_eq "$n scan" "done" "$(hb_total scan)"
	assert_eq "$n lost_events" 0 "$(hb_total lost_events)"
done
((${#traces[@]} > 0)) || hb_finish

set +e
"$HB" report "${traces[@]}" >"$HB_WORK/r.txt" 2>"$HB_WORK/r.err"
st_text=$?
"$HB" report --format json "${traces[@]}" >"$HB_WORK/r.json" 2>>"$HB_WORK/r.err"
st_json=$?
set -e
sed 's/^/   report stderr| /' "$HB_WORK/r.err" | head -5
head -n 1 "$HB_WORK/r.txt" | sed 's/^/   | /'
assert_eq "report (text) exit status" 0 "$st_text"
assert_eq "report --format json exit status" 0 "$st_json"
python3 - "$HB_WORK/r.json" "$exe" >"$HB_WORK/json.check" <<'PY' || true
import json, sys
r, exe = json.load(open(sys.argv[1])), sys.argv[2]
total = r["totals"]["outstanding_bytes"]
own = sum(m["outstanding_bytes"] for m in r["modules"] if m["path"] == exe)
print("traces", len(r["traces"]))
print("ends", " ".join(sorted(set(t["end"].replace(" ", "_") for t in r["traces"]))))
print("first_module_path", r["modules"][0]["path"] if r["modules"] else "-")
print("total", total)
print("share_permille", own * 1000 // total if total else 0)
for m in r["modules"][:4]:
    print("module", m["name"], m["outstanding_bytes"], m["share"])
PY
sed 's/^/   | /' "$HB_WORK/json.check"
kv() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "$HB_WORK/json.check"; }
assert_eq "json: traces" "${#traces[@]}" "$(kv traces)"
assert_eq "json: every trace ends with its process's exit" "exit_0" "$(kv ends)"
assert_eq "json: the first module is the executable" "$exe" "$(kv first_module_path)"
assert_ge "json: per mille of the outstanding bytes blamed on $exe" 900 "$(kv share_permille)"
hb_finish
