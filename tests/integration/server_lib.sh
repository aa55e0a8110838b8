# server_lib.sh - helpers for the drivers that trace a real server
# (redis_blame.sh, stress/stress_redis.sh, stress/stress_nginx.sh); sourced
# after lib.sh and hb_setup, never run.
#
# A server runs under `heapblame run -o $SRV_OUT/`, bounded by timeout(1),
# whose pid is the process group of run and every server process
# ($SRV_GROUP). It listens on 127.0.0.1 only, on a port the kernel just gave
# out. On any exit of the driver (a failure, a signal, meson's timeout) the
# EXIT trap sends that group TERM, then KILL, so no server is left behind;
# the driver's own exit status is kept.
#
#   SRV_OUT     traces directory (default $HB_WORK/traces)
#   SRV_BOUND   seconds the server may live under run (default 30)
#   SRV_PORT    the port of the last start
#   SRV_STATUS  run's exit status, after srv_wait_end
#   SRV_RUN_OUT, SRV_RUN_ERR  run's stdout and stderr

SRV_OUT=${SRV_OUT:-$HB_WORK/traces}
SRV_BOUND=${SRV_BOUND:-30}
SRV_GROUP=""
SRV_PORT=""
SRV_STATUS=""
SRV_T0=""
SRV_RUN_OUT=$HB_WORK/run.out
SRV_RUN_ERR=$HB_WORK/run.err

# shellcheck disable=SC2317 # reached through the EXIT trap
srv_cleanup() {
	local st=$?
	set +e # under errexit, the (exit "$st") below would end the trap early
	if [[ -n $SRV_GROUP ]] && kill -0 "$SRV_GROUP" 2>/dev/null; then
		# TERM first: the server shuts down and run reaps it
		kill -TERM -- "-$SRV_GROUP" 2>/dev/null
		for _ in $(seq 30); do
			kill -0 "$SRV_GROUP" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL -- "-$SRV_GROUP" 2>/dev/null
		wait "$SRV_GROUP" 2>/dev/null
	fi
	(exit "$st") # hb_cleanup exits with $?
	hb_cleanup
}
trap srv_cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP

# srv_free_port: a loopback TCP port nobody listens on now.
srv_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# srv_start READY PREPARE -- CMD [ARGS...]: starts CMD under `heapblame run
# -o $SRV_OUT/` in the background and polls READY (a command, run with the
# port as its argument) every 0.1 s for up to 10 s. Each literal @PORT@ in
# ARGS is replaced by the port; PREPARE (a command, or `:`) is run with the
# port first, after $SRV_OUT was removed (to write a configuration file, or
# make $SRV_OUT with other permissions: run's `-o DIR/` makes it otherwise). Up to 3 attempts, each on a
# new port, another one only if the port was taken meanwhile ("Address
# already in use"). Errors out (hb_error) if no attempt came up.
srv_start() {
	local ready=$1 prepare=$2
	shift 3
	local attempt up=0 args a
	for attempt in 1 2 3; do
		SRV_PORT=$(srv_free_port)
		args=()
		for a in "$@"; do
			args+=("${a//@PORT@/$SRV_PORT}")
		done
		rm -rf "$SRV_OUT"
		"$prepare" "$SRV_PORT"
		SRV_T0=$(hb_now_us)
		timeout -k 2 "$SRV_BOUND" "$HB" run -o "$SRV_OUT/" -- "${args[@]}" \
			>"$SRV_RUN_OUT" 2>"$SRV_RUN_ERR" </dev/null &
		SRV_GROUP=$!
		for _ in $(seq 100); do
			if "$ready" "$SRV_PORT" 2>/dev/null; then
				up=1
				break
			fi
			kill -0 "$SRV_GROUP" 2>/dev/null || break
			sleep 0.1
		done
		((up)) && break
		kill -KILL -- "-$SRV_GROUP" 2>/dev/null || true
		wait "$SRV_GROUP" 2>/dev/null || true
		SRV_GROUP=""
		echo "attempt $attempt: no server on port $SRV_PORT"
		sed 's/^/   | /' "$SRV_RUN_OUT" "$SRV_RUN_ERR" | tail -5
		grep -q "Address already in use" "$SRV_RUN_OUT" "$SRV_RUN_ERR" || break
	done
	((up)) || hb_error "no answer to $ready on 127.0.0.1:$SRV_PORT: $*"
	echo "== server up on 127.0.0.1:$SRV_PORT after $((($(hb_now_us) - SRV_T0) / 1000)) ms"
}

# srv_wait_end SECONDS: after the driver asked the server to stop, waits up
# to SECONDS for `heapblame run` to end; asserts that it did, sets
# $SRV_STATUS to its exit status and shows its output's end. Returns 1 (and
# leaves the group to the EXIT trap) when it did not end.
srv_wait_end() {
	local ended=0
	for _ in $(seq $(($1 * 10))); do
		if ! kill -0 "$SRV_GROUP" 2>/dev/null; then
			ended=1
			break
		fi
		sleep 0.1
	done
	assert_eq "heapblame run ended within $1 s of the stop" 1 "$ended"
	((ended)) || return 1
	set +e
	wait "$SRV_GROUP"
	SRV_STATUS=$?
	set -e
	SRV_GROUP=""
	echo "== heapblame run -o $SRV_OUT/ -- ... (exit status $SRV_STATUS, $((($(hb_now_us) - SRV_T0) / 1000)) ms)"
	tail -n 3 "$SRV_RUN_OUT" | sed 's/^/   stdout| /'
	sed 's/^/   stderr| /' "$SRV_RUN_ERR" | tail -n 40
}
