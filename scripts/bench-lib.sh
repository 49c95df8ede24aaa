# shellcheck shell=bash
# bench-lib.sh -- shared pieces of the scripts/bench-* benchmarks (sourced).
#
# start_loom DIR [daemons...] starts the release daemons with their data in
# DIR on free loopback ports and exports LOOM_* and TOKEN; everything is
# stopped and removed on exit.

BENCH_CLEANUP=()
bench_cleanup_add() { BENCH_CLEANUP+=("$1"); }
bench_cleanup() {
	local i
	for ((i = ${#BENCH_CLEANUP[@]} - 1; i >= 0; i--)); do
		eval "${BENCH_CLEANUP[$i]}" || true
	done
}
trap bench_cleanup EXIT

bench_require() {
	local missing=""
	for c in "$@"; do command -v "$c" >/dev/null || missing="$missing $c"; done
	if [ -n "$missing" ]; then
		echo "bench: missing$missing (run: make deps)" >&2
		exit 1
	fi
}

bench_tmpdir() {
	local d
	d=$(mktemp -d "/tmp/loom-bench-$1.XXXXXX")
	bench_cleanup_add "rm -rf '$d'"
	echo "$d"
}

free_port() {
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_http() {
	for _ in $(seq 200); do
		curl -fs -o /dev/null "$1" && return 0
		sleep 0.05
	done
	echo "bench: $1 did not answer" >&2
	exit 1
}

median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'
}

# A row of scripts/bench's table, appended to $BENCH_TSV when it is set:
# figure, value, reference, ratio, target, result (tab-separated).
tsv() { [ -z "${BENCH_TSV:-}" ] || printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$BENCH_TSV"; }

LOOM_PIDS=()
start_loom() {
	local dir=$1 d
	shift
	local daemons=("${@:-storaged}")
	[ $# -eq 0 ] && daemons=(storaged ingestd)
	export LOOM_DATA_DIR="$dir/data" LOOM_RUN_DIR="$dir/run"
	LOOM_HTTP_ADDR="127.0.0.1:$(free_port)"
	LOOM_STREAM_ADDR="127.0.0.1:$(free_port)"
	export LOOM_HTTP_ADDR LOOM_STREAM_ADDR
	for d in "${daemons[@]}"; do
		build/bin/"$d" >"$dir/$d.log" 2>&1 &
		LOOM_PIDS+=("$!")
		bench_cleanup_add "kill -9 $! 2>/dev/null"
	done
	for _ in $(seq 200); do [ -s "$LOOM_DATA_DIR/admin-token" ] && break; sleep 0.05; done
	TOKEN=$(cat "$LOOM_DATA_DIR/admin-token")
	export TOKEN
	if [[ " ${daemons[*]} " == *" ingestd "* ]]; then
		wait_http "http://$LOOM_HTTP_ADDR/healthz"
	fi
}

stop_loom() {
	local p
	for p in "${LOOM_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${LOOM_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	LOOM_PIDS=()
}

# Creates a monitor through the API and prints its ping key (retried while
# storaged is still starting).
create_monitor() {
	local out
	for _ in $(seq 50); do
		if out=$(curl -fs -X POST "http://$LOOM_HTTP_ADDR/api/crons/monitors" \
		    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
		    -d "{\"slug\":\"$2\",\"schedule\":{\"type\":\"interval\",\"minutes\":1}}"); then
			/usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["monitor"]["ping_key"])' <<<"$out"
			return 0
		fi
		sleep 0.1
	done
	echo "bench: could not create monitor $2" >&2
	exit 1
}

# Finished check-ins of a monitor in the last day (needs the system running).
count_checkins() {
	curl -fs "http://$LOOM_HTTP_ADDR/api/crons/monitors/$2/stats?period=day" \
	    -H "Authorization: Bearer $TOKEN" |
	    /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["total_checkins"])'
}
