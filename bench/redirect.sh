#!/usr/bin/env bash
# bench/redirect.sh: Tandem's short-link redirect against a bare net/http
# server that only answers 302 (bench/bare302), on SQLite and on PostgreSQL.
#
# For each database it migrates and seeds a fresh one (tandem demo), then
# drives bare302 and `tandem serve` back to back with wrk for the same time,
# prints requests/s, p50/p99 latency, the CPU time per request of the server
# (and of PostgreSQL), the 302s wrk received and the click rows Tandem wrote,
# checks that every 302 has its row, and ends with
#   redirect_ratio sqlite=R1 postgres=R2      (R = tandem req/s / bare req/s)
#
# Settings (environment):
#   BENCH_DURATION     wrk duration per server (default 15s)
#   BENCH_CONNECTIONS  wrk connections (default 64)
#   BENCH_THREADS      wrk threads (default 2)
#   BENCH_DATABASES    which to run (default "sqlite postgres")
#   BENCH_PG_ADMIN     PostgreSQL URL allowed to create and drop the database
#                      tandem_bench (default postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)
set -euo pipefail

DURATION=${BENCH_DURATION:-15s}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
DATABASES=${BENCH_DATABASES:-sqlite postgres}
PG_ADMIN=${BENCH_PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
PG_DB=tandem_bench

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
PIDS=()

cleanup() {
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

if ! command -v wrk >/dev/null; then
	echo "installing wrk…" >&2
	sudo=""
	[ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get update -qq && $sudo apt-get install -y -qq wrk >/dev/null
fi

cd "$ROOT"
go build -o "$WORK/tandem" ./cmd/tandem
go build -o "$WORK/bare302" ./bench/bare302
go build -o "$WORK/benchdb" ./bench/benchdb

# wait_up waits until something answers HTTP on the port.
wait_up() {
	for _ in $(seq 300); do
		curl -s -o /dev/null "http://127.0.0.1:$1/healthz" && return 0
		sleep 0.1
	done
	echo "nothing answers on port $1" >&2
	exit 1
}

# stop ends tandem: SIGTERM, then wait for it to drain and exit 0.
stop() {
	kill -TERM "$1"
	wait "$1" || { echo "server $1 exited with status $?" >&2; exit 1; }
}

# cpu prints the CPU time (user + system, in clock ticks) the process has used.
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# pgcpu prints the CPU time (clock ticks) all local PostgreSQL processes
# have used: their share of a redirect shares the same cores.
pgcpu() {
	local pids
	pids=$(pgrep -x postgres | sed 's|.*|/proc/&/stat|') || { echo 0; return; }
	# shellcheck disable=SC2086
	cat $pids 2>/dev/null | awk '{ t += $14 + $15 } END { print t + 0 }'
}

# drive runs wrk on the URL against the server with the given pid and sets
# RPS, P50, P99, SENT, N302, OTHER, ERRORS from count302.lua's RESULT line,
# CPU_US, the server's CPU time per request in microseconds (a figure that,
# unlike req/s, hardly moves with what else the machine runs), and PG_US,
# the same of the PostgreSQL server (all its processes, on this machine).
drive() {
	local out line before pgbefore n hz
	before=$(cpu "$2")
	pgbefore=$(pgcpu)
	out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$ROOT/bench/count302.lua" "$1")
	n=$(grep -o 'requests=[0-9]*' <<<"$out" | cut -d= -f2)
	hz=$(getconf CLK_TCK)
	CPU_US=$(awk -v t=$(($(cpu "$2") - before)) -v hz="$hz" -v n="$n" 'BEGIN { printf "%.0f", t / hz * 1e6 / n }')
	PG_US=$(awk -v t=$(($(pgcpu) - pgbefore)) -v hz="$hz" -v n="$n" 'BEGIN { printf "%.0f", t / hz * 1e6 / n }')
	line=$(grep '^RESULT ' <<<"$out") || { echo "$out" >&2; exit 1; }
	val() { sed -n "s/.* $1=\\([0-9]*\\).*/\\1/p" <<<" $line"; }
	SENT=$(val sent) N302=$(val n302) OTHER=$(val other) ERRORS=$(val errors)
	RPS=$(awk -v n="$(val requests)" -v us="$(val duration_us)" 'BEGIN { printf "%.0f", n / (us / 1e6) }')
	P50=$(awk -v us="$(val p50_us)" 'BEGIN { printf "%.2fms", us / 1000 }')
	P99=$(awk -v us="$(val p99_us)" 'BEGIN { printf "%.2fms", us / 1000 }')
}

row() { printf '%-9s %-8s %8s %9s %9s %8s %8s %9s %s\n' "$@"; }

echo "redirect benchmark: wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $(nproc) cores, $(go version | cut -d' ' -f3)"
echo "load before: $(uptime | sed 's/.*load average/load average/')"
row database server "req/s" p50 p99 "cpu/req" "pg cpu" 302s "click rows"

declare -A RATIO
for db in $DATABASES; do
	mkdir -p "$WORK/$db"
	case $db in
	sqlite) url="sqlite:$WORK/$db/tandem.db" ;;
	postgres)
		psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $PG_DB" -c "CREATE DATABASE $PG_DB"
		url=${PG_ADMIN%%\?*}
		url="${url%/*}/$PG_DB?sslmode=disable"
		;;
	*) echo "unknown database $db (want sqlite or postgres)" >&2; exit 2 ;;
	esac
	"$WORK/tandem" demo --database "$url" --data-dir "$WORK/$db" --log-level error >/dev/null
	code=$("$WORK/benchdb" link "$url")

	port=$("$WORK/benchdb" port)
	"$WORK/bare302" -listen "127.0.0.1:$port" >/dev/null &
	pid=$!
	PIDS+=("$pid")
	wait_up "$port"
	drive "http://127.0.0.1:$port/r/$code" "$pid"
	kill "$pid" && wait "$pid" 2>/dev/null || true
	bare=$RPS
	row "$db" bare302 "$RPS" "$P50" "$P99" "${CPU_US}µs" - "$N302" -

	port=$("$WORK/benchdb" port)
	"$WORK/tandem" serve --database "$url" --data-dir "$WORK/$db" --listen "127.0.0.1:$port" --log-level error \
		--click-flood-rate 1e9 --click-flood-burst 1000000000 >/dev/null &
	pid=$!
	PIDS+=("$pid")
	wait_up "$port"
	status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/r/$code")
	[ "$status" = 302 ] || { echo "/r/$code answered $status, not 302" >&2; exit 1; }
	before=$("$WORK/benchdb" clicks "$url")
	drive "http://127.0.0.1:$port/r/$code" "$pid"
	stop "$pid" # drains: every click in flight is committed before it exits
	rows=$(($("$WORK/benchdb" clicks "$url") - before))
	# wrk stops mid-flight: the requests it sent but never read an answer to
	# may have been recorded too, so rows may exceed the 302s by at most those.
	inflight=$((SENT - N302 - OTHER))
	extra=$((rows - N302))
	pgcol=-
	if [ "$db" = postgres ]; then pgcol="${PG_US}µs"; fi
	row "$db" tandem "$RPS" "$P50" "$P99" "${CPU_US}µs" "$pgcol" "$N302" "$rows (302s + $extra of $inflight in flight at wrk's stop)"
	if [ "$OTHER" != 0 ] || [ "$ERRORS" != 0 ]; then
		echo "FAIL: $OTHER answers other than 302 and $ERRORS socket errors" >&2
		exit 1
	fi
	if [ "$extra" -lt 0 ] || [ "$extra" -gt "$inflight" ]; then
		echo "FAIL: $rows click rows for $N302 302s ($inflight in flight at the stop)" >&2
		exit 1
	fi
	RATIO[$db]=$(awk -v t="$RPS" -v b="$bare" 'BEGIN { printf "%.2f", t / b }')
	if [ "$db" = postgres ]; then psql -q "$PG_ADMIN" -c "DROP DATABASE $PG_DB"; fi
done

line=redirect_ratio
for db in $DATABASES; do line+=" $db=${RATIO[$db]}"; done
echo "$line"
